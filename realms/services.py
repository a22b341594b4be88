"""Realm services: every state change is one transaction."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from realms import clock
from realms.actor import Actor
from realms.events import MASK, admin_event_record, mask_secrets
from realms.models import AdminEvent, ClientAuthFailure, LoginEvent, Realm, SpentFormToken

# Realm changes are recorded as admin events when the caller says who acted (``actor``); internal
# callers that record their own, more specific event (e.g. the Tokens tab) pass none.


class RealmExists(Exception):
    def __init__(self, name: str):
        super().__init__(f"Realm {name} already exists")
        self.name = name


class RealmRefused(Exception):
    """A realm representation this product will not store (the message is Keycloak-style)."""


# The stored extras (the RealmRepresentation fields not acted on) are bounded: a realm export
# without users and clients is tens of kilobytes; a megabyte leaves room and keeps every realm
# read cheap.
EXTRAS_MAX_BYTES = 1_000_000
# Keys that hold a credential somewhere in a realm export (SMTP password, identity-provider and
# LDAP secrets, key material, user credentials): never stored, only the mask. Nothing here uses
# them, so holding them would only be a liability.
EXTRAS_SECRET_KEYS = frozenset(
    {"clientSecret", "codeSecret", "bindCredential", "keystorePassword", "secretData", "credentialData",
     "hashedSaltedValue", "salt", "keyPassword", "secret.rotated"}
)
# Characters Keycloak refuses in a realm id (ReservedCharValidator) and anything invisible.
_ID_RESERVED = set('<>{}"|\\^`/#%?&;') | {" "}


def realm_extras_clean(extras: dict) -> dict:
    """The extras as stored: secret values masked, the size bounded (``RealmRefused``)."""
    cleaned = _mask_realm_secrets(mask_secrets(extras))
    if len(json.dumps(cleaned, separators=(",", ":")).encode()) > EXTRAS_MAX_BYTES:
        raise RealmRefused(f"Realm representation larger than {EXTRAS_MAX_BYTES} bytes")
    return cleaned


def _mask_realm_secrets(value):
    if isinstance(value, dict):
        return {
            key: MASK if key in EXTRAS_SECRET_KEYS and item not in (None, "", []) else _mask_realm_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_realm_secrets(item) for item in value]
    return value


def realm_id_check(realm_id: str) -> None:
    """Keycloak's ReservedCharValidator on a realm ``id`` given on create."""
    for char in realm_id:
        if char in _ID_RESERVED or not char.isprintable():
            raise RealmRefused(f"Character '{char}' not allowed.")
    if realm_id in (".", ".."):
        raise RealmRefused("Realm id cannot be '.' or '..'.")


@transaction.atomic
def realm_create(
    *,
    name: str,
    display_name: str = "",
    enabled: bool = True,
    access_token_lifespan: int | None = None,
    realm_id: str = "",
    extras: dict | None = None,
    events: dict | None = None,
    actor: Actor | None = None,
) -> Realm:
    """``realm_id`` is Keycloak's ``id`` as given (kept, unique); ``extras`` the representation's
    fields not acted on (``realm_extras_clean``); ``events`` model field values of the event settings."""
    realm = Realm(name=name, display_name=display_name, enabled=enabled, keycloak_id=realm_id or "",
                  extras=realm_extras_clean(extras or {}), **(events or {}))
    if access_token_lifespan is not None:
        realm.access_token_lifespan = access_token_lifespan
    if realm_id:
        realm_id_check(realm_id)
    realm.full_clean(validate_unique=False, validate_constraints=False)
    if Realm.objects.filter(name=name).exists():
        raise RealmExists(name)
    if realm_id and Realm.objects.filter(keycloak_id=realm_id).exists():
        raise RealmExists(name)
    try:
        with transaction.atomic():
            realm.save()
    except IntegrityError as exc:
        raise RealmExists(name) from exc
    for hook in REALM_CREATED_HOOKS:
        hook(realm)
    if actor is not None:
        _record(realm, "CREATE", actor)
    return realm


# Other apps register what a new realm needs (signing keys, built-in clients) here.
REALM_CREATED_HOOKS: list = []


class RealmProtected(Exception):
    """Realm master signs every admin token: it can be neither renamed nor deleted."""


@transaction.atomic
def realm_update(*, realm: Realm, actor: Actor | None = None, extras: dict | None = None, **changes) -> Realm:
    """Partial: the fields given change. ``extras`` are merged into the stored ones, a field sent
    replacing the stored one whole (a field not sent, or sent as null, is kept)."""
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    if realm.name == "master" and changes.get("name", "master") != "master":
        raise RealmProtected("Can't rename master realm")
    for field, value in changes.items():
        setattr(realm, field, value)
    if extras:
        realm.extras = realm_extras_clean({**realm.extras, **extras})
    try:
        # Fields left unread (``extras`` when none are sent) were valid when stored: not read to check.
        realm.full_clean(exclude=realm.get_deferred_fields(), validate_unique=False, validate_constraints=False)
    except ValidationError:
        raise
    realm.save()
    if actor is not None:
        _record(realm, "UPDATE", actor)
    return realm


@transaction.atomic
def realm_delete(*, realm: Realm, actor: Actor | None = None) -> None:
    if realm.name == "master":
        raise RealmProtected("Can't delete master realm")
    Realm.objects.select_for_update().filter(pk=realm.pk).delete()
    # A realm's own events go with it; the deletion is recorded in the admin realm.
    admin_realm = Realm.objects.filter(name=(actor.auth_realm if actor else None) or "master").first()
    if actor is not None and admin_realm is not None:
        _record(admin_realm, "DELETE", actor, path=realm.name, representation={"realm": realm.name})


def _record(realm: Realm, operation: str, actor: Actor, *, path: str = "", representation: dict | None = None) -> None:
    if representation is None:
        representation = {
            "id": realm.public_id,
            "realm": realm.name,
            "displayName": realm.display_name,
            "enabled": realm.enabled,
            "accessTokenLifespan": realm.access_token_lifespan,
        }
    admin_event_record(
        realm=realm, operation=operation, resource_type="REALM", resource_path=path, actor=actor, representation=representation
    )


# Keycloak's RealmEventsConfigRepresentation field → our column.
EVENTS_CONFIG_FIELDS = {
    "eventsEnabled": "events_enabled",
    "eventsExpiration": "events_expiration",
    "eventsListeners": "events_listeners",
    "enabledEventTypes": "enabled_event_types",
    "adminEventsEnabled": "admin_events_enabled",
    "adminEventsDetailsEnabled": "admin_events_details_enabled",
}


@transaction.atomic
def realm_events_config_update(*, realm: Realm, actor: Actor | None, **changes) -> Realm:
    """Change the event settings (model field names; the fields given change). Recorded as an
    ``UPDATE`` of ``events/config`` even when it turns admin events off."""
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    for field, value in changes.items():
        setattr(realm, field, value)
    realm.full_clean(exclude=realm.get_deferred_fields(), validate_unique=False, validate_constraints=False)
    realm.save()
    representation = {key: getattr(realm, field) for key, field in EVENTS_CONFIG_FIELDS.items()}
    admin_event_record(realm=realm, operation="UPDATE", resource_type="REALM", resource_path="events/config",
                       actor=actor, representation=representation, always=True)
    return realm


@transaction.atomic
def realm_admin_events_clear(*, realm: Realm, actor: Actor | None) -> int:
    """Delete every admin event of the realm; the clearing itself is the one event left."""
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    deleted, _ = AdminEvent.objects.filter(realm=realm).delete()
    admin_event_record(realm=realm, operation="DELETE", resource_type="REALM", resource_path="admin-events",
                       actor=actor, representation={"deleted": deleted}, always=True)
    return deleted


@transaction.atomic
def realm_login_events_clear(*, realm: Realm, actor: Actor | None) -> int:
    """Delete every login event of the realm; recorded as an admin event."""
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    deleted, _ = LoginEvent.objects.filter(realm=realm).delete()
    admin_event_record(realm=realm, operation="DELETE", resource_type="REALM", resource_path="events",
                       actor=actor, representation={"deleted": deleted}, always=True)
    return deleted


def login_events_expire() -> int:
    """Keycloak's ``eventsExpiration``: delete each realm's login events older than its setting.

    Run by the worker with every sweep. Admin events are kept (Keycloak's setting is for user
    events only); ``manage.py purge_events`` removes old ones of both kinds. One DELETE per realm
    that has a setting, each on the ``(realm, -time)`` index.
    """
    now_ms = clock.epoch() * 1000
    deleted = 0
    for realm_pk, seconds in Realm.objects.filter(events_expiration__gt=0).values_list("pk", "events_expiration"):
        count, _ = LoginEvent.objects.filter(realm_id=realm_pk, time__lt=now_ms - seconds * 1000).delete()
        deleted += count
    return deleted


def events_purge(*, days: int, realm_name: str | None = None) -> tuple[int, int]:
    """``manage.py purge_events``: delete the admin and login events older than ``days`` days (of
    every realm, or of the realm named ``realm_name``); returns how many of each."""
    cutoff_ms = (clock.epoch() - days * 86400) * 1000
    counts = []
    for model in (AdminEvent, LoginEvent):
        rows = model.objects.filter(time__lt=cutoff_ms)
        if realm_name:
            rows = rows.filter(realm__name=realm_name)
        deleted, _ = rows.delete()
        counts.append(deleted)
    return counts[0], counts[1]


def client_auth_failures_reset(*, realm_name: str, client_id: str | None = None) -> int:
    """``manage.py client_auth_reset``: forget the failed client authentications (lifting their
    lockouts) of one client id of the realm, or of all of them; returns how many records went."""
    rows = ClientAuthFailure.objects.filter(realm_name=realm_name)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    deleted, _ = rows.delete()
    return deleted


# --- spent form tokens (adminconsole.form_tokens) ------------------------------------------------


def form_token_nonce_spend(*, nonce: str, at: dt.datetime) -> bool:
    """Record a form token's nonce as spent; False when it was spent already (the primary key
    refuses the second insert, whichever worker takes it)."""
    try:
        with transaction.atomic():
            SpentFormToken.objects.create(nonce=nonce, spent_at=at)
    except IntegrityError:
        return False
    return True


def form_tokens_spent_clear(*, before: dt.datetime) -> int:
    """Forget the nonces spent before ``before`` (their tokens fail the signature's age check)."""
    with transaction.atomic():
        deleted, _ = SpentFormToken.objects.filter(spent_at__lt=before).delete()
    return deleted


def form_token_nonce_release(*, nonce: str) -> None:
    """Forget a spent nonce: its form may be sent again."""
    SpentFormToken.objects.filter(nonce=nonce).delete()
