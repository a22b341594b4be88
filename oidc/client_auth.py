"""Client authentication of a request to the token, introspection and logout endpoints.

Reads the credentials from the request and hands them to the product's one secret check,
``clients.authentication`` (current secret, or the rotated one until it expires; an expired
current secret refuses both; records which secret was used, at most once a minute):

* ``client_secret_basic`` / ``client_secret_post`` (and public clients by ``client_id`` alone):
  form values win over the Basic header, as in Keycloak; the Basic pair is decoded by Authlib;
* ``client_secret_jwt``: an HMAC-signed ``client_assertion`` (verified with joserfc by
  ``client_assertion_verify_secret_jwt``); its ``jti`` is single-use across every worker
  (``UsedClientAssertion`` rows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from django.conf import settings
from django.db import IntegrityError, transaction
from joserfc import jws
from joserfc.errors import JoseError

from realms import clock
from realms.actor import client_ip
from realms.events import login_event_record
from realms.models import Realm
from realms.throttle import client_auth_throttle_check, client_auth_throttle_fail, client_auth_throttle_success
from clients.authentication import (
    ClientAuthError,
    client_assertion_verify_secret_jwt,
    client_authenticate,
)
from clients.models import Client
from oidc import client_cache
from oidc.http import OAuthError
from oidc.models import UsedClientAssertion


@dataclass
class Authenticated:
    client: Client
    method: str  # client_secret_basic, client_secret_post, client_secret_jwt or none (public client)
    matched: str | None  # "current", "rotated" or None (public client)


def presented_client_id(request) -> str | None:
    """The client id the caller claims to be (form, Basic header or assertion subject), unverified."""
    form = request.POST
    if form.get("client_id"):
        return form["client_id"]
    basic_id, _ = extract_basic_authorization(request.headers)
    if basic_id:
        return basic_id
    assertion = form.get("client_assertion")
    if assertion:
        try:
            subject = json.loads(jws.extract_compact(assertion.encode("ascii")).payload).get("sub")
        except (JoseError, ValueError, UnicodeError, AttributeError):
            return None
        return subject if isinstance(subject, str) else None
    return None


def request_client_authenticate(request, realm: Realm, *, audiences: tuple[str, ...], endpoint: str = "token") -> Authenticated:
    """Authenticate the client of an endpoint request; raises ``OAuthError`` in Keycloak's shapes.

    Failed authentications count towards the per-client-id lockout (``realms.throttle``,
    429 while locked) and are recorded as ``CLIENT_LOGIN_ERROR`` events; successes as
    ``CLIENT_LOGIN`` with the secret that matched (see ``_record_success``).
    """
    presented = presented_client_id(request)
    ip = client_ip(request)
    key = (realm.pk, presented)
    if _failures_seen(key):
        blocked = client_auth_throttle_check(realm=realm, client_id=presented, ip=ip)
        if blocked is not None:
            raise OAuthError(429, "invalid_client", "Too many failed client authentications; try again later",
                             headers={"Retry-After": str(blocked.retry_after), "Cache-Control": "no-store"})
    details = {"endpoint": endpoint, "grant_type": request.POST.get("grant_type") or None}
    try:
        authenticated = _authenticate(request, realm, audiences=audiences)
    except OAuthError as exc:
        if exc.status in (400, 401):
            client_auth_throttle_fail(realm=realm, client_id=presented, ip=ip)
            if len(_failed_here) >= 10_000:  # made-up client ids must not grow it without bound
                _failed_here.clear()
            _failed_here[key] = clock.epoch()
            login_event_record(realm=realm, client_id=presented, success=False, ip_address=ip,
                               error=exc.error, details={**details, "method": _method_of(request)})
        raise
    if _failed_here.pop(key, None) is not None:
        client_auth_throttle_success(realm=realm, client_id=presented, ip=ip)
    _record_success(realm, authenticated, ip=ip, details={**details, "method": authenticated.method})
    return authenticated


def _failures_seen(key: tuple) -> bool:
    """Whether the lockout state must be read for this client id.

    The lockout (``realms.throttle``) lives in the database, shared by every worker. Reading
    it on every grant would be a query per grant, so a worker reads it once it has itself seen a
    failed authentication of that client id (within the failure window plus the lockout): brute
    force fails, so every worker it reaches reads the lock from its first failure on. A worker
    that never saw a failure of that id lets a correct secret through, which gives an attacker
    at most one unchecked guess per worker.
    """
    seen = _failed_here.get(key)
    if seen is None:
        return False
    if clock.epoch() - seen > settings.CLIENT_AUTH_FAILURE_WINDOW + settings.CLIENT_AUTH_LOCKOUT_SECONDS:
        _failed_here.pop(key, None)
        return False
    return True


def _method_of(request) -> str:
    form = request.POST
    if form.get("client_assertion") or form.get("client_assertion_type"):
        return "client_secret_jwt"
    if form.get("client_secret"):
        return "client_secret_post"
    if request.headers.get("Authorization", "").lower().startswith("basic "):
        return "client_secret_basic"
    return "none"


# (realm pk, presented client id) -> epoch of a failed authentication in this process
_failed_here: dict[tuple, int] = {}
# (client pk, secret kind) -> epoch of the last CLIENT_LOGIN recorded by this process
_last_recorded: dict[tuple, int] = {}
SUCCESS_EVENT_INTERVAL = 60


def _record_success(realm: Realm, authenticated: Authenticated, *, ip: str | None, details: dict) -> None:
    """One ``CLIENT_LOGIN`` event per client secret per minute per worker (public clients: always).

    Recording every grant would put an INSERT on every token request; like ``last_used_time``,
    a minute's granularity is enough to see which secret clients still use.
    """
    now = clock.epoch()
    if authenticated.matched is not None:
        key = (authenticated.client.pk, authenticated.matched)
        if now - _last_recorded.get(key, 0) < SUCCESS_EVENT_INTERVAL:
            return
        _last_recorded[key] = now
    login_event_record(realm=realm, client_id=authenticated.client.client_id, success=True, ip_address=ip,
                       secret_used=authenticated.matched, details=details)


def _authenticate(request, realm: Realm, *, audiences: tuple[str, ...]) -> Authenticated:
    form = request.POST
    try:
        if form.get("client_assertion_type") or form.get("client_assertion"):
            result = client_assertion_verify_secret_jwt(
                realm=realm,
                client_assertion_type=form.get("client_assertion_type") or None,
                client_assertion=form.get("client_assertion") or None,
                audiences=audiences,
                client_id=form.get("client_id") or None,
                jti_register=assertion_jti_register,
            )
            return Authenticated(client=result.client, method="client_secret_jwt", matched=result.matched)

        basic_id, basic_secret = extract_basic_authorization(request.headers)
        form_id = form.get("client_id") or None
        if form_id is None and basic_id is None and request.headers.get("Authorization"):
            # A non-Basic Authorization header and no client_id: Keycloak's empty 401 challenge.
            raise OAuthError(401, "invalid_client", headers={"WWW-Authenticate": f'Basic realm="{realm.name}"'}, body=False)
        client_id = form_id or basic_id
        if form.get("client_secret"):
            secret, method = form["client_secret"], "client_secret_post"
        elif basic_secret and (form_id is None or form_id == basic_id):
            secret, method = basic_secret, "client_secret_basic"
        else:
            secret, method = None, "client_secret_post"
        result = _authenticate_by_secret(realm=realm, client_id=client_id, client_secret=secret, method=method)
    except ClientAuthError as exc:
        raise OAuthError(exc.status, exc.error, exc.error_description) from None
    return Authenticated(client=result.client, method=method if result.matched else "none", matched=result.matched)


def _authenticate_by_secret(*, realm: Realm, client_id, client_secret, method):
    """``client_authenticate`` with the per-worker client cache; a refusal is never decided from it."""
    if not client_cache.enabled():
        return client_authenticate(realm=realm, client_id=client_id, client_secret=client_secret, method=method)
    lookup = client_cache.CachedLookup()
    try:
        return client_authenticate(realm=realm, client_id=client_id, client_secret=client_secret, method=method, lookup=lookup)
    except ClientAuthError:
        if not lookup.hit:
            raise
    client_cache.forget(realm=realm, client_id=client_id)
    return client_authenticate(realm=realm, client_id=client_id, client_secret=client_secret, method=method)


def assertion_jti_register(key: str, lifespan: int) -> bool:
    """Remember an assertion id for ``lifespan`` seconds; False when it was already used."""
    now = clock.epoch()
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.filter(expires__lt=now).delete()
            UsedClientAssertion.objects.create(key=key[:320], expires=now + max(int(lifespan), 1))
    except IntegrityError:
        return False
    return True
