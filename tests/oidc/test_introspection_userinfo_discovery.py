"""Introspection (R25), userinfo (R26), logout (R27), discovery (R24)."""

from __future__ import annotations

import json

import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory
from tests.oidc.conftest import SECRET, at, basic

pytestmark = pytest.mark.django_db
OIDC = "/realms/acme/protocol/openid-connect"


def body(response) -> dict:
    return json.loads(response.content)


def access_token(client) -> str:
    response = client.post(f"{OIDC}/token", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
    return body(response)["access_token"]


class TestIntrospection:
    def introspect(self, client, token, **extra):
        return client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "svc", "client_secret": SECRET, **extra})

    def test_live_token(self, client, svc):
        token = access_token(client)
        response = self.introspect(client, token)
        assert response.status_code == 200
        data = body(response)
        assert data["active"] is True
        assert data["client_id"] == "svc" and data["azp"] == "svc"
        assert data["username"] == "service-account-svc"
        assert data["token_type"] == "Bearer"
        assert data["exp"] > data["iat"]

    def test_by_basic_auth(self, client, svc):
        token = access_token(client)
        response = client.post(f"{OIDC}/token/introspect", {"token": token}, HTTP_AUTHORIZATION=basic("svc", SECRET))
        assert body(response)["active"] is True

    def test_expired_garbage_and_foreign_tokens_are_inactive(self, client, svc, master):
        with at(0):
            token = access_token(client)
        with at(301):
            assert body(self.introspect(client, token)) == {"active": False}
        with at(1):
            assert body(self.introspect(client, "garbage")) == {"active": False}
            master_svc = ClientFactory(realm=master, client_id="m", service_accounts_enabled=True, secret=SECRET)
            other = body(client.post("/realms/master/protocol/openid-connect/token",
                                     {"grant_type": "client_credentials", "client_id": master_svc.client_id, "client_secret": SECRET}))["access_token"]
            assert body(self.introspect(client, other)) == {"active": False}

    def test_rpt_hint_is_inactive(self, client, svc):
        token = access_token(client)
        response = client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "svc", "client_secret": SECRET,
                                                            "token_type_hint": "requesting_party_token"}, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.content == b'{"active":false}'

    def test_client_must_authenticate(self, client, svc):
        token = access_token(client)
        response = self.introspect(client, token, client_secret="wrong")
        assert response.status_code == 401
        assert body(response)["error"] == "unauthorized_client"
        response = client.post(f"{OIDC}/token/introspect", {"token": token})
        assert response.status_code == 400
        assert body(response) == {"error": "invalid_client", "error_description": "Missing client_id parameter"}

    def test_public_clients_may_not_introspect(self, client, svc, public_app):
        token = access_token(client)
        response = client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "spa"})
        assert response.status_code == 403
        assert body(response) == {"error": "invalid_request", "error_description": "Client not allowed."}

    def test_missing_token(self, client, svc):
        response = client.post(f"{OIDC}/token/introspect", {"client_id": "svc", "client_secret": SECRET})
        assert response.status_code == 400
        assert body(response) == {"error": "invalid_request", "error_description": "Token not provided."}


class TestUserinfo:
    def test_bearer_token(self, client, svc):
        token = access_token(client)
        response = client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        data = body(response)
        assert data["preferred_username"] == "service-account-svc" and data["sub"]

    def test_bad_or_missing_token_is_401(self, client, svc):
        response = client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION="Bearer nope")
        assert response.status_code == 401
        assert body(response) == {"error": "invalid_token", "error_description": "Token verification failed"}
        assert response["WWW-Authenticate"].startswith('Bearer realm="acme"')
        assert client.get(f"{OIDC}/userinfo").status_code == 401

    def test_expired_token_is_401(self, client, svc):
        with at(0):
            token = access_token(client)
        with at(301):
            assert client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


class TestLogout:
    def test_logout_ends_the_session_for_introspection_and_userinfo(self, client, master, admin_user):
        tokens = body(client.post("/realms/master/protocol/openid-connect/token",
                                  {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "admin-cli", "grant_type": "password"}))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
        assert client.get("/realms/master/protocol/openid-connect/userinfo", **headers).status_code == 200
        response = client.post("/realms/master/protocol/openid-connect/logout", {"client_id": "admin-cli", "refresh_token": tokens["refresh_token"]})
        assert response.status_code == 204
        assert client.get("/realms/master/protocol/openid-connect/userinfo", **headers).status_code == 401

    def test_logout_needs_a_valid_refresh_token(self, client, master, admin_user):
        response = client.post("/realms/master/protocol/openid-connect/logout", {"client_id": "admin-cli"})
        assert response.status_code == 400
        assert body(response) == {"error": "invalid_request", "error_description": "No refresh token"}
        response = client.post("/realms/master/protocol/openid-connect/logout", {"client_id": "admin-cli", "refresh_token": "x"})
        assert body(response) == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


class TestDiscovery:
    def test_well_known_is_valid_provider_metadata(self, client, realm):
        response = client.get("/realms/acme/.well-known/openid-configuration", secure=True)
        assert response.status_code == 200
        data = body(response)
        metadata = OpenIDProviderMetadata(data)
        metadata.validate()  # Authlib's RFC 8414 + OIDC Discovery checks
        assert data["issuer"] == "https://testserver/realms/acme"
        assert data["token_endpoint"] == f"https://testserver{OIDC}/token"
        assert data["jwks_uri"] == f"https://testserver{OIDC}/certs"
        assert data["introspection_endpoint"] == f"https://testserver{OIDC}/token/introspect"
        assert data["userinfo_endpoint"] == f"https://testserver{OIDC}/userinfo"
        assert data["registration_endpoint"] == "https://testserver/realms/acme/clients-registrations/openid-connect"
        assert set(data["grant_types_supported"]) == {"client_credentials", "password", "refresh_token"}
        assert "client_secret_jwt" in data["token_endpoint_auth_methods_supported"]

    def test_every_published_endpoint_answers(self, client, realm):
        data = body(client.get("/realms/acme/.well-known/openid-configuration"))
        for name in ("token_endpoint", "introspection_endpoint", "end_session_endpoint", "registration_endpoint"):
            path = data[name].removeprefix("http://testserver")
            assert client.post(path, {}).status_code in (400, 401), name
        assert client.get(data["jwks_uri"].removeprefix("http://testserver")).status_code == 200
        assert client.get(data["userinfo_endpoint"].removeprefix("http://testserver")).status_code == 401


def test_the_published_authorization_endpoint_refuses_browser_flows_in_keycloaks_shape(client, realm):
    data = body(client.get("/realms/acme/.well-known/openid-configuration"))
    response = client.get(data["authorization_endpoint"].removeprefix("http://testserver"), {"response_type": "code", "client_id": "x"})
    assert response.status_code == 400
    assert body(response)["error"] == "unsupported_response_type"
    assert client.get("/realms/nope/protocol/openid-connect/auth").status_code == 404
