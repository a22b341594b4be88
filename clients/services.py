"""Client services: every change to a client, its secrets or roles is one call here.

Each service is one transaction whose first query locks the client row
(``select_for_update(of=("self",))``), re-checks under the lock (first of all that the actor holds
every role of the client's service account: ``clients.selectors.client_access_require``, else
``ClientAccessDenied``), fires the client-policy events
Keycloak fires for the operation, and records the admin event in the same transaction. A
``ClientPolicyError`` from the engine propagates and rolls everything back.
The console, the Admin REST API and dynamic registration all call these.
"""

from __future__ import annotations

import copy
import secrets as token_source
import uuid

from django.db import IntegrityError, transaction

from clients import crypto
from clients import secrets as secret_store
from clients.models import Client, ClientRole, ClientSecret
from clients.representations import (
    ATTR_CREATION,
    ATTR_EXPIRATION,
    ATTR_ROTATED,
    ATTR_ROTATED_CREATION,
    ATTR_ROTATED_EXPIRATION,
    ClientChanges,
    RepresentationError,
    client_representation,
    representation_apply,
    representation_parse,
)
from clients.selectors import client_access_require
from clients.signals import SECRET_COMPROMISED, SECRET_ROTATED, SECRET_ROTATED_INVALIDATED, secret_event_send
from policies.engine import Event, client_policies_trigger
from policies.errors import ClientPolicyError
from realms import clock
from realms.actor import DYNAMIC_REGISTRATION, Actor
from realms.events import admin_event_record
from realms.models import Realm

RESOURCE_CLIENT = "CLIENT"
RESOURCE_CLIENT_ROLE = "CLIENT_ROLE"
ROLE_NAME_MAX = 255


class ClientExists(Exception):
    """A clientId clash (Keycloak: 409 ``{"errorMessage": "<message>"}``)."""

    def __init__(self, message: str, client_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.client_id = client_id


class ClientHasNoSecret(Exception):
    """A secret operation on a public or bearer-only client (Admin API: 400 ``{"errorMessage": ...}``)."""

    message = "Public and bearer-only clients have no client secret"

    def __init__(self):
        super().__init__(self.message)


class ClientRoleExists(Exception):
    def __init__(self, name: str):
        self.message = f"Role with name {name} already exists"
        super().__init__(self.message)
        self.name = name


def _lock(client: Client, actor: Actor | None) -> Client:
    """The client row, locked for this transaction (the realm comes along, unlocked), once
    ``actor`` may change it: ``ClientAccessDenied`` when its service account holds roles the
    actor does not. Checked under the lock, which a grant of roles to the account also takes."""
    client = Client.objects.select_related("realm").defer("realm__extras").select_for_update(of=("self",)).get(pk=client.pk)
    client_access_require(client=client, actor=actor)
    return client


def _client_path(client: Client, suffix: str = "") -> str:
    return f"clients/{client.pk}{suffix}"


# --- create / update / delete ----------------------------------------------------------------


def client_create(*, realm: Realm, representation: dict, actor: Actor | None) -> Client:
    """Keycloak's admin create (docs/keycloak.md §3.4): REGISTER, create, REGISTERED.

    A confidential client gets a generated secret unless one is given. No clean-up step.
    Raises ``RepresentationError``, ``ClientExists`` or the engine's ``ClientPolicyError``.
    """
    representation_parse(representation, create=True)  # refuse bad input before any work
    with transaction.atomic():
        # No client row exists yet: the realm row serialises creates within the realm.
        realm = Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)
        proposed = copy.deepcopy(representation)
        client_policies_trigger(Event.REGISTER, realm=realm, client=None, representation=proposed, actor=actor)
        changes = representation_parse(proposed, create=True)  # executors may have amended it
        client_id = changes.client_id
        if Client.objects.filter(realm=realm, client_id=client_id).exists() or (
            changes.id and Client.objects.filter(pk=changes.id).exists()
        ):
            raise ClientExists(f"Client {client_id} already exists", client_id)
        client = Client(realm=realm, id=changes.id or uuid.uuid4())
        representation_apply(client, changes)
        try:
            with transaction.atomic():
                client.save(force_insert=True)
        except IntegrityError as exc:
            raise ClientExists(f"Client {client_id} already exists", client_id) from exc
        now = clock.epoch()
        if changes.secret is not None:
            # A supplied secret is stored as given (docs/keycloak.md §6.3).
            secret_store.secret_replace_value(client, changes.secret, now=now)
        elif client.has_secret_type:
            secret_store.secret_set_current(client, now=now)
        _apply_secret_attributes(client, changes, now=now)
        client_policies_trigger(
            Event.REGISTERED, realm=realm, client=client, representation=proposed, actor=actor, now=now
        )
        admin_event_record(
            realm=realm,
            operation="CREATE",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client),
            actor=actor,
            representation=proposed,
        )
    return client


def client_update(*, client: Client, representation: dict, actor: Actor | None) -> Client:
    """Keycloak's admin update (docs/keycloak.md §3.3): UPDATE, merge, UPDATED, clean-up.

    Partial: only the fields sent change; attributes merge. Public and bearer-only clients lose
    their secret; a confidential client without one gets one. ``client.secret.*`` attributes
    sent write the secret rows. If no ``secret-rotation`` executor ran, the rotation info is
    removed (the clean-up rule).
    """
    representation_parse(representation)
    with transaction.atomic():
        client = _lock(client, actor)
        realm = client.realm
        proposed = copy.deepcopy(representation)
        client_policies_trigger(Event.UPDATE, realm=realm, client=client, representation=proposed, actor=actor)
        changes = representation_parse(proposed)
        new_client_id = changes.client_id
        if (
            new_client_id
            and new_client_id != client.client_id
            and Client.objects.filter(realm=realm, client_id=new_client_id).exclude(pk=client.pk).exists()
        ):
            raise ClientExists("Client already exists", new_client_id)
        representation_apply(client, changes)
        try:
            with transaction.atomic():
                client.save()
        except IntegrityError as exc:
            raise ClientExists("Client already exists", new_client_id) from exc
        now = clock.epoch()
        if not client.has_secret_type:
            secret_store.secret_clear(client)
        else:
            current = secret_store.secret_get(client, ClientSecret.CURRENT)
            if changes.secret is not None:
                if not crypto.secrets_equal(changes.secret, secret_store.secret_value(current)):
                    secret_store.secret_replace_value(client, changes.secret, now=now)
            elif current is None:
                secret_store.secret_set_current(client, now=now)
            _apply_secret_attributes(client, changes, now=now)
        result = client_policies_trigger(
            Event.UPDATED, realm=realm, client=client, representation=proposed, actor=actor, now=now
        )
        # The clean-up rule belongs to admin updates; a dynamic-registration update has none.
        is_dcr = getattr(actor, "source", None) == DYNAMIC_REGISTRATION
        if not result.rotation_enabled and not is_dcr:
            secret_store.secret_remove_rotation_info(client)
        admin_event_record(
            realm=realm,
            operation="UPDATE",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client),
            actor=actor,
            representation=proposed,
        )
    return client


BUILT_IN_CLIENT = "realm-management"


def client_delete(*, client: Client, actor: Actor | None) -> None:
    """UNREGISTER (a policy may refuse), then delete the client with its secrets and roles."""
    with transaction.atomic():
        client = _lock(client, actor)
        realm = client.realm
        if client.client_id == BUILT_IN_CLIENT and client.bearer_only:
            # Its roles are the administrators' roles (users.services): it stays.
            raise ClientPolicyError("invalid_request", f"Cannot delete the built-in client {BUILT_IN_CLIENT}")
        client_policies_trigger(Event.UNREGISTER, realm=realm, client=client, representation=None, actor=actor)
        admin_event_record(
            realm=realm,
            operation="DELETE",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client),
            actor=actor,
        )
        client.delete()


def _apply_secret_attributes(client: Client, changes: ClientChanges, *, now: int) -> None:
    """Write ``client.secret.*`` attributes sent in a representation onto the secret rows.

    Keycloak lets an admin write these attributes directly; here they are the rows' columns.
    The current secret's creation time cannot be removed (a row always has one). Removing the
    rotated secret's value or creation time removes the rotated secret ("has rotated secret"
    needs both).
    """
    sent = changes.secret_attributes
    if not sent:
        return
    if sent.get(ATTR_CREATION) is not None:
        secret_store.secret_set_created(client=client, kind=ClientSecret.CURRENT, created_time=sent[ATTR_CREATION])
    if ATTR_EXPIRATION in sent:
        secret_store.secret_set_expiration(client, sent[ATTR_EXPIRATION])
    if (ATTR_ROTATED in sent and sent[ATTR_ROTATED] is None) or (
        ATTR_ROTATED_CREATION in sent and sent[ATTR_ROTATED_CREATION] is None
    ):
        secret_store.secret_remove_rotated(client)
        return
    if sent.get(ATTR_ROTATED) is not None:
        secret_store.secret_rotated_replace_value(
            client=client,
            value=sent[ATTR_ROTATED],
            created_time=sent.get(ATTR_ROTATED_CREATION) or now,
            expiration_time=sent.get(ATTR_ROTATED_EXPIRATION),
        )
    if sent.get(ATTR_ROTATED_CREATION) is not None:
        secret_store.secret_set_created(
            client=client, kind=ClientSecret.ROTATED, created_time=sent[ATTR_ROTATED_CREATION]
        )
    if ATTR_ROTATED_EXPIRATION in sent:
        secret_store.secret_set_expiration(client, sent[ATTR_ROTATED_EXPIRATION], kind=ClientSecret.ROTATED)


# --- secrets ---------------------------------------------------------------------------------


def _secret_renew(client: Client, *, actor: Actor | None, now: int) -> tuple[str, bool]:
    """Re-generate's core, for a client locked by the caller: capture the old secret, store a new
    one, fire ``UPDATED`` in the regenerate context (a ``secret-rotation`` executor keeps the old
    secret as the rotated one), and remove the rotation info when no such executor ran. Returns
    the new secret and whether a ``secret-rotation`` executor ran."""
    snapshot = client_representation(client, include_secret=True)
    old_secret = secret_store.secret_value(secret_store.secret_get(client, ClientSecret.CURRENT))
    new_secret = secret_store.secret_set_current(client, now=now)
    result = client_policies_trigger(
        Event.UPDATED,
        realm=client.realm,
        client=client,
        representation=snapshot,
        actor=actor,
        old_secret=old_secret,
        regenerate=True,
        now=now,
    )
    if not result.rotation_enabled:
        secret_store.secret_remove_rotation_info(client)
    return new_secret, result.rotation_enabled


def client_secret_regenerate(*, client: Client, actor: Actor | None) -> str:
    """Keycloak's ``POST .../client-secret`` (docs/keycloak.md §3.2). Returns the new secret.

    Refused for public and bearer-only clients (``ClientHasNoSecret``). The work is
    ``_secret_renew``.
    """
    return client_secret_regenerate_rotating(client=client, actor=actor)[0]


def client_secret_regenerate_rotating(*, client: Client, actor: Actor | None) -> tuple[str, bool]:
    """``client_secret_regenerate``, also telling whether a ``secret-rotation`` executor ran (so
    the old secret was kept as the rotated one): automatic rotation rolls back when none did."""
    with transaction.atomic():
        client = _lock(client, actor)
        if not client.has_secret_type:
            # A secret here would authenticate a client meant to have none.
            raise ClientHasNoSecret()
        new_secret, rotation_enabled = _secret_renew(client, actor=actor, now=clock.epoch())
        admin_event_record(
            realm=client.realm,
            operation="ACTION",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client, "/client-secret"),
            actor=actor,
            representation={"type": "secret", "value": new_secret},
        )
        secret_event_send(event_type=SECRET_ROTATED, client=client)
    return new_secret, rotation_enabled


def client_rotated_secret_invalidate(*, client: Client, actor: Actor | None) -> bool:
    """Keycloak's ``DELETE .../client-secret/rotated``: drop the rotated secret, if any.

    Idempotent; returns whether a rotated secret was removed (only then is an event recorded).
    """
    with transaction.atomic():
        client = _lock(client, actor)
        removed = secret_store.secret_remove_rotated(client)
        if removed:
            admin_event_record(
                realm=client.realm,
                operation="DELETE",
                resource_type=RESOURCE_CLIENT,
                resource_path=_client_path(client, "/client-secret/rotated"),
                actor=actor,
                representation={"type": "secret", "value": "removed"},
            )
            secret_event_send(event_type=SECRET_ROTATED_INVALIDATED, client=client)
    return removed


def client_secret_compromised(*, client: Client, actor: Actor | None) -> str:
    """The "Secret compromised" kill switch. Returns the new secret.

    In one transaction: a new secret as Re-generate makes it (the same client policies run, so a
    ``secret-rotation`` executor still stamps the new secret's expiry), the rotated secret dropped
    at once whatever the rotation policy says (the old secret is the leaked one: no overlap), and
    the client's ``notBefore`` moved past this second, so every token issued to the client until
    now, in this very second too, is refused wherever a token is accepted
    (``oidc.sessions.token_stale``). One admin event records it.

    Refused for public and bearer-only clients (``ClientHasNoSecret``).
    """
    with transaction.atomic():
        client = _lock(client, actor)
        if not client.has_secret_type:
            raise ClientHasNoSecret()
        now = clock.epoch()
        new_secret, _ = _secret_renew(client, actor=actor, now=now)
        secret_store.secret_remove_rotated(client)
        # Tokens compare whole seconds and Keycloak refuses only ``iat < notBefore``: a token
        # minted earlier in this second with the leaked secret must die too. No one holds the new
        # secret yet, so nothing legitimate is issued in the second skipped.
        client.not_before = max(client.not_before, now + 1)
        Client.objects.filter(pk=client.pk).update(not_before=client.not_before)
        admin_event_record(
            realm=client.realm,
            operation="ACTION",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client, "/client-secret/compromised"),
            actor=actor,
            representation={"type": "secret", "value": new_secret, "notBefore": client.not_before},
        )
        secret_event_send(event_type=SECRET_COMPROMISED, client=client)
    return new_secret


# --- registration access token ---------------------------------------------------------------


def registration_token_issue(client: Client) -> str:
    """A new opaque registration access token; only its SHA-256 digest is stored.

    Low-level: the caller holds the client's lock inside its transaction (dynamic registration
    calls this right after creating a client). The previous token stops working.
    """
    token = token_source.token_urlsafe(48)
    client.registration_token_digest = crypto.token_digest(token)
    Client.objects.filter(pk=client.pk).update(registration_token_digest=client.registration_token_digest)
    return token


def client_registration_token_regenerate(*, client: Client, actor: Actor | None) -> tuple[Client, str]:
    """Keycloak's ``POST .../registration-access-token``: returns the client as stored now (read
    under its lock) and the new token, shown once."""
    with transaction.atomic():
        client = _lock(client, actor)
        token = registration_token_issue(client)
        admin_event_record(
            realm=client.realm,
            operation="ACTION",
            resource_type=RESOURCE_CLIENT,
            resource_path=_client_path(client, "/registration-access-token"),
            actor=actor,
            representation={**client_representation(client, include_secret=False), "registrationAccessToken": token},
        )
    return client, token


# --- roles -----------------------------------------------------------------------------------


def _role_name(name: str) -> str:
    if not isinstance(name, str):
        raise RepresentationError("Role name must be a string", field="name", error="invalid_request")
    name = name.strip()
    if not name:
        raise RepresentationError("Role name is required", field="name")
    if len(name) > ROLE_NAME_MAX:
        raise RepresentationError(f"Role name is too long (at most {ROLE_NAME_MAX} characters)", field="name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise RepresentationError("Role name contains invalid characters", field="name")
    return name


ROLE_ATTRIBUTES_MAX = 100
ROLE_ATTRIBUTE_VALUE_MAX = 255  # Keycloak's ROLE_ATTRIBUTE.VALUE column


def _role_description(description: str | None) -> str:
    description = description or ""
    if len(description) > 1024:
        raise RepresentationError("Description is too long (at most 1024 characters)", field="description")
    return description


def _role_attributes(attributes) -> dict[str, list[str]]:
    """Keycloak's role attributes: an object of names to lists of strings (a lone string is one value)."""
    if attributes is None:
        return {}
    if not isinstance(attributes, dict) or len(attributes) > ROLE_ATTRIBUTES_MAX:
        raise RepresentationError(f"attributes must be an object of at most {ROLE_ATTRIBUTES_MAX} names", field="attributes",
                                  error="invalid_request")
    cleaned: dict[str, list[str]] = {}
    for key, values in attributes.items():
        values = [values] if isinstance(values, str) else values
        if (
            not key.strip() or len(key) > ROLE_NAME_MAX or "\x00" in key
            or not isinstance(values, list) or len(values) > ROLE_ATTRIBUTES_MAX
            or not all(isinstance(v, str) and len(v) <= ROLE_ATTRIBUTE_VALUE_MAX and "\x00" not in v for v in values)
        ):
            raise RepresentationError(f"Invalid value for attribute '{key[:64]}'", field="attributes", error="invalid_request")
        cleaned[key] = list(values)
    return cleaned


def client_role_create(
    *, client: Client, name: str, description: str = "", attributes: dict | None = None, actor: Actor | None
) -> ClientRole:
    """A client role. Adding a role fires no client-policy event (docs/keycloak.md §4.2)."""
    name = _role_name(name)
    description = _role_description(description)
    attributes = _role_attributes(attributes)
    with transaction.atomic():
        client = _lock(client, actor)
        if ClientRole.objects.filter(client=client, name=name).exists():
            raise ClientRoleExists(name)
        try:
            with transaction.atomic():
                role = ClientRole.objects.create(client=client, name=name, description=description, attributes=attributes)
        except IntegrityError as exc:
            raise ClientRoleExists(name) from exc
        admin_event_record(
            realm=client.realm,
            operation="CREATE",
            resource_type=RESOURCE_CLIENT_ROLE,
            resource_path=_client_path(client, f"/roles/{name}"),
            actor=actor,
            representation={"name": name, "description": description, "composite": False, "clientRole": True, "containerId": str(client.pk)},
        )
    return role


def client_role_update(
    *, role: ClientRole, name: str | None, description: str | None, attributes: dict | None, actor: Actor | None
) -> ClientRole:
    """Keycloak's role update: a new ``name`` renames the role (409 when the client has one of that
    name), ``description`` is replaced (absent clears it), ``attributes`` replace the stored ones
    when sent. Returns the updated role; ``ClientRole.DoesNotExist`` when it was deleted meanwhile."""
    new_name = role.name if name is None else _role_name(name)
    description = _role_description(description)
    cleaned = None if attributes is None else _role_attributes(attributes)
    with transaction.atomic():
        client = _lock(role.client, actor)
        locked = ClientRole.objects.select_for_update(of=("self",)).get(pk=role.pk, client=client)
        if new_name != locked.name and ClientRole.objects.filter(client=client, name=new_name).exists():
            raise ClientRoleExists(new_name)
        old_name = locked.name
        locked.name, locked.description = new_name, description
        if cleaned is not None:
            locked.attributes = cleaned
        locked.save(update_fields=["name", "description", "attributes"])
        admin_event_record(
            realm=client.realm,
            operation="UPDATE",
            resource_type=RESOURCE_CLIENT_ROLE,
            resource_path=_client_path(client, f"/roles/{old_name}"),
            actor=actor,
            representation={"id": str(locked.pk), "name": new_name, "description": description, "composite": False,
                            "clientRole": True, "containerId": str(client.pk), "attributes": locked.attributes},
        )
    return locked


def client_role_delete(*, role: ClientRole, actor: Actor | None) -> bool:
    """Delete a client role; returns False when it was already gone."""
    with transaction.atomic():
        client = _lock(role.client, actor)
        locked = ClientRole.objects.filter(pk=role.pk, client=client).first()
        if locked is None:
            return False
        admin_event_record(
            realm=client.realm,
            operation="DELETE",
            resource_type=RESOURCE_CLIENT_ROLE,
            resource_path=_client_path(client, f"/roles/{locked.name}"),
            actor=actor,
        )
        locked.delete()
    return True
