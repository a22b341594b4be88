"""Configuration read from the environment.

Development mode (the default) makes safe local defaults and keeps generated secrets in the
git-ignored ``var/`` folder. Production mode (``CONSOLE_ENV=production``) refuses to start when
a required setting is missing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CONSOLE_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def is_production() -> bool:
    return (env("CONSOLE_ENV", "development") or "development").lower() == "production"


def persisted_secret(filename: str, make) -> str:
    """Read a generated development secret from ``var/``, creating it on first use."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def required(name: str) -> str:
    value = env(name)
    if value is None:
        raise ImproperlyConfigured(f"{name} must be set when CONSOLE_ENV=production")
    return value


def secret_key() -> str:
    if is_production():
        value = required("SECRET_KEY")
        if len(value) < 50 or value.startswith("django-insecure"):
            raise ImproperlyConfigured("SECRET_KEY must be a real secret of at least 50 characters")
        return value
    return env("SECRET_KEY") or persisted_secret("secret_key", lambda: secrets.token_urlsafe(64))


def encryption_keys() -> list[str]:
    """Fernet keys for secrets at rest; the first one encrypts, all of them decrypt."""
    keys = env_list("SECRET_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    if is_production():
        required("SECRET_ENCRYPTION_KEYS")

    def make() -> str:
        return Fernet.generate_key().decode()

    return [persisted_secret("encryption_key", make)]


def debug() -> bool:
    """``DEBUG=1`` shows stack traces and settings to anyone: never in production."""
    value = env_bool("DEBUG", False)
    if value and is_production():
        raise ImproperlyConfigured("DEBUG must be off when CONSOLE_ENV=production")
    return value


def trusted_proxies() -> list[str]:
    """``TRUSTED_PROXIES``: the reverse proxies whose ``X-Forwarded-For`` is believed (addresses or networks)."""
    proxies = env_list("TRUSTED_PROXIES", [])
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from None
    return proxies
