"""python-keycloak 7.x, unmodified, against a live server: the calls its users make around clients
and realms beyond CRUD (issue 20): client role update and lookup by id, realm keys, the adapter
configuration, initial access tokens, and the JSON 404 its error handling parses."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakGetError, KeycloakPutError

from tests.api.test_python_keycloak import ONE_REQUEST_PER_CONNECTION
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(live_server, master, admin_user):
    kc = KeycloakAdmin(server_url=live_server.url + "/", username=admin_user.username, password=ADMIN_PASSWORD,
                       realm_name="master", user_realm_name="master", client_id="admin-cli",
                       custom_headers=ONE_REQUEST_PER_CONNECTION)
    yield kc
    kc.connection._s.close()


def test_client_roles_update_and_by_id(admin):
    client_id = admin.create_client({"clientId": "roles-app", "publicClient": False})
    admin.create_client_role(client_id, {"name": "reader", "description": "reads"})
    role = admin.get_client_role(client_id, "reader")
    admin.update_client_role(client_id, "reader", {"name": "reader", "description": "reads more",
                                                   "attributes": {"team": ["blue"]}})
    assert admin.get_client_role(client_id, "reader")["attributes"] == {"team": ["blue"]}
    admin.update_client_role(client_id, "reader", {"name": "viewer", "description": "renamed"})
    by_id = admin.get_role_by_id(role["id"])
    assert by_id["name"] == "viewer" and by_id["description"] == "renamed" and by_id["containerId"] == client_id
    assert admin.get_client_role_id(client_id, "viewer") == role["id"]
    admin.create_client_role(client_id, {"name": "writer"})
    with pytest.raises(KeycloakPutError) as refused:
        admin.update_client_role(client_id, "writer", {"name": "viewer"})
    assert refused.value.response_code == 409
    with pytest.raises(KeycloakGetError) as missing:
        admin.get_role_by_id("424242")
    assert missing.value.response_code == 404


def test_keys(admin):
    keys = admin.get_keys()
    [kid] = keys["active"].values()
    assert [k["kid"] for k in keys["keys"] if k["status"] == "ACTIVE"] == [kid]


def test_installation_provider(admin, live_server):
    client_id = admin.create_client({"clientId": "adapter-app", "publicClient": False})
    secret = admin.get_client_secrets(client_id)["value"]
    config = admin.get_client_installation_provider(client_id, "keycloak-oidc-keycloak-json")
    assert config == {"realm": "master", "auth-server-url": live_server.url + "/", "ssl-required": "external",
                      "resource": "adapter-app", "credentials": {"secret": secret}, "confidential-port": 0}
    with pytest.raises(KeycloakGetError) as unknown:
        admin.get_client_installation_provider(client_id, "keycloak-saml")
    assert unknown.value.response_code == 404
    assert b"Unknown Provider" in unknown.value.response_body


def test_unknown_path_is_a_json_404(admin):
    with pytest.raises(KeycloakGetError) as error:
        admin.get_client_scopes()  # client scopes are not served here
    assert error.value.response_code == 404
    assert error.value.response_body.startswith(b'{"error":')
