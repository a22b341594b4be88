"""Client secrets at rest (generation, Fernet encryption, constant-time comparison) and the one
digest of stored bearer tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32


def generate_secret(length: int = SECRET_LENGTH) -> str:
    """Alphanumeric characters from the ``secrets`` module: 32 by default (Keycloak's length rule)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(length))


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.SECRET_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """Re-encrypt under the first (primary) key; used by the key-rotation command."""
    return fernet().rotate(token.encode()).decode()


def secrets_equal(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def token_digest(token: str) -> str:
    """SHA-256 hex digest: how registration and initial access tokens are stored (never the token)."""
    return hashlib.sha256(token.encode()).hexdigest()


__all__ = ["InvalidToken", "decrypt", "encrypt", "generate_secret", "reencrypt", "secrets_equal", "token_digest"]
