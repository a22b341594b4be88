"""Admin events: recorded by services inside their transaction, with secrets masked."""

from __future__ import annotations

import json
from typing import Any

from realms import clock
from realms.actor import Actor
from realms.models import AdminEvent, LoginEvent, Realm

MASK = "**********"
SECRET_KEYS = {
    "secret",
    "client_secret",
    "client.secret.rotated",
    "registrationAccessToken",
    "registration_access_token",
    "token",
    "password",
    "initialAccessToken",
    "initial_access_token",
    "access_token",
    "refresh_token",
    "id_token",
    "client_assertion",
    "privateKey",
    "private_key",
}

# Keycloak's operation types, and the resource types this product records (the console's filter).
OPERATION_TYPES = ["CREATE", "UPDATE", "DELETE", "ACTION"]
RESOURCE_TYPES = [
    "REALM",
    "REALM_KEY",
    "CLIENT",
    "CLIENT_ROLE",
    "CLIENT_POLICY",
    "CLIENT_PROFILE",
    "CLIENT_INITIAL_ACCESS_MODEL",
    "WEBHOOK",
    # Not Keycloak's: the Secret expiry settings, and the worker's warnings and refused rotations.
    "REALM_SECRET_EXPIRY",
    "CLIENT_SECRET_EXPIRY",
]


def mask_secrets(value: Any) -> Any:
    """A copy of a representation with every secret value replaced by the mask."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key in SECRET_KEYS and item not in (None, "") or key == "value" and value.get("type") == "secret":
                masked[key] = MASK
            else:
                masked[key] = mask_secrets(item)
        return masked
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def admin_event_record(
    *,
    realm: Realm,
    operation: str,
    resource_type: str,
    resource_path: str,
    actor: Actor | None,
    representation: Any = None,
    always: bool = False,
) -> AdminEvent | None:
    """Record one admin event, as the realm's event settings say (``None`` when they say not to).

    ``adminEventsEnabled`` false records nothing; ``adminEventsDetailsEnabled`` false records the
    event without its representation. ``always`` is for changes to the event settings and the
    clearing of events: they are recorded whatever the settings say, so the trail shows who
    turned it off or emptied it.
    """
    if not (always or realm.admin_events_enabled):
        return None
    if not realm.admin_events_details_enabled:
        representation = None
    actor = actor or Actor()
    return AdminEvent.objects.create(
        time=int(clock.seconds() * 1000),
        realm=realm,
        operation_type=operation,
        resource_type=resource_type,
        resource_path=resource_path,
        source=actor.source,
        auth_realm=actor.auth_realm or "",
        auth_user_id=actor.user_id or "",
        auth_username=actor.username or "",
        auth_client_id=actor.client_id or "",
        ip_address=actor.ip_address or "",
        representation=json.dumps(mask_secrets(representation), separators=(",", ":")) if representation is not None else "",
    )


def login_event_record(
    *,
    realm: Realm,
    client_id: str | None,
    success: bool,
    ip_address: str | None = None,
    secret_used: str | None = None,
    error: str | None = None,
    details: dict | None = None,
) -> LoginEvent | None:
    """Record one client authentication at the token or introspection endpoint.

    ``client_id`` is the id the caller presented (it may name no client). ``secret_used`` is
    ``"current"`` or ``"rotated"``: which of the client's secrets matched, never the secret.
    ``details`` (e.g. ``{"endpoint": "token", "grant_type": "client_credentials"}``) is masked too.
    One insert: call it outside a transaction that may roll back (a failed authentication must be
    recorded even when the request's other work is undone).
    """
    if secret_used not in (None, "", "current", "rotated"):
        raise ValueError(f"secret_used must be 'current' or 'rotated', not {secret_used!r}")
    event_type = LoginEvent.CLIENT_LOGIN if success else LoginEvent.CLIENT_LOGIN_ERROR
    if not login_event_wanted(realm, event_type):
        return None
    return LoginEvent.objects.create(
        time=int(clock.seconds() * 1000),
        realm=realm,
        type=event_type,
        client_id=(client_id or "").replace("\x00", "")[:255],
        secret_used=secret_used or "",
        error=(error or "").replace("\x00", "")[:255],
        ip_address=(ip_address or "")[:64],
        details=mask_secrets(details or {}),
    )


def login_event_wanted(realm: Realm, event_type: str) -> bool:
    """Keycloak's ``eventsEnabled`` and ``enabledEventTypes`` (an empty list: every type)."""
    return realm.events_enabled and (not realm.enabled_event_types or event_type in realm.enabled_event_types)
