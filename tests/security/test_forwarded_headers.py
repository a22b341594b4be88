"""X-Forwarded-Proto, -Host, -Port and Forwarded count only from TRUSTED_PROXIES.

In production ``SECURE_PROXY_SSL_HEADER`` believes ``X-Forwarded-Proto``; without this check any
client could claim https for itself (its own issuer and URLs, and no SSL redirect). The headers
are dropped first in both middleware chains: the console's and the lean OIDC endpoints'.
"""

from __future__ import annotations

import pytest
from django.test import Client as DjangoClient

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
DIRECT = "203.0.113.5"
DISCOVERY = "/realms/master/.well-known/openid-configuration"


@pytest.fixture
def behind_proxy(settings, master):
    """Production's proxy settings, a trusted proxy; set before the first request loads the middleware."""
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["testserver", "sso.example.com"]
    return DjangoClient()


def issuer(http, remote, **headers):
    # A Host header, as every proxy and browser sends (the test client's default is SERVER_NAME:80).
    response = http.get(DISCOVERY, REMOTE_ADDR=remote, HTTP_HOST="testserver", **headers)
    assert response.status_code == 200
    return response.json()["issuer"]


def test_a_direct_client_cannot_claim_https_or_another_host(behind_proxy):
    assert issuer(behind_proxy, DIRECT, HTTP_X_FORWARDED_PROTO="https") == "http://testserver/realms/master"
    assert issuer(behind_proxy, DIRECT, HTTP_X_FORWARDED_HOST="sso.example.com", HTTP_X_FORWARDED_PORT="8443",
                  HTTP_FORWARDED="proto=https;host=sso.example.com") == "http://testserver/realms/master"


def test_a_trusted_proxy_is_believed(behind_proxy):
    assert issuer(behind_proxy, PROXY, HTTP_X_FORWARDED_PROTO="https") == "https://testserver/realms/master"
    assert issuer(behind_proxy, PROXY, HTTP_X_FORWARDED_PROTO="https",
                  HTTP_X_FORWARDED_HOST="sso.example.com") == "https://sso.example.com/realms/master"


def test_without_trusted_proxies_no_peer_is_believed(behind_proxy, settings):
    settings.TRUSTED_PROXIES = []
    assert issuer(behind_proxy, PROXY, HTTP_X_FORWARDED_PROTO="https") == "http://testserver/realms/master"


@pytest.mark.parametrize("path", ["/login", DISCOVERY])
def test_the_ssl_redirect_is_not_dodged_by_a_claimed_https(settings, master, path):
    """Console (the full chain) and a lean OIDC path: a direct client claiming https is still sent
    to https; the trusted proxy's https request is served."""
    settings.TRUSTED_PROXIES = [PROXY]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    http = DjangoClient()
    claimed = http.get(path, REMOTE_ADDR=DIRECT, HTTP_X_FORWARDED_PROTO="https")
    assert claimed.status_code == 301
    assert claimed["Location"] == f"https://testserver{path}"
    assert http.get(path, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").status_code == 200
