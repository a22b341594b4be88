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


def wsgi_call(path: str, body: bytes = b"", method: str = "POST", host: str = "testserver") -> tuple[str, dict, bytes]:
    """``path`` through the WSGI application gunicorn serves (not the test client's handler)."""
    import io
    import sys

    from adminconsole.wsgi import application

    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    answer: list = []
    result = application(environ, lambda status, headers, exc_info=None: answer.extend([status, dict(headers)]))
    try:
        content = b"".join(result)
    finally:
        result.close()
    return answer[0], answer[1], content


@pytest.mark.django_db(transaction=True)
def test_the_wsgi_application_sends_lean_paths_the_short_way_with_every_header(svc):
    from urllib.parse import urlencode

    with at(0):
        status, headers, content = wsgi_call(f"{OIDC}/token", urlencode(FORM).encode())
    assert status.startswith("200"), content
    assert json.loads(content)["token_type"].lower() == "bearer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in headers["Cache-Control"] and headers["Pragma"] == "no-cache"
    assert "Set-Cookie" not in headers
    # The issuer is the host the client reached, each time (the root URL is kept per host).
    for host in ("testserver", "localhost"):
        status, headers, content = wsgi_call("/realms/acme/.well-known/openid-configuration", method="GET", host=host)
        assert status.startswith("200")
        assert json.loads(content)["issuer"] == f"http://{host}/realms/acme"
    # A host outside ALLOWED_HOSTS is refused, also once another one's root URL is kept.
    status, _, _ = wsgi_call("/realms/acme/.well-known/openid-configuration", method="GET", host="evil.example")
    assert status.startswith("400")
    # An unknown realm on a lean path: the view's 404, in the OAuth shape.
    status, headers, content = wsgi_call("/realms/nowhere/protocol/openid-connect/certs", method="GET")
    assert status.startswith("404") and "error" in json.loads(content)
    # Any other path goes through the full chain.
    status, headers, _ = wsgi_call("/", method="GET")
    assert status.startswith("302") and "/login" in headers["Location"] and "no-store" in headers["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "data"), LEAN, ids=[p for _, p, _ in LEAN])
def test_lean_endpoints_refuse_a_host_not_allowed(client, svc, method, path, data):
    response = getattr(client, method)(path, data, HTTP_HOST="evil.example") if data else getattr(client, method)(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
