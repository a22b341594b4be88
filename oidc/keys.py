"""Realm signing keys: generation, the per-process key cache, the published set (JWKS).

Private keys are decrypted and parsed once per process and kept by ``kid``; the hot path (the
token endpoint) asks the database only which ``kid`` is active, and even that answer is cached
for ``ACTIVE_KID_TTL`` seconds. A retired key stays published until every token it signed has
expired: ``access_token_lifespan`` after its retirement, plus the cache TTL and a minute of leeway.
Refresh tokens are verified with a longer window (``REFRESH_TOKEN_LIFESPAN``).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.db.models import Q
from joserfc.jwk import RSAKey

from clients import crypto
from oidc.models import RealmKey
from realms import clock
from realms.models import Realm

ALGORITHM = "RS256"
KEY_SIZE = 2048
ACTIVE_KID_TTL = 5.0  # seconds another worker may keep signing with a just-retired key
PUBLISH_MARGIN = int(ACTIVE_KID_TTL) + 60  # + the 60 s of leeway clients apply to exp
REFRESH_TOKEN_LIFESPAN = 1800  # Keycloak's "SSO Session Idle" default

_lock = threading.Lock()
_private: dict[str, RSAKey] = {}  # kid -> parsed private key (decrypted once per process)
_public: dict[str, RSAKey] = {}  # kid -> parsed public key
# realm pk -> (monotonic time fetched, realm identity, active kid). The identity guards against a
# deleted realm's pk being reused by a new realm within the TTL.
_active: dict[int, tuple[float, tuple, str]] = {}


class NoSigningKey(Exception):
    pass


def key_generate() -> tuple[RSAKey, str]:
    """A fresh RSA key pair and its kid (the RFC 7638 thumbprint)."""
    # auto_kid: the thumbprint of the public parameters, as the kid (no second import of the key).
    key = RSAKey.generate_key(KEY_SIZE, parameters={"alg": ALGORITHM, "use": "sig"}, private=True, auto_kid=True)
    return key, key.kid


def realm_key_store(*, realm: Realm, now: int | None = None) -> RealmKey:
    """Generate and store a new active key. The caller holds the realm lock and retired the old one."""
    key, kid = key_generate()
    cache_forget_realm(realm.pk)
    return RealmKey.objects.create(
        realm=realm,
        kid=kid,
        algorithm=ALGORITHM,
        private_key_encrypted=crypto.encrypt(key.as_pem(private=True).decode()),
        public_jwk=key.as_dict(private=False),
        active=True,
        created=clock.epoch() if now is None else now,
    )


def cache_forget_realm(realm_id: int) -> None:
    with _lock:
        _active.pop(realm_id, None)


def _private_key(kid: str, encrypted: str) -> RSAKey:
    key = _private.get(kid)
    if key is None:
        pem = crypto.decrypt(encrypted)
        key = RSAKey.import_key(pem, parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
        with _lock:
            _private[kid] = key
    return key


def signing_key(realm: Realm) -> RSAKey:
    """The realm's active private key, parsed once per process."""
    identity = (realm.name, realm.created_at)
    cached = _active.get(realm.pk)
    if cached is not None and cached[1] == identity and time.monotonic() - cached[0] < ACTIVE_KID_TTL:
        key = _private.get(cached[2])
        if key is not None:
            return key
    row = RealmKey.objects.filter(realm_id=realm.pk, active=True).values_list("kid", "private_key_encrypted").first()
    if row is None:
        raise NoSigningKey(realm.name)
    kid, encrypted = row
    key = _private_key(kid, encrypted)
    with _lock:
        _active[realm.pk] = (time.monotonic(), identity, kid)
    return key


def public_key(kid: str, jwk: dict) -> RSAKey:
    key = _public.get(kid)
    if key is None:
        key = RSAKey.import_key(jwk, parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
        with _lock:
            _public[kid] = key
    return key


def published_window(realm: Realm) -> int:
    return realm.access_token_lifespan + PUBLISH_MARGIN


def published_keys(realm: Realm, *, now: int | None = None) -> list[RealmKey]:
    """The active key and the retired keys whose tokens may still be alive, newest first."""
    now = clock.epoch() if now is None else now
    return list(
        RealmKey.objects.filter(realm=realm)
        .filter(Q(active=True) | Q(retired_at__gte=now - published_window(realm)))
        .only("kid", "algorithm", "public_jwk", "active", "created", "retired_at")
    )


def jwks(realm: Realm, *, now: int | None = None) -> dict:
    return {"keys": [_jwk_entry(row) for row in published_keys(realm, now=now)]}


def _jwk_entry(row: RealmKey) -> dict:
    jwk = {k: v for k, v in row.public_jwk.items() if k in ("kty", "n", "e")}
    return {"kid": row.kid, "kty": jwk["kty"], "alg": row.algorithm, "use": "sig", "n": jwk["n"], "e": jwk["e"]}


@dataclass(frozen=True)
class VerificationKey:
    key: RSAKey
    realm_id: int
    realm_name: str


def verification_key(kid: str, *, window: int | None = None, now: int | None = None) -> VerificationKey | None:
    """The public key for ``kid`` if it is still accepted.

    Accepted: the active key, or a key retired less than ``window`` seconds ago (default: the
    realm's publication window, i.e. exactly the JWKS that clients see).
    """
    row = (
        RealmKey.objects.filter(kid=kid)
        .values_list("public_jwk", "active", "retired_at", "realm_id", "realm__name", "realm__access_token_lifespan", "realm__enabled")
        .first()
    )
    if row is None:
        return None
    jwk, active, retired_at, realm_id, realm_name, lifespan, enabled = row
    if not enabled:
        return None
    if not active:
        now = clock.epoch() if now is None else now
        window = lifespan + PUBLISH_MARGIN if window is None else window
        if retired_at is None or retired_at < now - window:
            return None
    return VerificationKey(key=public_key(kid, jwk), realm_id=realm_id, realm_name=realm_name)


def public_key_base64(row: RealmKey) -> str:
    """Base64 DER SubjectPublicKeyInfo, without PEM armour (``GET /realms/{realm}``'s public_key)."""
    key = public_key(row.kid, row.public_jwk)
    der = key.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def active_key_row(realm: Realm) -> RealmKey | None:
    return RealmKey.objects.filter(realm=realm, active=True).first()


def realm_keys_reencrypt() -> int:
    """Re-encrypt every realm key's private key under the first encryption key, all or none (one
    transaction, rows locked); returns how many. Raises ``crypto.InvalidToken`` (nothing changed)
    when a key cannot be decrypted with any configured key."""
    with transaction.atomic():
        rows = list(RealmKey.objects.select_for_update().order_by("pk").only("pk", "private_key_encrypted"))
        for row in rows:
            row.private_key_encrypted = crypto.reencrypt(row.private_key_encrypted)
        RealmKey.objects.bulk_update(rows, ["private_key_encrypted"])
    return len(rows)
