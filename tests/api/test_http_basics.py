"""HTTP basics every endpoint shares (docs/wire-contract.md R2, R5, R6, R9, R28–R32) and the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client as DjangoClient

from clients.services import client_create
from tests.api.conftest import Api, compact

CANNOT_PARSE = compact({"error": "invalid_request", "error_description": "Cannot parse the JSON"})


@pytest.fixture
def app(master):
    return client_create(realm=master, representation={"clientId": "app"}, actor=None)


def body_endpoints(app):
    base = f"/admin/realms/master/clients/{app.pk}"
    return [
        ("post", "/admin/realms"),
        ("put", "/admin/realms/master"),
        ("post", "/admin/realms/master/clients"),
        ("put", base),
        ("post", f"{base}/roles"),
        ("put", "/admin/realms/master/client-policies/profiles"),
        ("put", "/admin/realms/master/client-policies/policies"),
        ("post", "/admin/realms/master/clients-initial-access"),
    ]


@pytest.mark.parametrize("raw", [b"{", b"{'a': 1}", b"\xff\xfe", b'{"a": NaN}', b'{"a": 1} trailing', b"[" * 5000])
def test_malformed_json_is_400_cannot_parse(api, app, raw):
    for method, path in body_endpoints(app):
        response = getattr(api, method)(path, raw)
        assert response.status_code == 400, (method, path)
        assert response.content == CANNOT_PARSE, (method, path)


def test_huge_numbers_never_500(api, app):
    huge = "9" * 5000  # beyond Python's int-from-string limit
    for method, path in body_endpoints(app):
        response = getattr(api, method)(path, f'{{"count": {huge}, "accessTokenLifespan": {huge}}}')
        assert response.status_code == 400, (method, path)


def test_bodies_on_bodyless_endpoints_are_ignored(api, app):
    base = f"/admin/realms/master/clients/{app.pk}"
    assert api.post(f"{base}/client-secret", "not even json").status_code == 200
    assert api.delete(f"{base}/client-secret/rotated", "{}").status_code == 204
    assert api.get(base, CONTENT_TYPE="application/json").status_code == 200


def test_no_slash_redirects(api):
    for path in ("/admin/realms/", "/admin/realms/master/", "/admin/realms/master/clients/"):
        response = api.get(path)
        assert response.status_code == 200, path
    response = api.post("/admin/realms/", {"realm": "slashed"})
    assert response.status_code == 201


def test_unknown_paths_are_json_404(api, anonymous):
    for path in ("/admin/realms/master/nothing-here", "/admin/whatever", "/admin", "/admin/realms/master/clients/x/y/z"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "Unable to find matching target resource method"


def test_wrong_method_is_json_405(api):
    response = api.post("/admin/serverinfo", {})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "HTTP 405 Method Not Allowed"
    assert "GET" in response["Allow"]
    assert api.delete("/admin/realms").status_code == 405


def test_no_csrf_on_bearer_requests(master, admin_user):
    from tests.api.conftest import password_token

    strict = DjangoClient(enforce_csrf_checks=True)
    api = Api(strict, password_token(strict, admin_user.username))
    assert api.post("/admin/realms/master/clients", {"clientId": "no-csrf"}).status_code == 201
    # Even with a console session cookie present, a bearer request needs no CSRF token.
    strict.force_login(admin_user)
    assert api.post("/admin/realms/master/clients", {"clientId": "no-csrf-2"}).status_code == 201


def test_a_console_session_is_not_an_api_credential(client, admin_user, master):
    client.force_login(admin_user)
    response = client.get("/admin/realms")
    assert response.status_code == 401


def test_error_bodies_are_compact(api, app):
    for response in (
        api.get("/admin/realms/none"),
        api.post("/admin/realms/master/clients", {"clientId": "app"}),
        api.get(f"/admin/realms/master/clients/{app.pk}/client-secret/rotated"),
        api.put("/admin/realms/master", {"bad": 1}),
    ):
        assert response.content == json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False).encode()
        assert response["Content-Type"] == "application/json"


# --- OpenAPI ---------------------------------------------------------------------------------------


EXPECTED = {
    "/admin/realms": {"get", "post"},
    "/admin/realms/{realm}": {"get", "put", "delete"},
    "/admin/serverinfo": {"get"},
    "/admin/realms/{realm}/clients": {"get", "post"},
    "/admin/realms/{realm}/clients/{id}": {"get", "put", "delete"},
    "/admin/realms/{realm}/clients/{id}/client-secret": {"get", "post"},
    "/admin/realms/{realm}/clients/{id}/client-secret/rotated": {"get", "delete"},
    "/admin/realms/{realm}/clients/{id}/registration-access-token": {"post"},
    "/admin/realms/{realm}/clients/{id}/roles": {"get", "post"},
    "/admin/realms/{realm}/clients/{id}/roles/{role_name}": {"get", "put", "delete"},
    "/admin/realms/{realm}/roles-by-id/{role_id}": {"get"},
    "/admin/realms/{realm}/keys": {"get"},
    "/admin/realms/{realm}/client-policies/profiles": {"get", "put"},
    "/admin/realms/{realm}/client-policies/policies": {"get", "put"},
    "/admin/realms/{realm}/clients-initial-access": {"get", "post"},
    "/admin/realms/{realm}/clients-initial-access/{token_id}": {"delete"},
}


def test_openapi_document(client, db):
    response = client.get("/admin/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, methods in EXPECTED.items():
        assert set(paths[path]) == methods, path
    schemas = doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "401" in responses and "403" in responses, (method, path)
            assert operation["security"] == [{"BearerAuth": []}]
            assert "WWW-Authenticate" in responses["401"]["headers"]
            if method in ("put", "delete"):
                assert "204" in responses and "content" not in responses["204"], (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
    # Request bodies are declared and resolvable.
    create = paths["/admin/realms/{realm}/clients"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.rsplit("/", 1)[1] in schemas
    assert "Location" in create["responses"]["201"]["headers"]
    assert "clientId" in schemas["ClientRepresentation"]["properties"]
    dangling = {r.rsplit("/", 1)[1] for r in _refs(doc)} - set(schemas)
    assert not dangling


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_docs_page_is_served_offline(client, db):
    response = client.get("/admin/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("text", ['"\\ud874x"', '"a\\udc00"'])
def test_lone_surrogates_are_refused_not_stored(api, app, text):
    for method, path in body_endpoints(app):
        response = getattr(api, method)(path, f'{{"realm": {text}, "clientId": {text}, "name": {text}}}')
        assert response.status_code == 400, (method, path)
        assert response.content == CANNOT_PARSE


def test_nul_is_refused_whatever_the_content_type(api, app):
    for method, path in body_endpoints(app):
        response = getattr(api, method)(path, '{"clientId": "a\\u0000b", "realm": "a\\u0000b"}', content_type="text/plain")
        assert response.status_code == 400, (method, path)
        assert response.json() == {"error": "invalid_request", "error_description": "Invalid characters in request"}
