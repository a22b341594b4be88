"""Client authentication by secret: the one check the token endpoint, introspection and DCR use.

Keycloak's ``client-secret`` authenticator (``client_secret_basic`` / ``client_secret_post``) and
``client-secret-jwt`` (an HMAC-signed client assertion), with their status codes, error codes and
texts (docs/keycloak.md §2.1, §2.2):

* the current secret is accepted; otherwise the rotated secret, while it has not expired;
* once the *current* secret has expired, neither is accepted (rotation is lazy: an update or a
  Re-generate makes a new one);
* secrets are compared in constant time (``clients.crypto.secrets_equal``); an unknown client still
  costs one comparison, against a dummy;
* the result says which secret matched, and the secret's usage (last used time, count, the
  caller's ``ip``) is written at most once a minute (``clients.secrets.secret_mark_used``), so the
  Credentials tab can show whether the old one is still in use.

Which secret is valid now is decided by ``clients.secrets.secrets_valid``; the rows come from
``clients.secrets.client_with_secrets`` (or the ``lookup`` given).

Cost per call: one query for the client and its secrets (two when the client has no secret row),
two Fernet decryptions with a cached key set, at most one conditional UPDATE a minute per secret.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OctKey

from clients import crypto
from clients.models import Client, ClientSecret
from clients.secrets import client_with_secrets, secret_mark_used, secret_value, secrets_valid
from realms import clock
from realms.errors import OAuthError

METHOD_BASIC = "client_secret_basic"
METHOD_POST = "client_secret_post"
METHODS = (METHOD_BASIC, METHOD_POST)
ALLOWED_METHOD_ATTRIBUTE = "client.secret.authentication.allowed.method"
SIGNING_ALG_ATTRIBUTE = "token.endpoint.auth.signing.alg"
CLIENT_ASSERTION_TYPE_JWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")

INVALID_CREDENTIALS = "Invalid client or Invalid client credentials"
MISSING_CLIENT_ID = "Missing client_id parameter"
SECRET_JWT_FAILED = "Client authentication with client secret signed JWT failed: "
# Keycloak's text, double space included.
BAD_SIGNATURE = "Signature on JWT token by client secret  failed validation"

_DUMMY_SECRET = crypto.generate_secret()


@functools.cache
def _dummy_token(keys: tuple) -> str:
    return crypto.encrypt(_DUMMY_SECRET)


def _dummy_check(given: str | None) -> None:
    """An unknown client costs what a known one does: one decryption and one comparison."""
    token = _dummy_token(tuple(settings.SECRET_ENCRYPTION_KEYS))
    crypto.secrets_equal(given or "-", crypto.decrypt(token))


class ClientAuthError(OAuthError):
    """A refused client authentication: answer ``status`` with ``as_dict()`` as the JSON body.

    What the refusal means for brute-force throttling (``realms.throttle``):
    ``wrong_credential_of`` is the existing client whose secret or assertion signature was wrong
    (a guess); ``unknown_client`` says the client id is unknown or disabled. Every other refusal
    (a malformed request, a missing secret, a valid but expired or replayed credential) tested no
    credential and must not count.
    """

    def __init__(self, status: int, error: str, error_description: str, *,
                 wrong_credential_of: Client | None = None, unknown_client: bool = False):
        super().__init__(status, error, error_description)
        self.wrong_credential_of = wrong_credential_of
        self.unknown_client = unknown_client

    def __repr__(self) -> str:
        return f"ClientAuthError({self.status}, {self.error!r}, {self.error_description!r})"


@dataclass(frozen=True)
class AuthResult:
    client: Client
    matched: Literal["current", "rotated"] | None  # None: a public client (no secret checked)
    secret: ClientSecret | None = None  # the row that matched


def _invalid_client(*, unknown_client: bool = False) -> ClientAuthError:
    return ClientAuthError(401, "invalid_client", INVALID_CREDENTIALS, unknown_client=unknown_client)


def _unauthorized(*, wrong_credential_of: Client | None = None) -> ClientAuthError:
    return ClientAuthError(401, "unauthorized_client", INVALID_CREDENTIALS, wrong_credential_of=wrong_credential_of)


def _jwt_failed(reason: str, *, wrong_credential_of: Client | None = None) -> ClientAuthError:
    return ClientAuthError(400, "unauthorized_client", SECRET_JWT_FAILED + reason, wrong_credential_of=wrong_credential_of)


AUTH_FAILURES_MARK_SLACK = 60  # seconds added, so an attack extends the mark about once a minute


def client_auth_failures_mark(client: Client, *, until: int) -> None:
    """Note on the client row that failed authentications may be on record until ``until``.

    The row travels with every authentication's lookup (and every worker's cached copy is dropped
    when it changes), so this is how a worker that never saw a failure knows to read the lockout
    state. One conditional UPDATE, only when the mark must grow.
    """
    if client.auth_failures_until >= until:
        return
    target = until + AUTH_FAILURES_MARK_SLACK
    Client.objects.filter(pk=client.pk, auth_failures_until__lt=until).update(auth_failures_until=target)
    client.auth_failures_until = target


def _check_authenticator(client: Client, expected: str) -> None:
    """Keycloak only accepts the authenticator the client is configured for."""
    if client.client_authenticator_type == expected:
        return
    if expected == "client-secret" and client.client_authenticator_type in ("client-jwt", "client-secret-jwt"):
        # The client's own (assertion) authenticator answers: it finds no assertion.
        raise ClientAuthError(400, "invalid_client", "Parameter client_assertion_type is missing")
    raise _invalid_client()


def client_authenticate(
    *,
    realm,
    client_id: str | None,
    client_secret: str | None,
    method: str,
    now: int | None = None,
    lookup: Callable | None = None,
    ip: str | None = None,
) -> AuthResult:
    """Authenticate a client by ``client_id`` and ``client_secret`` (docs/keycloak.md §2.1, in order).

    ``lookup`` replaces ``client_with_secrets`` (same signature and result), e.g. the token
    endpoint's per-worker cache (``oidc.client_cache``).

    ``realm`` is a Realm or its name; ``method`` says how the secret arrived
    (``client_secret_basic`` or ``client_secret_post``). Raises ``ClientAuthError``:

    * no client id → 400 ``invalid_client`` "Missing client_id parameter";
    * unknown or disabled client → 401 ``invalid_client`` "Invalid client or Invalid client credentials";
    * a confidential client configured for another authenticator → 400 ``invalid_client``
      "Parameter client_assertion_type is missing" (signed-JWT clients) or the 401 above;
    * no secret given, no secret stored, wrong secret, expired current secret, expired rotated
      secret → 401 ``unauthorized_client`` "Invalid client or Invalid client credentials";
    * the secret sent by the method the client's ``client.secret.authentication.allowed.method``
      does not allow → 401 ``unauthorized_client`` "Invalid method used to get client secret. ...".

    A public client succeeds without a secret (``matched`` None).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if not client_id:
        raise ClientAuthError(400, "invalid_client", MISSING_CLIENT_ID)
    now = clock.epoch() if now is None else now

    client, current, rotated = (lookup or client_with_secrets)(realm=realm, client_id=client_id)
    if client is None or not client.enabled:
        _dummy_check(client_secret)
        raise _invalid_client(unknown_client=True)
    if client.public_client:
        return AuthResult(client=client, matched=None)
    _check_authenticator(client, "client-secret")
    if not client_secret or current is None:
        raise _unauthorized()
    allowed_method = (client.attributes or {}).get(ALLOWED_METHOD_ATTRIBUTE)
    if allowed_method and allowed_method != method:
        raise ClientAuthError(
            401,
            "unauthorized_client",
            f"Invalid method used to get client secret. Client requires method '{allowed_method}' "
            "to obtain client secret from the request",
        )

    # Both comparisons always run (constant time with respect to which one matches).
    current_equal = crypto.secrets_equal(client_secret, secret_value(current))
    rotated_equal = False
    if rotated is not None:
        rotated_equal = crypto.secrets_equal(client_secret, secret_value(rotated))
    current_valid, rotated_valid = secrets_valid(current=current, rotated=rotated, now=now)
    if current_equal and current_valid:
        matched_row = current
    elif rotated_equal and rotated_valid:
        matched_row = rotated
    else:
        # A secret equal to neither stored one is a guess; a real secret past its expiry is not.
        raise _unauthorized(wrong_credential_of=None if (current_equal or rotated_equal) else client)
    secret_mark_used(matched_row, now, ip=ip)
    return AuthResult(client=client, matched="current" if matched_row is current else "rotated", secret=matched_row)


# ---------------------------------------------------------------------------------------------
# client_secret_jwt


def client_assertion_verify_secret_jwt(
    *,
    realm,
    client_assertion_type: str | None,
    client_assertion: str | None,
    audiences: Iterable[str],
    client_id: str | None = None,
    jti_register: Callable[[str, int], bool],
    now: int | None = None,
    ip: str | None = None,
) -> AuthResult:
    """Authenticate a ``client-secret-jwt`` client by its HMAC-signed ``client_assertion`` (docs/keycloak.md §2.2).

    ``audiences``: the values accepted in ``aud`` (the realm issuer and the token endpoint URL).
    ``client_id``: the form's ``client_id``, when sent; it must equal the assertion's subject.
    ``jti_register(key, lifespan_seconds) -> bool`` makes ``jti`` single use: it returns False when
    ``key`` was already registered, and must remember it for ``lifespan_seconds`` (until the
    assertion's ``exp``) in a store every worker shares (the token endpoint's is the database:
    ``oidc.services.assertion_jti_register``). It is required: a per-process default
    would let a replay through on another worker. The signature is checked with the current
    secret, then with the rotated secret while it has not expired; an expired current secret
    refuses both.

    Replay limits, as Keycloak's client assertion validator: ``exp`` is required, may lie at most
    ``CLIENT_ASSERTION_MAX_EXPIRATION`` seconds ahead, and ``iat``, when present, at most
    ``CLIENT_ASSERTION_CLOCK_SKEW`` seconds in the future; so each ``jti`` is remembered for a
    bounded time, until its ``exp``.

    Errors (``ClientAuthError``), as Keycloak answers them:

    * assertion parameters: 400 ``invalid_client`` ("Parameter client_assertion_type is missing",
      "Parameter client_assertion_type has value '...' but expected is '...'",
      "client_assertion parameter missing", "invalid signature algorithm");
    * unknown or disabled client, a client configured for another authenticator, no secret or an
      expired current secret: 401 ``invalid_client`` "Invalid client or Invalid client credentials";
    * anything wrong inside the assertion: 400 ``unauthorized_client``
      "Client authentication with client secret signed JWT failed: <reason>", e.g. the signature
      ("Signature on JWT token by client secret  failed validation"), "Token is not active",
      "Token exp claim is required", "Token was issued in the future", "Token expiration is too far
      in the future", "Token reuse detected".
    """
    if client_assertion_type is None:
        raise ClientAuthError(400, "invalid_client", "Parameter client_assertion_type is missing")
    if client_assertion_type != CLIENT_ASSERTION_TYPE_JWT:
        raise ClientAuthError(
            400,
            "invalid_client",
            f"Parameter client_assertion_type has value '{client_assertion_type}' but expected is "
            f"'{CLIENT_ASSERTION_TYPE_JWT}'",
        )
    if client_assertion is None:
        raise ClientAuthError(400, "invalid_client", "client_assertion parameter missing")
    now = clock.epoch() if now is None else now

    try:
        compact = jws.extract_compact(client_assertion.encode())
        header = compact.headers()
        claims = json.loads(compact.payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")
    # RecursionError: hostile, deeply nested JSON in the header or the claims.
    except (JoseError, ValueError, TypeError, RecursionError) as exc:
        raise _jwt_failed("Could not parse the client assertion") from exc

    subject = claims.get("sub")
    if subject is None:
        raise _jwt_failed("Can't identify client. Subject missing on JWT token")
    if subject != claims.get("iss"):
        raise _jwt_failed("Issuer mismatch. The issuer should match the subject")
    if client_id is not None and client_id != subject:
        raise _jwt_failed("client_id parameter not matching with client from JWT token")

    client, current, rotated = client_with_secrets(realm=realm, client_id=str(subject))
    if client is None or not client.enabled:
        raise _invalid_client(unknown_client=True)
    if client.client_authenticator_type != "client-secret-jwt":
        raise _invalid_client()

    algorithm = header.get("alg")
    expected_alg = (client.attributes or {}).get(SIGNING_ALG_ATTRIBUTE) or None
    if not algorithm or (expected_alg and algorithm != expected_alg):
        raise ClientAuthError(400, "invalid_client", "invalid signature algorithm")

    current_valid, rotated_valid = secrets_valid(current=current, rotated=rotated, now=now)
    if not current_valid:  # no secret, or an expired current secret (which refuses both)
        raise _invalid_client()
    if algorithm not in HMAC_ALGORITHMS:
        raise _jwt_failed("Signature on JWT token by client secret failed validation")

    def verified(row: ClientSecret) -> bool:
        try:
            key = OctKey.import_key(secret_value(row))
            jws.deserialize_compact(client_assertion, key, algorithms=[algorithm])
            return True
        except BadSignatureError:
            return False
        except JoseError as exc:
            raise _jwt_failed("Signature on JWT token by client secret failed validation") from exc

    matched_row = None
    if verified(current):
        matched_row = current
    elif rotated_valid and verified(rotated):
        matched_row = rotated
    if matched_row is None:
        raise _jwt_failed(BAD_SIGNATURE, wrong_credential_of=client)

    audience = claims.get("aud")
    token_audiences = audience if isinstance(audience, list) else [audience] if audience is not None else []
    if not set(map(str, token_audiences)) & set(audiences):
        raise _jwt_failed("Invalid token audience")

    exp = _assertion_expiry(claims, now)
    jti = claims.get("jti")
    if not jti:
        raise _jwt_failed("Missing ID on the token")
    # Remembered until exp (inclusive: the assertion is still accepted at that second).
    if not jti_register(f"{client.pk}:{jti}", exp - now):
        raise _jwt_failed("Token reuse detected")

    secret_mark_used(matched_row, now, ip=ip)
    return AuthResult(client=client, matched="current" if matched_row is current else "rotated", secret=matched_row)


def _assertion_expiry(claims: dict, now: int) -> int:
    """The assertion's ``exp`` once its times pass; bounded, so its ``jti`` is kept a bounded time."""
    exp = _int_claim(claims, "exp")
    iat = _int_claim(claims, "iat")
    nbf = _int_claim(claims, "nbf")
    if exp is None:
        raise _jwt_failed("Token exp claim is required")
    if now > exp or (nbf is not None and now < nbf):
        raise _jwt_failed("Token is not active")
    skew = settings.CLIENT_ASSERTION_CLOCK_SKEW
    if iat is not None and iat > now + skew:
        raise _jwt_failed("Token was issued in the future")
    if exp - now > settings.CLIENT_ASSERTION_MAX_EXPIRATION:
        if iat is None:
            raise _jwt_failed("Token expiration is too far in the future and iat claim not present in token")
        raise _jwt_failed("Token expiration is too far in the future")
    return exp


def _int_claim(claims: dict, name: str) -> int | None:
    value = claims.get(name)
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    # OverflowError: 1e999 and Infinity parse to float("inf"); ValueError also covers NaN.
    except (TypeError, ValueError, OverflowError) as exc:
        raise _jwt_failed("Token is not active") from exc


__all__ = [
    "ALLOWED_METHOD_ATTRIBUTE",
    "AuthResult",
    "CLIENT_ASSERTION_TYPE_JWT",
    "ClientAuthError",
    "INVALID_CREDENTIALS",
    "METHOD_BASIC",
    "METHOD_POST",
    "client_assertion_verify_secret_jwt",
    "client_auth_failures_mark",
    "client_authenticate",
]
