"""Throttling of failed client authentications at the token and introspection endpoints.

RFC 6749 §2.3.1 asks the authorization server to protect client authentication against brute
force; Keycloak has nothing for it. The rules:

* Only a real credential failure counts: a wrong secret or a bad assertion signature of an
  *existing* confidential client. Requests that test no credential (a malformed request, an
  unknown ``client_assertion_type``, a public client, a missing secret) never count, so nobody can
  lock a client out with junk, and a public client (``admin-cli``) can never be locked.
* Failures are counted per (client, source address): ``CLIENT_AUTH_FAILURE_LIMIT`` failures within
  ``CLIENT_AUTH_FAILURE_WINDOW`` seconds lock that client *for that address* for
  ``CLIENT_AUTH_LOCKOUT_SECONDS``; the right secret from another address still works. A much higher
  per-client ceiling, ``CLIENT_AUTH_CLIENT_CEILING`` failures in the window from all addresses
  together, locks the client for every address (a brute force spread over many addresses).
* Made-up client ids share one counter per source address (same limit), so they cannot create rows
  without bound and an address guessing client ids is slowed down too.
* An IPv6 source counts as its /64 network: one host usually owns the whole /64.
* State lives in the database (``ClientAuthFailure``), so every gunicorn worker and every instance
  share it; nothing is kept in process memory. Times come from the one clock
  (``realms.clock``); tests move it with time-machine.

Usage (``oidc.client_auth``)::

    blocked = client_auth_failure_record(realm=realm, client_id=client_id_or_None, source=source)
    if blocked: raise blocked.error()                  # 429: a lock was already in force
    ...
    blocked = client_auth_lock_read(realm=realm, client_id=client_id, source=source)  # right secret
    client_auth_success(realm=realm, client_id=client_id, source=source)
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse

from realms.clock import epoch
from realms.errors import OAuthError
from realms.models import ClientAuthFailure, Realm

logger = logging.getLogger(__name__)

ERROR = {"error": "invalid_client", "error_description": "Too many failed client authentications; try again later"}
ALL_SOURCES = "*"  # ``source`` of a client's ceiling row
UNKNOWN_CLIENT = ""  # ``client_id`` of the per-address row counting made-up client ids (never a real id)
UNKNOWN_SOURCE = "unknown"
ROW_ATTEMPTS = 3  # reads and inserts of a counter row racing other workers before giving up


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds

    def error(self) -> OAuthError:
        """The 429 answer, in the OAuth shape, with ``Retry-After``."""
        return OAuthError(429, ERROR["error"], ERROR["error_description"],
                          headers={"Retry-After": str(self.retry_after), "Cache-Control": "no-store"})

    def response(self) -> HttpResponse:
        return self.error().response()


def _window() -> int:
    return settings.CLIENT_AUTH_FAILURE_WINDOW


def _lockout() -> int:
    return settings.CLIENT_AUTH_LOCKOUT_SECONDS


@functools.lru_cache(maxsize=4096)
def client_auth_source(ip: str | None) -> str:
    """The counter key of a client address: the address itself, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return UNKNOWN_SOURCE
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_auth_horizon(now: int | None = None) -> int:
    """The latest time a failure recorded now can still matter: a full window, then a lockout."""
    return (epoch() if now is None else now) + _window() + _lockout()


def _realm_name(realm: Realm | str) -> str:
    return (realm.name if isinstance(realm, Realm) else str(realm))[:255]


def _rows(realm: Realm | str, client_id: str | None, source: str):
    """The rows that can lock this request: (client, source) and the client's ceiling, or the
    per-address row of unknown client ids."""
    realm_name = _realm_name(realm)
    if client_id is None:
        return Q(realm_name=realm_name, client_id=UNKNOWN_CLIENT, source=source[:64])
    return Q(realm_name=realm_name, client_id=client_id[:255], source__in=[source[:64], ALL_SOURCES])


def client_auth_lock_read(*, realm: Realm | str, client_id: str | None, source: str) -> Throttled | None:
    """``Throttled`` while this client is locked for this source (or for all), else ``None``.

    One indexed read (the unique constraint's index). ``client_id`` None: an unknown client id.
    """
    now = epoch()
    locked_until = (
        ClientAuthFailure.objects.filter(_rows(realm, client_id, source), locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    if locked_until:
        return Throttled(retry_after=max(1, locked_until - now))
    return None


def client_auth_failure_record(*, realm: Realm | str, client_id: str | None, source: str) -> Throttled | None:
    """Count one credential failure; ``Throttled`` when a lock was already in force (not counted).

    ``client_id``: the existing client whose secret or signature was wrong, or None for an unknown
    (or disabled) client id. The failure that reaches a limit is answered as usual and starts the
    lockout; from the next request on, this client (for this source, or for all sources once the
    ceiling is reached) answers 429.
    """
    now = epoch()
    realm_name = _realm_name(realm)
    source = source[:64]
    if client_id is None:
        counters = [(UNKNOWN_CLIENT, source, settings.CLIENT_AUTH_FAILURE_LIMIT)]
    else:
        counters = [
            (client_id[:255], source, settings.CLIENT_AUTH_FAILURE_LIMIT),
            (client_id[:255], ALL_SOURCES, settings.CLIENT_AUTH_CLIENT_CEILING),
        ]
    with transaction.atomic():
        # Rows no one needs any more: every failure sweeps them, so stale rows cannot pile up.
        ClientAuthFailure.objects.filter(expires_at__lt=now).delete()
        rows = [(_row_locked(realm_name, cid, src, now), limit) for cid, src, limit in counters]
        locked_until = max(row.locked_until for row, _ in rows)
        if locked_until > now:
            return Throttled(retry_after=locked_until - now)  # failures during a lockout do not extend it
        for row, limit in rows:
            _count(row, limit, now)
    return None


def _row_locked(realm_name: str, client_id: str, source: str, now: int) -> ClientAuthFailure:
    key = {"realm_name": realm_name, "client_id": client_id, "source": source}
    # Another worker may create the row between our read and our insert, and a success there (or
    # the sweep) may delete it again before we read it back: read and insert once more, not 500.
    for _ in range(ROW_ATTEMPTS - 1):
        row = ClientAuthFailure.objects.select_for_update().filter(**key).first()
        if row is not None:
            return row
        try:
            with transaction.atomic():
                return ClientAuthFailure.objects.create(**key, failures=0, window_start=now, expires_at=now + _window())
        except IntegrityError:  # another worker created it first
            pass
    return ClientAuthFailure.objects.select_for_update().get(**key)


def _count(row: ClientAuthFailure, limit: int, now: int) -> None:
    if row.window_start + _window() <= now:
        row.failures, row.window_start = 0, now
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + _lockout()
        row.failures, row.window_start = 0, now
        logger.warning(
            "Client authentication locked for %ss after %s failures: realm=%s client_id=%r source=%s",
            _lockout(), limit, row.realm_name, row.client_id or "(unknown client ids)", row.source,
        )
    row.expires_at = max(row.window_start + _window(), row.locked_until)
    row.save(update_fields=["failures", "window_start", "locked_until", "expires_at"])


def client_auth_success(*, realm: Realm | str, client_id: str, source: str) -> None:
    """A correct credential forgets this source's earlier failures (a lockout in force stays; the
    ceiling's count stays too, or an attacker could reset it with one valid credential)."""
    ClientAuthFailure.objects.filter(
        realm_name=_realm_name(realm), client_id=client_id[:255], source=source[:64], locked_until__lte=epoch()
    ).delete()
