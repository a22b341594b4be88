"""Client authentication of a request to the token, introspection and logout endpoints.

Reads the credentials from the request and hands them to the product's one secret check,
``clients.authentication`` (current secret, or the rotated one until it expires; an expired
current secret refuses both; counts the uses of each secret and the caller's address, written
at most once a minute per secret per worker):

* ``client_secret_basic`` / ``client_secret_post`` (and public clients by ``client_id`` alone):
  a form ``client_secret`` wins over the Basic header's, as in Keycloak; a form ``client_id`` that
  differs from the Basic header's is refused; the Basic pair is decoded by Authlib;
* ``client_secret_jwt``: an HMAC-signed ``client_assertion`` (verified with joserfc by
  ``client_assertion_verify_secret_jwt``); its ``jti`` is single-use across every worker
  (``oidc.services.assertion_jti_register``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from joserfc import jws
from joserfc.errors import JoseError

from clients.authentication import (
    ClientAuthError,
    client_assertion_verify_secret_jwt,
    client_auth_failures_mark,
    client_authenticate,
)
from clients.models import Client
from oidc import client_cache
from oidc.services import assertion_jti_register
from realms import clock
from realms.actor import client_ip
from realms.errors import OAuthError
from realms.events import login_event_record
from realms.models import Realm
from realms.throttle import (
    Throttled,
    client_auth_failure_record,
    client_auth_horizon,
    client_auth_lock_read,
    client_auth_source,
    client_auth_success,
)


@dataclass
class Authenticated:
    client: Client
    method: str  # client_secret_basic, client_secret_post, client_secret_jwt or none (public client)
    matched: str | None  # "current", "rotated" or None (public client)


def basic_credentials(request) -> tuple[str | None, str | None]:
    """(client id, secret) of an ``Authorization: Basic`` header; (None, None) when there is none,
    or when it does not decode (bad base64, or bytes that are not UTF-8: a 4xx, never a crash)."""
    try:
        # The header alone, from META: building request.headers costs more than the rest of this.
        client_id, secret = extract_basic_authorization({"Authorization": request.META.get("HTTP_AUTHORIZATION")})
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None, None
    # A NUL can hide inside the base64 (or Authlib's %-decoding) past the request-level NUL check;
    # no client id or secret holds one, and PostgreSQL refuses it in text.
    if "\x00" in (client_id or "") or "\x00" in (secret or ""):
        return None, None
    return client_id, secret


def presented_client_id(request) -> str | None:
    """The client id the caller claims to be (form, Basic header or assertion subject), unverified."""
    form = request.POST
    if form.get("client_id"):
        return form["client_id"]
    basic_id, _ = basic_credentials(request)
    if basic_id:
        return basic_id
    assertion = form.get("client_assertion")
    if assertion:
        try:
            subject = json.loads(jws.extract_compact(assertion.encode("ascii")).payload).get("sub")
        except (JoseError, ValueError, UnicodeError, AttributeError, RecursionError):
            return None
        return subject if isinstance(subject, str) and "\x00" not in subject else None
    return None


def request_source(request) -> str:
    """The throttle's key for where a request comes from: the one place that picks the address."""
    return client_auth_source(client_ip(request))


def request_client_authenticate(
    request, realm: Realm, *, audiences: tuple[str, ...], endpoint: str = "token", record_success: bool = True
) -> Authenticated:
    """Authenticate the client of an endpoint request; raises ``OAuthError`` in Keycloak's shapes
    (a refused credential is ``ClientAuthError``, answered as it stands).

    Brute-force throttling (``realms.throttle``): a wrong secret or signature of an existing
    client counts per (client, source address) and per client; an unknown client id per source
    address; nothing else counts. A failure while a lock is in force answers 429. A correct
    credential reads the lockout state only while the client row says failures are on record
    (``Client.auth_failures_until``): every worker sees that row change at once, so the lock holds
    in every worker, and a grant with no recent failures costs no extra query.
    Failures are recorded as ``CLIENT_LOGIN_ERROR`` events; successes as ``CLIENT_LOGIN`` with the
    secret that matched (see ``_record_success``).
    """
    presented = presented_client_id(request)
    ip = client_ip(request)
    source = request_source(request)
    details = {"endpoint": endpoint, "grant_type": request.POST.get("grant_type") or None}
    try:
        authenticated = _authenticate(request, realm, audiences=audiences, ip=ip)
    except ClientAuthError as exc:
        blocked = _failure_count(realm, exc, source)
        if blocked is not None:
            raise blocked.error() from None
        login_event_record(realm=realm, client_id=presented, success=False, ip_address=ip,
                           error=exc.error, details={**details, "method": _method_of(request)})
        raise
    except OAuthError as exc:
        login_event_record(realm=realm, client_id=presented, success=False, ip_address=ip,
                           error=exc.error, details={**details, "method": _method_of(request)})
        raise
    client = authenticated.client
    if authenticated.matched is not None and client.auth_failures_until >= clock.epoch():
        blocked = client_auth_lock_read(realm=realm, client_id=client.client_id, source=source)
        if blocked is not None:
            raise blocked.error()
        client_auth_success(realm=realm, client_id=client.client_id, source=source)
    if record_success:
        _record_success(realm, authenticated, ip=ip, details={**details, "method": authenticated.method})
    return authenticated


def client_login_outcome_record(request, realm: Realm, authenticated: Authenticated, *, endpoint: str, error: str | None) -> None:
    """For a caller that authenticated with ``record_success=False``: the request's outcome once
    known. A request refused after the client authenticated (a grant the client may not use, a
    client policy's refusal) is a ``CLIENT_LOGIN_ERROR`` with the error, not a ``CLIENT_LOGIN``."""
    details = {"endpoint": endpoint, "grant_type": request.POST.get("grant_type") or None, "method": authenticated.method}
    ip = client_ip(request)
    if error is None:
        _record_success(realm, authenticated, ip=ip, details=details)
    else:
        login_event_record(realm=realm, client_id=authenticated.client.client_id, success=False, ip_address=ip,
                           secret_used=authenticated.matched, error=error, details=details)


def _failure_count(realm: Realm, exc: ClientAuthError, source: str) -> Throttled | None:
    """Count a refusal that tested a credential; ``Throttled`` when a lock was already in force."""
    if exc.wrong_credential_of is not None:
        client = exc.wrong_credential_of
        # First the mark every worker reads with the client row, then the count it points to.
        client_auth_failures_mark(client, until=client_auth_horizon())
        return client_auth_failure_record(realm=realm, client_id=client.client_id, source=source)
    if exc.unknown_client:
        return client_auth_failure_record(realm=realm, client_id=None, source=source)
    return None


def _method_of(request) -> str:
    form = request.POST
    if form.get("client_assertion") or form.get("client_assertion_type"):
        return "client_secret_jwt"
    if form.get("client_secret"):
        return "client_secret_post"
    if request.headers.get("Authorization", "").lower().startswith("basic "):
        return "client_secret_basic"
    return "none"


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


def _authenticate(request, realm: Realm, *, audiences: tuple[str, ...], ip: str | None) -> Authenticated:
    """Raises ``ClientAuthError`` for a refused credential, ``OAuthError`` for a malformed request."""
    form = request.POST
    basic_id, basic_secret = basic_credentials(request)
    form_id = form.get("client_id") or None
    if form_id is not None and basic_id is not None and form_id != basic_id:
        # Two different identities in one request: refuse rather than pick one, so a secret or an
        # assertion can never be checked against a client other than the one the caller named.
        raise OAuthError(400, "invalid_client", "client_id parameter not matching with client from Authorization header")

    if form.get("client_assertion_type") or form.get("client_assertion"):
        result = client_assertion_verify_secret_jwt(
            realm=realm,
            client_assertion_type=form.get("client_assertion_type") or None,
            client_assertion=form.get("client_assertion") or None,
            audiences=audiences,
            client_id=form_id or basic_id,
            jti_register=assertion_jti_register,
            ip=ip,
        )
        return Authenticated(client=result.client, method="client_secret_jwt", matched=result.matched)

    if form_id is None and basic_id is None and request.headers.get("Authorization"):
        # A non-Basic (or undecodable) Authorization header and no client_id: Keycloak's empty 401 challenge.
        raise OAuthError(401, "invalid_client", headers={"WWW-Authenticate": f'Basic realm="{realm.name}"'}, body=False)
    client_id = form_id or basic_id
    if form.get("client_secret"):
        secret, method = form["client_secret"], "client_secret_post"
    elif basic_secret:
        secret, method = basic_secret, "client_secret_basic"
    else:
        secret, method = None, "client_secret_post"
    result = _authenticate_by_secret(realm=realm, client_id=client_id, client_secret=secret, method=method, ip=ip)
    return Authenticated(client=result.client, method=method if result.matched else "none", matched=result.matched)


def _authenticate_by_secret(*, realm: Realm, client_id, client_secret, method, ip: str | None):
    """``client_authenticate`` with the per-worker client cache; a refusal is never decided from it."""
    given = {"realm": realm, "client_id": client_id, "client_secret": client_secret, "method": method, "ip": ip}
    if not client_cache.enabled():
        return client_authenticate(**given)
    lookup = client_cache.CachedLookup()
    try:
        return client_authenticate(**given, lookup=lookup)
    except ClientAuthError:
        if not lookup.hit:
            raise
    client_cache.forget(realm=realm, client_id=client_id)
    return client_authenticate(**given)
