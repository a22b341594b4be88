"""Throttling of failed client authentications at the token and introspection endpoints.

RFC 6749 §2.3.1 asks the authorization server to protect client authentication against brute
force; Keycloak has nothing for it. Here, after ``CLIENT_AUTH_FAILURE_LIMIT`` failed
authentications of one presented ``client_id`` within ``CLIENT_AUTH_FAILURE_WINDOW`` seconds,
every authentication of that ``client_id`` is refused for ``CLIENT_AUTH_LOCKOUT_SECONDS`` without
looking at the credentials.

* The counter is keyed on the ``client_id`` *as presented*, whether or not such a client exists,
  and the answer is the same either way: a lockout tells nothing about existence.
* State lives in the database (``ClientAuthFailure``), so every gunicorn worker and every instance
  share it; nothing is kept in process memory.
* Times come from the one clock (``realms.clock``); tests move it with time-machine.

Usage in an endpoint::

    blocked = client_auth_throttle_check(realm=realm, client_id=presented_id, ip=ip)
    if blocked:
        return blocked.response()          # 429 with Retry-After, before touching credentials
    ... authenticate ...
    client_auth_throttle_fail(realm=realm, client_id=presented_id, ip=ip)     # on failure
    client_auth_throttle_success(realm=realm, client_id=presented_id, ip=ip)  # on success
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse

from realms.clock import epoch
from realms.models import ClientAuthFailure, Realm

logger = logging.getLogger(__name__)

ERROR = {"error": "invalid_client", "error_description": "Too many failed client authentications; try again later"}


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds

    def response(self) -> HttpResponse:
        response = HttpResponse(json.dumps(ERROR, separators=(",", ":")), status=429, content_type="application/json")
        response["Retry-After"] = str(self.retry_after)
        response["Cache-Control"] = "no-store"
        return response


def _limit() -> int:
    return settings.CLIENT_AUTH_FAILURE_LIMIT


def _window() -> int:
    return settings.CLIENT_AUTH_FAILURE_WINDOW


def _lockout() -> int:
    return settings.CLIENT_AUTH_LOCKOUT_SECONDS


def _key(realm: Realm | str, client_id: str | None) -> dict:
    name = realm.name if isinstance(realm, Realm) else str(realm)
    return {"realm_name": name[:255], "client_id": (client_id or "")[:255]}


def client_auth_throttle_check(*, realm: Realm | str, client_id: str | None, ip: str | None = None) -> Throttled | None:
    """``Throttled`` while the presented client id is locked out, else ``None``. A read only."""
    now = epoch()
    locked_until = (
        ClientAuthFailure.objects.filter(**_key(realm, client_id), locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    if locked_until:
        return Throttled(retry_after=max(1, locked_until - now))
    return None


def client_auth_throttle_fail(*, realm: Realm | str, client_id: str | None, ip: str | None = None) -> Throttled | None:
    """Count one failed authentication; returns ``Throttled`` when this failure starts a lockout."""
    now = epoch()
    key = _key(realm, client_id)
    with transaction.atomic():
        # Rows no one needs any more: every failure sweeps them, so made-up client ids cannot pile up.
        ClientAuthFailure.objects.filter(expires_at__lt=now).delete()
        row = ClientAuthFailure.objects.select_for_update().filter(**key).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = ClientAuthFailure.objects.create(**key, failures=0, window_start=now, expires_at=now + _window())
            except IntegrityError:  # another worker created it first
                row = ClientAuthFailure.objects.select_for_update().get(**key)
        if row.window_start + _window() <= now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        started = None
        if row.failures >= _limit() and row.locked_until <= now:
            row.locked_until = now + _lockout()
            row.failures = 0
            row.window_start = now
            started = Throttled(retry_after=_lockout())
            logger.warning(
                "Client authentication locked for %ss after %s failures: realm=%s client_id=%r ip=%s",
                _lockout(), _limit(), key["realm_name"], key["client_id"], ip,
            )
        row.expires_at = max(row.window_start + _window(), row.locked_until)
        row.save(update_fields=["failures", "window_start", "locked_until", "expires_at"])
    return started


def client_auth_throttle_success(*, realm: Realm | str, client_id: str | None, ip: str | None = None) -> None:
    """A successful authentication forgets earlier failures (a lockout in force stays)."""
    ClientAuthFailure.objects.filter(**_key(realm, client_id), locked_until__lte=epoch()).delete()
