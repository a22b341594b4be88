"""Signed tokens of a realm: issue and verify (RS256 JWTs through joserfc).

Used by the token endpoint, introspection, userinfo, dynamic registration and the Admin REST API:

* ``access_token_issue(...) -> (token, claims)``
* ``refresh_token_issue(...)``, ``id_token_issue(...)``
* ``access_token_verify(token, *, realm=None) -> claims``: signature against the realm's
  published keys (the JWKS), ``exp``, ``iss``, ``typ == "Bearer"``; raises ``TokenError``.
* ``refresh_token_verify(token, *, realm) -> claims``

Whether a verified token is still live (its session, user and client) is
``oidc.sessions.token_holder``.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jws, jwt
from joserfc.errors import JoseError

from oidc import keys
from oidc.errors import TokenError
from realms import clock
from realms.models import Realm

TYP_ACCESS = "Bearer"
TYP_REFRESH = "Refresh"
TYP_ID = "ID"
ALGORITHMS = [keys.ALGORITHM]
MAX_TOKEN_LENGTH = 16_384


def issuer_for(base_url: str, realm_name: str) -> str:
    """``{base}/realms/{realm}``; ``base_url`` is the server's root URL as the client reached it."""
    return f"{base_url.rstrip('/')}/realms/{realm_name}"


_PKCS1V15, _SHA256 = padding.PKCS1v15(), hashes.SHA256()
_header_segments: dict[str, bytes] = {}  # kid -> base64url JOSE header, built once per process


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _sign(realm: Realm, claims: dict) -> str:
    """RS256 compact JWS, byte for byte what ``joserfc.jwt.encode`` makes of the same claims.

    Written out because joserfc's generic path (algorithm registry, header checks, claim
    conversion) cost the token endpoint most of a signature again; only the signature is per token.
    """
    key = keys.signing_key(realm)
    header = _header_segments.get(key.kid)
    if header is None:
        text = json.dumps({"typ": "JWT", "alg": keys.ALGORITHM, "kid": key.kid}, ensure_ascii=True, separators=(",", ":"))
        header = _header_segments.setdefault(key.kid, _b64(text.encode("ascii")))
    payload = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    signing_input = header + b"." + payload
    return (signing_input + b"." + _b64(key.private_key.sign(signing_input, _PKCS1V15, _SHA256))).decode("ascii")


def access_token_issue(
    *,
    realm: Realm,
    issuer: str,
    client_id: str,
    subject: str,
    username: str | None = None,
    scope: str = "",
    session_id: str | None = None,
    realm_roles: list[str] | None = None,
    resource_access: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
    now: int | None = None,
    lifespan: int | None = None,
) -> tuple[str, dict]:
    """Sign an access token with the realm's active key; returns (token, claims)."""
    now = clock.epoch() if now is None else now
    lifespan = realm.access_token_lifespan if lifespan is None else lifespan
    claims: dict[str, Any] = {
        "exp": now + lifespan,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "sub": subject,
        "typ": TYP_ACCESS,
        "azp": client_id,
    }
    if resource_access:
        claims["aud"] = sorted(resource_access) if len(resource_access) > 1 else next(iter(resource_access))
    if session_id:
        claims["sid"] = session_id
    if realm_roles is not None:
        claims["realm_access"] = {"roles": list(realm_roles)}
    if resource_access:
        claims["resource_access"] = {name: {"roles": list(roles)} for name, roles in resource_access.items()}
    claims["scope"] = scope
    if username is not None:
        claims["preferred_username"] = username
    if extra:
        claims.update(extra)
    return _sign(realm, claims), claims


def refresh_token_issue(
    *, realm: Realm, issuer: str, client_id: str, subject: str, session_id: str, scope: str, now: int | None = None,
    lifespan: int | None = None,
) -> tuple[str, dict]:
    now = clock.epoch() if now is None else now
    lifespan = keys.REFRESH_TOKEN_LIFESPAN if lifespan is None else lifespan
    claims = {
        "exp": now + lifespan,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": issuer,
        "sub": subject,
        "typ": TYP_REFRESH,
        "azp": client_id,
        "sid": session_id,
        "scope": scope,
    }
    return _sign(realm, claims), claims


def id_token_issue(
    *, realm: Realm, issuer: str, client_id: str, subject: str, username: str | None, session_id: str | None,
    now: int | None = None, extra: dict | None = None, lifespan: int | None = None,
) -> str:
    now = clock.epoch() if now is None else now
    lifespan = realm.access_token_lifespan if lifespan is None else lifespan
    claims: dict[str, Any] = {
        "exp": now + lifespan,
        "iat": now,
        "auth_time": now,
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "aud": client_id,
        "sub": subject,
        "typ": TYP_ID,
        "azp": client_id,
    }
    if session_id:
        claims["sid"] = claims["session_state"] = session_id
    if username is not None:
        claims["preferred_username"] = username
    if extra:
        claims.update(extra)
    return _sign(realm, claims)


def _verify(token: str, *, typ: str, realm: str | None, window: int | None, leeway: int, check_expiry: bool = True) -> dict:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("Invalid token")
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise TokenError("Invalid token") from None
    kid = header.get("kid")
    if header.get("alg") not in ALGORITHMS or not isinstance(kid, str) or len(kid) > 64:
        raise TokenError("Invalid token")
    found = keys.verification_key(kid, window=window)
    if found is None or (realm is not None and found.realm_name != realm):
        raise TokenError("Invalid token signature")
    try:
        claims = jwt.decode(token, found.key, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError):
        raise TokenError("Invalid token signature") from None
    registry = jwt.JWTClaimsRegistry(leeway=leeway, exp={"essential": True}, iss={"essential": True})
    checked = claims
    if not check_expiry:
        # The caller judges expiry itself (after the session); exp must still be a NumericDate.
        if not isinstance(claims.get("exp"), int) or isinstance(claims.get("exp"), bool):
            raise TokenError("Invalid token")
        checked = {**claims, "exp": registry.now + leeway + 1}
    try:
        registry.validate(checked)
    except JoseError:
        raise TokenError("Token is not active") from None
    if claims.get("typ") != typ:
        raise TokenError("Invalid token type")
    if not str(claims["iss"]).endswith(f"/realms/{found.realm_name}"):
        raise TokenError("Invalid token issuer")
    return dict(claims)


def access_token_verify(token: str, *, realm: str | None = None, leeway: int = 0) -> dict:
    """Verify an access token and return its claims; raises ``TokenError``.

    Checks: compact JWS, RS256 with a ``kid`` of a key that the realm still publishes in its JWKS,
    a valid signature, ``exp`` (no leeway by default), ``iss`` = ``…/realms/<realm of the key>``
    and ``typ`` = ``Bearer``. ``realm`` (a realm name), when given, must be the token's realm.
    The realm of a valid token is ``realm_of(claims)``.
    """
    return _verify(token, typ=TYP_ACCESS, realm=realm, window=None, leeway=leeway)


def refresh_token_verify(token: str, *, realm: str, check_expiry: bool = True) -> dict:
    """Verify a refresh token like an access token (``typ`` = ``Refresh``).

    ``check_expiry=False`` skips only the ``exp`` check, for a caller that must answer for the
    session first (the refresh grant); it then compares ``exp`` with ``clock.epoch()`` itself.
    """
    window = keys.REFRESH_TOKEN_LIFESPAN + keys.PUBLISH_MARGIN
    return _verify(token, typ=TYP_REFRESH, realm=realm, window=window, leeway=0, check_expiry=check_expiry)


def realm_of(claims: dict) -> str:
    """The realm name of verified claims (the last segment of ``iss``)."""
    return str(claims["iss"]).rsplit("/realms/", 1)[1]
