"""Who made a change and from where: carried by every service call into events and the engine."""

from __future__ import annotations

from dataclasses import dataclass

CONSOLE = "console"
ADMIN_API = "admin-api"
DYNAMIC_REGISTRATION = "dynamic-registration"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    source: str = SYSTEM
    username: str | None = None
    user_id: str | None = None
    client_id: str | None = None  # the OAuth client that acted (admin-cli, a service account, a DCR client)
    auth_realm: str | None = None
    ip_address: str | None = None
    # For dynamic registration: "bearer", "initial-access-token", "registration-access-token" or None (anonymous)
    token_kind: str | None = None

    @classmethod
    def from_request(cls, request, source: str = CONSOLE, **extra) -> "Actor":
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        return cls(
            source=source,
            username=user.get_username() if authenticated else extra.pop("username", None),
            user_id=str(user.pk) if authenticated else extra.pop("user_id", None),
            auth_realm=extra.pop("auth_realm", "master" if authenticated else None),
            ip_address=client_ip(request),
            **extra,
        )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")
