"""System checks of the deployment settings (``manage.py check``; ``make run`` shows them when it
migrates)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning


def proxy_settings_check(app_configs, **kwargs) -> list[Warning]:
    """Production redirects to HTTPS, and believes ``X-Forwarded-Proto`` only from
    ``TRUSTED_PROXIES``: behind a TLS-terminating proxy that is not listed, every request would be
    redirected to HTTPS again."""
    if settings.SECURE_SSL_REDIRECT and not settings.TRUSTED_PROXIES:
        return [Warning(
            "SECURE_SSL_REDIRECT is on and TRUSTED_PROXIES is empty.",
            hint="Behind a reverse proxy that terminates TLS, set TRUSTED_PROXIES to its address: "
                 "X-Forwarded-Proto is believed only from it, and without it every request is "
                 "redirected to HTTPS again. Serving TLS directly, ignore this.",
            id="adminconsole.W001",
        )]
    return []
