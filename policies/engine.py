"""The client-policy engine's entry point. (Stub: the engine issue fills in evaluation.)

Services call ``client_policies_trigger`` with an event and a context; it raises
``ClientPolicyError`` to refuse the operation (the caller's transaction rolls back) and returns a
``TriggerResult`` telling whether a ``secret-rotation`` executor ran (Keycloak's per-request
"rotation enabled" flag, which decides the clean-up rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Event(StrEnum):
    REGISTER = "REGISTER"
    REGISTERED = "REGISTERED"
    UPDATE = "UPDATE"
    UPDATED = "UPDATED"
    VIEW = "VIEW"
    UNREGISTER = "UNREGISTER"
    AUTHORIZATION_REQUEST = "AUTHORIZATION_REQUEST"
    TOKEN_REQUEST = "TOKEN_REQUEST"
    SERVICE_ACCOUNT_TOKEN_REQUEST = "SERVICE_ACCOUNT_TOKEN_REQUEST"
    TOKEN_REFRESH = "TOKEN_REFRESH"
    TOKEN_INTROSPECT = "TOKEN_INTROSPECT"


class ClientPolicyError(Exception):
    """A refusal by a condition or executor; Keycloak answers {"error", "error_description"}."""

    def __init__(self, error: str, error_description: str):
        super().__init__(error_description)
        self.error = error
        self.error_description = error_description


@dataclass
class PolicyContext:
    event: Event
    realm: Any
    client: Any = None  # the stored client (None on REGISTER)
    representation: dict | None = None  # the proposed Keycloak ClientRepresentation
    actor: Any = None  # adminconsole.actor.Actor: source (console/admin-api/dynamic-registration), token kind
    old_secret: str | None = None  # set only for the regenerate-secret context
    regenerate: bool = False
    rotation_enabled: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class TriggerResult:
    rotation_enabled: bool = False


def client_policies_trigger(event: Event, **context) -> TriggerResult:
    """Run the realm's enabled policies for ``event``. Stub: no policy acts yet."""
    return TriggerResult(rotation_enabled=False)
