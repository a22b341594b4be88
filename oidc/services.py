"""OIDC-side services: realm keys, built-in clients of a new realm, initial access tokens, used
client assertions.

Every state change is one transaction whose first query locks the realm row, with its admin
event written in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction

from clients import crypto
from clients.models import Client
from clients.services import client_create, client_delete, client_update, registration_token_issue
from oidc import keys
from oidc.errors import RegistrationTokenError
from oidc.models import InitialAccessToken, RealmKey, UsedClientAssertion
from realms import clock
from realms.actor import Actor
from realms.events import admin_event_record
from realms.models import Realm
from realms.services import realm_update

ADMIN_CLI = "admin-cli"


def admin_cli_ensure(*, realm: Realm) -> Client:
    """Realm master's public ``admin-cli`` client, used by the password grant of admin tools."""
    client, _ = Client.objects.get_or_create(
        realm=realm,
        client_id=ADMIN_CLI,
        defaults={
            "name": "admin-cli",
            "public_client": True,
            "standard_flow_enabled": False,
            "direct_access_grants_enabled": True,
            "client_authenticator_type": "client-secret",
        },
    )
    return client


def realm_oidc_setup(realm: Realm) -> None:
    """REALM_CREATED_HOOKS entry: the realm's first signing key; ``admin-cli`` for realm master."""
    if not RealmKey.objects.filter(realm=realm, active=True).exists():
        keys.realm_key_store(realm=realm)
    if realm.name == "master":
        admin_cli_ensure(realm=realm)


@transaction.atomic
def realm_key_rotate(*, realm: Realm, actor: Actor | None = None) -> RealmKey:
    """Retire the active key and make a new one. The retired key stays in the JWKS until its tokens expire."""
    realm = Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)
    now = clock.epoch()
    RealmKey.objects.filter(realm=realm, active=True).update(active=False, retired_at=now)
    key = keys.realm_key_store(realm=realm, now=now)
    admin_event_record(
        realm=realm,
        operation="CREATE",
        resource_type="COMPONENT",
        resource_path=f"keys/{key.kid}",
        actor=actor,
        representation={"kid": key.kid, "algorithm": key.algorithm, "type": "RSA", "use": "SIG", "status": "ACTIVE"},
    )
    keys.cache_forget_realm(realm.pk)
    transaction.on_commit(lambda: keys.cache_forget_realm(realm.pk))
    return key


@transaction.atomic
def initial_access_token_create(*, realm: Realm, expiration: int, count: int, actor: Actor | None = None) -> tuple[str, InitialAccessToken]:
    """A new initial access token for dynamic client registration; returns (token, row).

    ``expiration`` is in seconds (0 = never expires), ``count`` how many clients it may create
    (at least 1). The token is returned only here; only its digest is stored.
    """
    if expiration < 0:
        raise ValueError("expiration must be 0 or more seconds")
    if count < 1:
        raise ValueError("count must be at least 1")
    realm = Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)
    token = secrets.token_urlsafe(32)
    row = InitialAccessToken.objects.create(
        realm=realm, digest=crypto.token_digest(token), created=clock.epoch(), expiration=expiration, count=count, remaining_count=count
    )
    admin_event_record(
        realm=realm,
        operation="CREATE",
        resource_type="CLIENT_INITIAL_ACCESS_MODEL",
        resource_path=f"clients-initial-access/{row.pk}",
        actor=actor,
        representation={"id": str(row.pk), "timestamp": row.created, "expiration": expiration, "count": count, "remainingCount": count},
    )
    return token, row


@transaction.atomic
def initial_access_token_delete(*, realm: Realm, token_id: int, actor: Actor | None = None) -> bool:
    realm = Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)
    deleted, _ = InitialAccessToken.objects.filter(realm=realm, pk=token_id).delete()
    if deleted:
        admin_event_record(
            realm=realm, operation="DELETE", resource_type="CLIENT_INITIAL_ACCESS_MODEL",
            resource_path=f"clients-initial-access/{token_id}", actor=actor,
        )
    return bool(deleted)


# --- dynamic client registration (RFC 7591/7592, docs/keycloak.md §7) ----------------------


def initial_access_token_find(*, realm: Realm, token: str) -> InitialAccessToken:
    """The initial access token row for ``token``; raises ``RegistrationTokenError`` when unusable."""
    row = InitialAccessToken.objects.filter(realm=realm, digest=crypto.token_digest(token)).first()
    _initial_access_token_check(row)
    return row


def _initial_access_token_check(row: InitialAccessToken | None) -> None:
    if row is None:
        raise RegistrationTokenError("Initial Access Token not found")
    if row.is_expired(clock.epoch()):
        raise RegistrationTokenError("Expired initial access token")
    if row.remaining_count <= 0:
        raise RegistrationTokenError("No remaining count on initial access token")


def dynamic_client_register(*, realm: Realm, representation: dict, actor: Actor, initial_access_token_id: int | None = None) -> tuple[Client, str]:
    """Create a client through dynamic registration; returns (client, registration access token).

    With an initial access token, one use is taken from it in the same transaction (a refused
    create gives it back). Runs REGISTER and REGISTERED through ``clients.services.client_create``.
    """
    with transaction.atomic():
        if initial_access_token_id is not None:
            row = InitialAccessToken.objects.select_for_update(of=("self",)).filter(pk=initial_access_token_id).first()
            _initial_access_token_check(row)
            InitialAccessToken.objects.filter(pk=row.pk).update(remaining_count=row.remaining_count - 1)
        client = client_create(realm=realm, representation=representation, actor=actor)
        client = Client.objects.select_for_update(of=("self",)).get(pk=client.pk)
        token = registration_token_issue(client)
    return client, token


def dynamic_client_update(*, client: Client, representation: dict, actor: Actor) -> tuple[Client, str]:
    """Update a client through dynamic registration; the registration access token is replaced.

    ``clients.services.client_update`` runs UPDATE and UPDATED with ``actor.source ==
    "dynamic-registration"``: the engine's ``secret-rotation`` executor then rotates a secret
    whose expiry is inside ``remaining-rotation-period`` (docs/keycloak.md §1.7, §7.5).
    """
    with transaction.atomic():
        client = client_update(client=client, representation=representation, actor=actor)
        client = Client.objects.select_for_update(of=("self",)).get(pk=client.pk)
        token = registration_token_issue(client)
    client.refresh_from_db()
    return client, token


def dynamic_client_delete(*, client: Client, actor: Actor) -> None:
    client_delete(client=client, actor=actor)


def realm_tokens_update(*, realm: Realm, access_token_lifespan: int, actor: Actor | None = None) -> Realm:
    """Realm settings → Tokens: the access token lifespan (seconds)."""
    with transaction.atomic():
        realm = realm_update(realm=realm, access_token_lifespan=access_token_lifespan)
        admin_event_record(
            realm=realm, operation="UPDATE", resource_type="REALM", resource_path="",
            actor=actor, representation={"realm": realm.name, "accessTokenLifespan": access_token_lifespan},
        )
    return realm


def assertion_key_digest(key: str) -> str:
    """The stored form of a used assertion's ``<client pk>:<jti>``: its SHA-256, hex. Fixed length,
    so a ``jti`` of any length is remembered whole (two long ones sharing a prefix stay apart)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def assertion_jti_register(key: str, lifespan: int) -> bool:
    """Remember an assertion id for ``lifespan`` seconds; False when it was already used.

    In the database, so every worker and instance refuses a replay; the row is kept through
    ``now + lifespan`` (the assertion's ``exp``: rows are swept only once strictly past it).
    """
    now = clock.epoch()
    if "\x00" in key:
        return False  # no real jti holds a NUL; refused like a replay
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.filter(expires__lt=now).delete()
            UsedClientAssertion.objects.create(key=assertion_key_digest(key), expires=now + max(int(lifespan), 1))
    except IntegrityError:
        return False
    return True
