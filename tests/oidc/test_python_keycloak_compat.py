"""python-keycloak's KeycloakOpenID, unchanged, against a live server: discovery, certs, logout,
and revocation (python-keycloak has no revoke call: requests, as an application would)."""

from __future__ import annotations

import pytest
import requests
from keycloak.exceptions import KeycloakPostError

from tests.conftest import ADMIN_PASSWORD
from tests.oidc.conftest import SECRET
from tests.oidc.test_python_keycloak import openid

pytestmark = pytest.mark.django_db(transaction=True)
CLOSE = {"Connection": "close"}  # no live-server request thread outlives its test

# Every key Keycloak 26 publishes, but those naming endpoints this server does not serve.
KEYCLOAK_KEYS = {
    "issuer", "authorization_endpoint", "token_endpoint", "introspection_endpoint", "userinfo_endpoint",
    "end_session_endpoint", "frontchannel_logout_session_supported", "frontchannel_logout_supported", "jwks_uri",
    "grant_types_supported", "acr_values_supported", "response_types_supported", "subject_types_supported",
    "prompt_values_supported", "id_token_signing_alg_values_supported", "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported", "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported", "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported", "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported", "response_modes_supported", "registration_endpoint",
    "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint_auth_methods_supported", "introspection_endpoint_auth_signing_alg_values_supported",
    "authorization_signing_alg_values_supported", "authorization_encryption_alg_values_supported",
    "authorization_encryption_enc_values_supported", "claims_supported", "claim_types_supported",
    "claims_parameter_supported", "scopes_supported", "request_parameter_supported", "request_uri_parameter_supported",
    "require_request_uri_registration", "code_challenge_methods_supported", "tls_client_certificate_bound_access_tokens",
    "revocation_endpoint", "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported", "backchannel_logout_supported",
    "backchannel_logout_session_supported", "backchannel_token_delivery_modes_supported",
    "backchannel_authentication_request_signing_alg_values_supported", "require_pushed_authorization_requests",
    "authorization_response_iss_parameter_supported",
}
NOT_SERVED = {"check_session_iframe", "device_authorization_endpoint", "backchannel_authentication_endpoint",
              "pushed_authorization_request_endpoint", "mtls_endpoint_aliases"}


@pytest.fixture
def connections():
    made = []
    yield made
    for oid in made:
        oid.connection._s.close()


def test_well_known_publishes_every_key_and_every_url_works(live_server, realm, connections):
    oid = openid(connections, live_server.url, "acme", "svc", SECRET)
    document = oid.well_known()
    assert set(document) == KEYCLOAK_KEYS and not NOT_SERVED & set(document)
    for name, value in document.items():
        if isinstance(value, str) and value.startswith("http") and name != "issuer":
            method = requests.get if name in ("jwks_uri", "authorization_endpoint", "userinfo_endpoint") else requests.post
            answer = method(value, headers=CLOSE)
            assert answer.status_code != 404, name
            assert answer.headers["Content-Type"].startswith("application/json"), name


def test_certs_and_logout(live_server, master, admin_user, connections):
    oid = openid(connections, live_server.url, "master", "admin-cli")
    assert oid.certs()["keys"][0]["kty"] == "RSA"
    tokens = oid.token(username="admin", password=ADMIN_PASSWORD)
    assert oid.logout(tokens["refresh_token"]) == {}
    with pytest.raises(KeycloakPostError):
        oid.refresh_token(tokens["refresh_token"])


def test_revocation_with_requests(live_server, svc, connections):
    oid = openid(connections, live_server.url, "acme", "svc", SECRET)
    token = oid.token(grant_type="client_credentials")["access_token"]
    revoke_url = oid.well_known()["revocation_endpoint"]
    answer = requests.post(revoke_url, data={"token": token, "token_type_hint": "access_token"}, auth=("svc", SECRET), headers=CLOSE)
    assert answer.status_code == 200
    wrong = requests.post(revoke_url, data={"token": token}, auth=("svc", "wrong-secret"), headers=CLOSE)
    assert wrong.status_code == 401
    assert oid.introspect(token) == {"active": False}
