"""Admin events: recorded by services inside their transaction, with secrets masked."""

from __future__ import annotations

import json
import time
from typing import Any

from adminconsole.actor import Actor
from adminconsole.models import AdminEvent, Realm

MASK = "**********"
SECRET_KEYS = {
    "secret",
    "client_secret",
    "client.secret.rotated",
    "registrationAccessToken",
    "registration_access_token",
    "token",
    "password",
}


def mask_secrets(value: Any) -> Any:
    """A copy of a representation with every secret value replaced by the mask."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key in SECRET_KEYS and item not in (None, ""):
                masked[key] = MASK
            elif key == "value" and value.get("type") == "secret":
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
) -> AdminEvent:
    actor = actor or Actor()
    return AdminEvent.objects.create(
        time=int(time.time() * 1000),
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
