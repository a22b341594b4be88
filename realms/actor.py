"""Who made a change and from where: carried by every service call into events and the engine."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from realms import permissions

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
    # The realm-management roles the caller holds (for a token: carried and still held). None only
    # for an operator's command or the system itself, which no administrator's roles bound.
    roles: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        """An operator's command or the system: not bound by an administrator's roles. A console,
        Admin API or registration actor without ``roles`` holds none (it never counts as this)."""
        return self.source == SYSTEM and self.roles is None

    @property
    def held_roles(self) -> frozenset[str]:
        return self.roles or frozenset()

    @classmethod
    def from_request(cls, request, source: str = CONSOLE, **extra) -> Actor:
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        return cls(
            source=source,
            username=user.get_username() if authenticated else extra.pop("username", None),
            user_id=str(user.pk) if authenticated else extra.pop("user_id", None),
            auth_realm=extra.pop("auth_realm", "master" if authenticated else None),
            ip_address=client_ip(request),
            roles=extra.pop("roles", frozenset(permissions.roles_of(user)) if authenticated else frozenset()),
            **extra,
        )


def client_ip(request) -> str | None:
    """The client's address: the one and only place that decides it (events, throttling, django-axes).

    ``REMOTE_ADDR`` is the peer that opened the connection. Only when that peer is one of the
    ``TRUSTED_PROXIES`` is ``X-Forwarded-For`` read, from the right: each trusted proxy appends the
    address it saw, so the right-most entry that is not itself a trusted proxy is the client.
    Everything left of it was written by the client and could be anything. Without
    ``TRUSTED_PROXIES`` (the default) the header is ignored, so a client cannot choose its address
    and dodge a lockout or forge the address of an event.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    if not proxies or not remote:
        return remote
    networks = _trusted_networks(tuple(proxies))
    if not _in(remote, networks):
        return remote
    address = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",")):
        candidate = _address(entry.strip())
        if candidate is None:
            # Not an address: no trusted proxy wrote this, so stop at the last hop known to be real.
            return address
        address = candidate
        if not _in(candidate, networks):
            return candidate
    return address


def from_trusted_proxy(request) -> bool:
    """True when the peer (``REMOTE_ADDR``) is one of the ``TRUSTED_PROXIES``: only then do the
    headers a proxy writes about the original request (``X-Forwarded-*``, ``Forwarded``) count."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    return bool(proxies and remote) and _in(remote, _trusted_networks(tuple(proxies)))


@lru_cache(maxsize=8)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    """``TRUSTED_PROXIES`` entries are addresses or networks (``10.0.0.0/8``)."""
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _in(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
