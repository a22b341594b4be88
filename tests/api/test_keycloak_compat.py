"""Keycloak compatibility around clients and realms (issue 20), through real HTTP with real tokens:
client role update and roles-by-id, initial access tokens listed and deleted, realm keys, the
adapter configuration, whoami, and JSON answers for unknown paths and methods."""

from __future__ import annotations

import json

import pytest

from clients import secrets as secret_store
from clients.models import ClientRole
from clients.service_accounts import service_account_roles_set
from clients.services import client_role_create
from oidc.services import initial_access_token_create, realm_key_rotate
from realms.models import AdminEvent
from tests.api.conftest import Api, password_token
from tests.factories import ClientFactory, PublicClientFactory
from tests.oidc.conftest import SECRET, at

pytestmark = pytest.mark.django_db

BASE = "/admin/realms/master"


@pytest.fixture
def app(master):
    return ClientFactory(realm=master, client_id="app", secret=SECRET)


@pytest.fixture
def role(app):
    return client_role_create(client=app, name="reader", description="reads", actor=None)


# --- client roles ---------------------------------------------------------------------------------


class TestClientRoleUpdate:
    def url(self, app, name="reader"):
        return f"{BASE}/clients/{app.pk}/roles/{name}"

    def test_description_and_attributes(self, api, app, role):
        response = api.put(self.url(app), {"name": "reader", "description": "new", "attributes": {"team": ["a", "b"]}})
        assert response.status_code == 204 and response.content == b""
        body = api.get(self.url(app)).json()
        assert body["description"] == "new" and body["attributes"] == {"team": ["a", "b"]}
        event = AdminEvent.objects.filter(operation_type="UPDATE", resource_type="CLIENT_ROLE").get()
        assert event.resource_path == f"clients/{app.pk}/roles/reader"

    def test_rename_keeps_the_id(self, api, app, role):
        assert api.put(self.url(app), {"name": "viewer"}).status_code == 204
        assert api.get(self.url(app)).status_code == 404
        renamed = api.get(self.url(app, "viewer")).json()
        assert renamed["id"] == str(role.pk)
        # Keycloak replaces the description with what was sent: none clears it.
        assert renamed["description"] == ""

    def test_attributes_absent_are_kept(self, api, app, role):
        api.put(self.url(app), {"name": "reader", "attributes": {"k": ["v"]}})
        api.put(self.url(app), {"name": "reader", "description": "d"})
        assert api.get(self.url(app)).json()["attributes"] == {"k": ["v"]}

    def test_rename_onto_another_role_is_409(self, api, app, role):
        client_role_create(client=app, name="writer", actor=None)
        response = api.put(self.url(app), {"name": "writer"})
        assert response.status_code == 409
        assert response.json() == {"errorMessage": "Role with name writer already exists"}
        assert ClientRole.objects.filter(client=app).count() == 2

    @pytest.mark.parametrize("payload", [
        {"name": "reader", "attributes": {"k": "not-a-list-of-strings" * 20}},
        {"name": "reader", "attributes": {"k": [1]}},
        {"name": "reader", "attributes": ["k"]},
        {"name": "reader", "attributes": {f"k{i}": ["v"] for i in range(101)}},
        {"name": "reader", "description": 5},
        {"name": "bad\x01name"},
        {"name": "reader", "unknownField": 1},
    ])
    def test_bad_input_is_400_and_changes_nothing(self, api, app, role, payload):
        response = api.put(self.url(app), payload)
        assert response.status_code == 400, response.content
        assert set(response.json()) <= {"error", "errorMessage", "error_description"}
        role.refresh_from_db()
        assert (role.name, role.description, role.attributes) == ("reader", "reads", {})

    def test_empty_body_and_missing_role(self, api, app, role):
        assert api.put(self.url(app), b"", content_type="application/json").status_code == 400
        response = api.put(self.url(app, "nope"), {"name": "x"})
        assert response.status_code == 404 and response.json()["error"] == "Could not find role"

    def test_permissions(self, api_as, app, role):
        assert api_as("view-clients").put(self.url(app), {"name": "x"}).status_code == 403
        assert api_as("manage-clients").put(self.url(app), {"name": "x"}).status_code == 204

    def test_role_of_a_service_account_holding_more_is_refused(self, api_as, master, django_user_model):
        privileged = ClientFactory(realm=master, client_id="priv", service_accounts_enabled=True)
        service_account_roles_set(client_id="priv", grant=["manage-realm"])
        client_role_create(client=privileged, name="r", actor=None)
        response = api_as("manage-clients").put(f"{BASE}/clients/{privileged.pk}/roles/r", {"name": "s"})
        assert response.status_code == 403
        assert ClientRole.objects.get(client=privileged).name == "r"


class TestRolesById:
    def test_get(self, api, app, role):
        body = api.get(f"{BASE}/roles-by-id/{role.pk}").json()
        assert body == {"id": str(role.pk), "name": "reader", "description": "reads", "composite": False,
                        "clientRole": True, "containerId": str(app.pk), "attributes": {}}

    @pytest.mark.parametrize("role_id", ["999999", "abc", "1" * 40, "-1"])
    def test_unknown_is_404(self, api, app, role, role_id):
        response = api.get(f"{BASE}/roles-by-id/{role_id}")
        assert response.status_code == 404 and response.json()["error"] == "Could not find role"

    def test_role_of_another_realm_is_404(self, api, app, role):
        from realms.services import realm_create

        other = realm_create(name="other")
        assert api.get(f"/admin/realms/{other.name}/roles-by-id/{role.pk}").status_code == 404

    def test_needs_view_clients(self, api_as, role):
        assert api_as("view-realm").get(f"{BASE}/roles-by-id/{role.pk}").status_code == 403
        assert api_as("view-clients").get(f"{BASE}/roles-by-id/{role.pk}").status_code == 200


# --- initial access tokens ------------------------------------------------------------------------


class TestInitialAccess:
    def test_list_never_shows_tokens(self, api, master):
        with at(0):
            token, row = initial_access_token_create(realm=master, expiration=60, count=3)
        response = api.get(f"{BASE}/clients-initial-access")
        assert response.status_code == 200
        assert response.json() == [{"id": str(row.pk), "timestamp": row.created, "expiration": 60, "count": 3, "remainingCount": 3}]
        assert token not in response.content.decode()

    def test_delete(self, api, master):
        _, row = initial_access_token_create(realm=master, expiration=0, count=1)
        response = api.delete(f"{BASE}/clients-initial-access/{row.pk}")
        assert response.status_code == 204
        assert api.get(f"{BASE}/clients-initial-access").json() == []
        assert AdminEvent.objects.filter(operation_type="DELETE", resource_type="CLIENT_INITIAL_ACCESS_MODEL").count() == 1
        # Keycloak answers 204 for an id that names nothing, too.
        assert api.delete(f"{BASE}/clients-initial-access/{row.pk}").status_code == 204
        assert api.delete(f"{BASE}/clients-initial-access/not-a-number").status_code == 204

    def test_permissions(self, api_as, master):
        _, row = initial_access_token_create(realm=master, expiration=0, count=1)
        viewer = api_as("view-clients")
        assert viewer.get(f"{BASE}/clients-initial-access").status_code == 200
        assert viewer.delete(f"{BASE}/clients-initial-access/{row.pk}").status_code == 403
        assert api_as("view-realm").get(f"{BASE}/clients-initial-access").status_code == 403
        assert api_as("manage-clients").delete(f"{BASE}/clients-initial-access/{row.pk}").status_code == 204

    def test_token_of_another_realm_is_not_deleted(self, api, master):
        from realms.services import realm_create

        other = realm_create(name="other")
        _, row = initial_access_token_create(realm=other, expiration=0, count=1)
        assert api.delete(f"{BASE}/clients-initial-access/{row.pk}").status_code == 204
        assert len(api.get("/admin/realms/other/clients-initial-access").json()) == 1


# --- realm keys -----------------------------------------------------------------------------------


class TestRealmKeys:
    def test_active_and_retired_keys(self, client, master, admin_user):
        with at(0):
            first = master.signing_keys.get(active=True)
            second = realm_key_rotate(realm=master)
        with at(10):
            api = Api(client, password_token(client, "admin"))
            body = api.get(f"{BASE}/keys").json()
        assert body["active"] == {"RS256": second.kid}
        statuses = {key["kid"]: key["status"] for key in body["keys"]}
        assert statuses == {second.kid: "ACTIVE", first.kid: "PASSIVE"}
        entry = next(k for k in body["keys"] if k["kid"] == second.kid)
        assert entry["type"] == "RSA" and entry["algorithm"] == "RS256" and entry["use"] == "SIG"
        assert entry["publicKey"] == api.client.get("/realms/master").json()["public_key"]
        assert "privateKey" not in json.dumps(body) and "certificate" not in entry
        # Long after the rotation the retired key is no longer accepted.
        with at(10**6):
            later = api.as_token(password_token(client, "admin")).get(f"{BASE}/keys").json()
        assert {k["kid"]: k["status"] for k in later["keys"]}[first.kid] == "DISABLED"

    def test_needs_view_realm(self, api_as, master):
        assert api_as("view-clients").get(f"{BASE}/keys").status_code == 403
        assert api_as("view-realm").get(f"{BASE}/keys").status_code == 200

    def test_unknown_realm(self, api):
        response = api.get("/admin/realms/nope/keys")
        assert response.status_code == 404 and response.json() == {"error": "Realm not found."}


# --- adapter configuration ------------------------------------------------------------------------

INSTALLATION = "installation/providers/keycloak-oidc-keycloak-json"


class TestAdapterConfig:
    def test_confidential_client_for_a_manager(self, api, app):
        response = api.get(f"{BASE}/clients/{app.pk}/{INSTALLATION}")
        assert response.status_code == 200
        assert response.json() == {
            "realm": "master",
            "auth-server-url": "http://testserver/",
            "ssl-required": "external",
            "resource": "app",
            "credentials": {"secret": SECRET},
            "confidential-port": 0,
        }

    def test_view_only_gets_no_secret(self, api_as, app):
        response = api_as("view-clients").get(f"{BASE}/clients/{app.pk}/{INSTALLATION}")
        assert response.status_code == 200
        assert response.json()["credentials"] == {"secret": "**********"}
        assert SECRET not in response.content.decode()

    def test_secret_of_a_privileged_service_account_stays_masked(self, api_as, master):
        privileged = ClientFactory(realm=master, client_id="priv", service_accounts_enabled=True, secret=SECRET)
        service_account_roles_set(client_id="priv", grant=["manage-realm"])
        response = api_as("manage-clients").get(f"{BASE}/clients/{privileged.pk}/{INSTALLATION}")
        assert response.status_code == 200 and SECRET not in response.content.decode()

    def test_public_client_with_roles(self, api, master):
        spa = PublicClientFactory(realm=master, client_id="spa")
        client_role_create(client=spa, name="r", actor=None)
        body = api.get(f"{BASE}/clients/{spa.pk}/{INSTALLATION}").json()
        assert body["public-client"] is True and "credentials" not in body
        assert body["use-resource-role-mappings"] is True

    def test_client_secret_jwt(self, api, master):
        jwt_client = ClientFactory(realm=master, client_id="jwt", client_authenticator_type="client-secret-jwt", secret=SECRET)
        assert api.get(f"{BASE}/clients/{jwt_client.pk}/{INSTALLATION}").json()["credentials"] == {"secret-jwt": {"secret": SECRET}}

    def test_unknown_provider_and_client(self, api, app):
        response = api.get(f"{BASE}/clients/{app.pk}/installation/providers/keycloak-oidc-jboss-subsystem")
        assert response.status_code == 404
        assert response.json() == {"error": "Unknown Provider", "error_description": "For more on this error consult the server log."}
        response = api.get(f"{BASE}/clients/00000000-0000-0000-0000-000000000000/{INSTALLATION}")
        assert response.status_code == 404 and response.json()["error"] == "Could not find client"

    def test_needs_view_clients(self, api_as, app):
        assert api_as("view-realm").get(f"{BASE}/clients/{app.pk}/{INSTALLATION}").status_code == 403

    def test_answer_is_not_cached(self, api, app):
        assert "no-store" in api.get(f"{BASE}/clients/{app.pk}/{INSTALLATION}")["Cache-Control"]


# --- whoami ---------------------------------------------------------------------------------------


class TestWhoAmI:
    URL = "/admin/master/console/whoami"

    def test_bearer_token(self, api, master, admin_user):
        from realms.services import realm_create

        realm_create(name="acme")
        body = api.get(self.URL).json()
        roles = ["view-realm", "manage-realm", "view-clients", "manage-clients"]
        assert body == {"userId": str(admin_user.pk), "userName": "admin", "realm": "master", "displayName": "admin",
                        "locale": "en", "createRealm": True, "realm_access": {"acme": roles, "master": roles},
                        "temporary": False}
        assert api.get(self.URL, {"currentRealm": "acme"}).json()["realm_access"] == {"acme": roles}

    def test_view_only(self, api_as):
        body = api_as("view-clients").get(self.URL).json()
        assert body["createRealm"] is False and body["realm_access"] == {"master": ["view-clients"]}

    def test_no_roles(self, api_as):
        assert api_as().get(self.URL).json()["realm_access"] == {}

    def test_console_session(self, console_client, master):
        client = console_client(["manage-clients"], username="clerk")
        body = client.get(self.URL).json()
        assert body["userName"] == "clerk" and body["realm_access"] == {"master": ["view-clients", "manage-clients"]}

    def test_refusals(self, client, api, master):
        assert client.get(self.URL).status_code == 401
        response = client.get(self.URL, HTTP_AUTHORIZATION="Bearer garbage")
        assert response.status_code == 401 and response.json() == {"error": "HTTP 401 Unauthorized"}
        assert api.get("/admin/nope/console/whoami").json() == {"error": "Realm not found."}
        assert api.get(self.URL, {"currentRealm": "nope"}).status_code == 404

    def test_revoked_token_is_refused(self, client, api, master):
        token = api.token
        assert client.post("/realms/master/protocol/openid-connect/revoke", {"token": token, "client_id": "admin-cli"}).status_code == 200
        assert api.get(self.URL).status_code == 401


# --- JSON everywhere ------------------------------------------------------------------------------

NOT_FOUND = {"error": "Unable to find matching target resource method", "error_description": "For more on this error consult the server log."}


@pytest.mark.parametrize("path", ["/realms", "/realms/", "/realms/master/nope", "/realms/master/protocol/openid-connect/nope",
                                  "/realms/master/protocol/openid-connect/token/x/y", "/admin", "/admin/nope",
                                  "/admin/realms/master/nope/deeper"])
def test_unknown_paths_answer_json(client, master, path):
    for method in ("get", "post", "put", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize("method,path", [
    ("put", "/realms/master/protocol/openid-connect/revoke"),
    ("delete", "/realms/master/.well-known/openid-configuration"),
    ("patch", f"{BASE}/keys"),
    ("post", f"{BASE}/roles-by-id/1"),
])
def test_wrong_methods_answer_json_405(api, method, path):
    response = getattr(api.client, method)(path, HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "HTTP 405 Method Not Allowed"


def test_secret_store_unchanged_by_reads(api, app):
    """Reading the adapter configuration decrypts the secret; it never writes a secret row."""
    before = secret_store.secret_rows(app)[0].pk
    api.get(f"{BASE}/clients/{app.pk}/{INSTALLATION}")
    assert secret_store.secret_rows(app)[0].pk == before
