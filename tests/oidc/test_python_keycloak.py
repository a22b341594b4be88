"""python-keycloak's KeycloakOpenID, unchanged, against a live server (docs/wire-contract.md §5, §7)."""

from __future__ import annotations

import pytest
from jwcrypto import jwk
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from tests.conftest import ADMIN_PASSWORD
from tests.oidc.conftest import SECRET

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connections():
    """Close python-keycloak's keep-alive connections before the live server's database goes away."""
    made = []
    yield made
    for oid in made:
        oid.connection._s.close()


def openid(connections, url: str, realm: str, client_id: str, secret: str | None = None) -> KeycloakOpenID:
    oid = KeycloakOpenID(server_url=f"{url}/", realm_name=realm, client_id=client_id, client_secret_key=secret)
    # No keep-alive: no live-server request thread outlives its test.
    oid.connection.add_param_headers("Connection", "close")
    connections.append(oid)
    return oid


@pytest.fixture
def oid(live_server, svc, connections):
    return openid(connections, live_server.url, "acme", "svc", SECRET)


def test_token_introspect_certs_decode(oid):
    token = oid.token(grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["expires_in"] == 300

    info = oid.introspect(token["access_token"])
    assert info["active"] is True and info["client_id"] == "svc"

    certs = oid.certs()
    assert len(certs["keys"]) >= 1

    claims = oid.decode_token(token["access_token"])
    assert claims["azp"] == "svc" and claims["typ"] == "Bearer"


def test_public_key_verifies_tokens(oid):
    token = oid.token(grant_type="client_credentials")
    pem = "-----BEGIN PUBLIC KEY-----\n" + oid.public_key() + "\n-----END PUBLIC KEY-----"
    key = jwk.JWK.from_pem(pem.encode())
    assert oid.decode_token(token["access_token"], key=key)["azp"] == "svc"


def test_decode_token_invalid_token(oid):
    token = oid.token(grant_type="client_credentials")["access_token"]
    head, payload, signature = token.split(".")
    with pytest.raises(Exception):  # noqa: B017  (the library's exception type differs by version)
        oid.decode_token(f"{head}.{payload}.{signature[:-4]}AAAA")


def test_well_known_and_userinfo(oid, live_server):
    well_known = oid.well_known()
    assert well_known["token_endpoint"] == f"{live_server.url}/realms/acme/protocol/openid-connect/token"
    assert well_known["issuer"] == f"{live_server.url}/realms/acme"
    token = oid.token(grant_type="client_credentials")
    assert oid.userinfo(token["access_token"])["preferred_username"] == "service-account-svc"


def test_wrong_secret_is_an_authentication_error(live_server, svc, connections):
    oid = openid(connections, live_server.url, "acme", "svc", "wrong")
    with pytest.raises(KeycloakAuthenticationError) as excinfo:
        oid.token(grant_type="client_credentials")
    assert excinfo.value.response_code == 401


def test_admin_cli_password_login_refresh_logout(live_server, master, admin_user, settings, connections):
    admin_user.set_password(ADMIN_PASSWORD)
    admin_user.save()
    oid = openid(connections, live_server.url, "master", "admin-cli")
    token = oid.token("admin", ADMIN_PASSWORD)
    assert set(token) == {"access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type", "id_token",
                          "not-before-policy", "session_state", "scope"}
    assert oid.decode_token(token["access_token"])["preferred_username"] == "admin"
    assert oid.decode_token(token["refresh_token"], validate=False)["typ"] == "Refresh"
    refreshed = oid.refresh_token(token["refresh_token"])
    assert refreshed["session_state"] == token["session_state"]
    assert oid.logout(refreshed["refresh_token"]) == {}
    with pytest.raises(KeycloakPostError) as excinfo:
        oid.refresh_token(token["refresh_token"])
    assert b"Session not active" in excinfo.value.response_body
