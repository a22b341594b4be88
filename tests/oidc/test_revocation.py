"""Token revocation (RFC 7009) at ``/realms/{realm}/protocol/openid-connect/revoke``, as Keycloak."""

from __future__ import annotations

import json

import pytest

from clients import secrets as secret_store
from oidc.models import RevokedAccessToken
from realms import clock
from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory
from tests.oidc.conftest import SECRET, at, basic

pytestmark = pytest.mark.django_db
OIDC = "/realms/acme/protocol/openid-connect"
MASTER = "/realms/master/protocol/openid-connect"


def body(response) -> dict:
    return json.loads(response.content)


def service_token(client, client_id="svc") -> str:
    response = client.post(f"{OIDC}/token", {"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET})
    return body(response)["access_token"]


def revoke(client, token, realm_path=OIDC, **credentials):
    data = {"token": token, **(credentials or {"client_id": "svc", "client_secret": SECRET})}
    return client.post(f"{realm_path}/revoke", data)


def introspect(client, token) -> dict:
    return body(client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "svc", "client_secret": SECRET}))


def password_tokens(client) -> dict:
    response = client.post(f"{MASTER}/token", {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "admin-cli",
                                                "grant_type": "password"})
    return body(response)


def test_revoked_access_token_is_inactive_everywhere(client, svc):
    token = service_token(client)
    other = service_token(client)
    assert introspect(client, token)["active"] is True
    response = revoke(client, token)
    assert response.status_code == 200 and response.content == b""
    assert introspect(client, token) == {"active": False}
    assert client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    # Only that token: another one of the same client stays live.
    assert introspect(client, other)["active"] is True
    # Twice is fine (RFC 7009: idempotent).
    assert revoke(client, token).status_code == 200
    assert RevokedAccessToken.objects.count() == 1


def test_revoked_access_token_rows_are_swept_after_the_token_expires(client, svc):
    with at(0):
        revoke(client, service_token(client))
    assert RevokedAccessToken.objects.count() == 1
    with at(301):  # past the first token's exp (lifespan 300)
        revoke(client, service_token(client))
    assert RevokedAccessToken.objects.count() == 1


def test_revoking_a_refresh_token_ends_its_session(client, master, admin_user):
    tokens = password_tokens(client)
    response = revoke(client, tokens["refresh_token"], MASTER, client_id="admin-cli")
    assert response.status_code == 200
    refreshed = client.post(f"{MASTER}/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                                "client_id": "admin-cli"})
    assert refreshed.status_code == 400 and body(refreshed)["error_description"] == "Session not active"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert client.get(f"{MASTER}/userinfo", **headers).status_code == 401
    assert client.get("/admin/realms", **headers).status_code == 401


def test_revoking_an_access_token_locks_it_out_of_the_admin_api(client, master, admin_user):
    tokens = password_tokens(client)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert client.get("/admin/realms", **headers).status_code == 200
    assert revoke(client, tokens["access_token"], MASTER, client_id="admin-cli").status_code == 200
    assert client.get("/admin/realms", **headers).status_code == 401
    # The session lives on: a refresh gives a working token.
    refreshed = body(client.post(f"{MASTER}/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                                     "client_id": "admin-cli"}))
    assert client.get("/admin/realms", HTTP_AUTHORIZATION=f"Bearer {refreshed['access_token']}").status_code == 200


def test_token_of_another_client_is_refused_and_stays_live(client, svc, realm):
    ClientFactory(realm=realm, client_id="other", service_accounts_enabled=True, secret=SECRET)
    token = service_token(client, "other")
    response = revoke(client, token)
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_request", "error_description": "Unmatching clients"}
    assert introspect(client, token)["active"] is True


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 20000])
def test_unknown_token_is_200(client, svc, token):
    response = revoke(client, token)
    assert response.status_code == 200
    assert body(response) == {"error": "invalid_token", "error_description": "Invalid token"}


def test_expired_token_is_200_and_nothing_is_stored(client, svc):
    with at(0):
        token = service_token(client)
    with at(400):
        assert revoke(client, token).status_code == 200
    assert RevokedAccessToken.objects.count() == 0


def test_token_of_another_realm_is_unknown(client, svc, master, admin_user):
    tokens = password_tokens(client)
    response = revoke(client, tokens["access_token"])
    assert response.status_code == 200 and body(response)["error"] == "invalid_token"


def test_missing_token_is_400(client, svc):
    response = client.post(f"{OIDC}/revoke", {"client_id": "svc", "client_secret": SECRET})
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_request", "error_description": "Token not provided"}


def test_client_must_authenticate(client, svc):
    token = service_token(client)
    response = revoke(client, token, client_id="svc", client_secret="wrong")
    assert response.status_code == 401 and body(response)["error"] == "unauthorized_client"
    assert introspect(client, token)["active"] is True
    # Basic authentication works as at the token endpoint.
    response = client.post(f"{OIDC}/revoke", {"token": token}, HTTP_AUTHORIZATION=basic("svc", SECRET))
    assert response.status_code == 200


def test_wrong_secrets_count_towards_the_lockout(client, svc, settings):
    settings.CLIENT_AUTH_FAILURE_LIMIT = 2
    for _ in range(2):
        assert revoke(client, "x", client_id="svc", client_secret="wrong").status_code == 401
    assert revoke(client, "x", client_id="svc", client_secret="wrong").status_code == 429


def test_bearer_only_client_is_refused(client, realm):
    # A bearer-only client that somehow holds a secret (as one made public-then-bearer-only can).
    api = ClientFactory(realm=realm, client_id="api", bearer_only=True)
    secret_store.secret_set_current(api, SECRET, now=clock.epoch())
    response = revoke(client, "x", client_id="api", client_secret=SECRET)
    assert response.status_code == 400
    assert body(response) == {"error": "invalid_client", "error_description": "Bearer-only not allowed"}


def test_only_post(client, svc):
    response = client.get(f"{OIDC}/revoke")
    assert response.status_code == 405 and body(response) == {"error": "HTTP 405 Method Not Allowed"}


def test_discovery_publishes_revocation(client, realm):
    data = body(client.get("/realms/acme/.well-known/openid-configuration"))
    assert data["revocation_endpoint"] == f"http://testserver{OIDC}/revoke"
    assert data["revocation_endpoint_auth_methods_supported"] == data["token_endpoint_auth_methods_supported"]
