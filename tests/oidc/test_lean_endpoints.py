"""The machine-to-machine OIDC endpoints take the short middleware chain (``LeanEndpointsMiddleware``).

They keep every header and check of the full chain (security headers, CSP, no-store, the NUL
refusal) and skip what serves browsers (sessions, CSRF, authentication, messages, htmx).
"""

from __future__ import annotations

import json

import pytest

from tests.oidc.conftest import SECRET, at

OIDC = "/realms/acme/protocol/openid-connect"
FORM = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET}
LEAN = [
    ("post", f"{OIDC}/token", FORM),
    ("post", f"{OIDC}/token/introspect", {"token": "x", "client_id": "svc", "client_secret": SECRET}),
    ("get", f"{OIDC}/certs", None),
    ("get", f"{OIDC}/userinfo", None),
    ("get", "/realms/acme/.well-known/openid-configuration", None),
]


def call(client, method: str, path: str, data):
    return getattr(client, method)(path, data) if data is not None else getattr(client, method)(path)


def assert_security_headers(response) -> None:
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "data"), LEAN, ids=[p for _, p, _ in LEAN])
def test_lean_endpoints_keep_every_header_and_skip_the_browser_middleware(admin_client, svc, method, path, data):
    with at(0):
        response = call(admin_client, method, path, data)  # a signed-in browser's cookies change nothing
    assert response.status_code < 500
    assert_security_headers(response)
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "user") and not hasattr(request, "htmx")
    assert not response.cookies


@pytest.mark.django_db
def test_other_paths_keep_the_full_chain(admin_client, svc):
    response = admin_client.get("/realms/acme/protocol/openid-connect/logout")
    assert hasattr(response.wsgi_request, "session")
    response = admin_client.get("/console/acme/clients")
    assert hasattr(response.wsgi_request, "user") and response.wsgi_request.user.is_authenticated
    assert_security_headers(response)


@pytest.mark.django_db
def test_lean_token_endpoint_still_refuses_nul_and_answers_errors_as_json(client, svc):
    body = "grant_type=client_credentials&client_id=svc&client_secret=a%00b"
    response = client.post(f"{OIDC}/token", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "invalid_request"
    # Refused before the inner middleware, as in the full chain: the outer headers only.
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    response = client.get(f"{OIDC}/token")
    assert response.status_code == 405
    assert_security_headers(response)


@pytest.mark.django_db
def test_lean_token_endpoint_issues_a_token(client, svc):
    with at(0):
        response = client.post(f"{OIDC}/token", FORM)
    assert response.status_code == 200
    assert json.loads(response.content)["token_type"].lower() == "bearer"


@pytest.mark.django_db
def test_access_tokens_are_byte_for_byte_joserfc_s(realm):
    """RS256 (PKCS#1 v1.5) is deterministic: the token must equal joserfc's encoding of the same claims."""
    from joserfc import jwt

    from oidc import keys, tokens

    with at(0):
        token, claims = tokens.access_token_issue(realm=realm, issuer="http://testserver/realms/acme", client_id="svc",
                                                  subject="s", scope="profile émail")
    key = keys.signing_key(realm)
    assert token == jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])
