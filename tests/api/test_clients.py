"""Client, secret, registration-token and role endpoints (docs/wire-contract.md R16–R21e, docs/keycloak.md §3)."""

from __future__ import annotations

import uuid

import pytest

from clients import secrets as secret_store
from clients.models import Client, ClientRole, ClientSecret
from clients.services import client_create
from policies.services import policies_replace, profiles_replace
from realms.models import AdminEvent
from tests.api.conftest import compact

BASE = "/admin/realms/master/clients"
NOT_FOUND = compact({"error": "Could not find client", "error_description": "For more on this error consult the server log."})


@pytest.fixture
def app(master):
    return client_create(
        realm=master,
        representation={"clientId": "app", "name": "App", "secret": "app-secret", "attributes": {"keep": "me"}},
        actor=None,
    )


def rotation_policy(realm):
    profiles_replace(realm=realm, representation={"profiles": [{
        "name": "weekly",
        "executors": [{"executor": "secret-rotation", "configuration": {
            "expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}}],
    }]})
    policies_replace(realm=realm, representation={"policies": [{
        "name": "rotate", "enabled": True,
        "conditions": [{"condition": "client-access-type", "configuration": {"type": ["confidential"]}}],
        "profiles": ["weekly"],
    }]})


def refusing_policy(realm):
    """Any client must be confidential: creating or switching to a public client is refused."""
    profiles_replace(realm=realm, representation={"profiles": [{
        "name": "confidential-only", "executors": [{"executor": "confidential-client", "configuration": {}}]}]})
    policies_replace(realm=realm, representation={"policies": [{
        "name": "all", "enabled": True, "conditions": [{"condition": "any-client", "configuration": {}}],
        "profiles": ["confidential-only"]}]})


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_and_pages(api, master):
    for name in ("alpha", "beta", "alphabet", "gamma"):
        client_create(realm=master, representation={"clientId": name}, actor=None)
    def ids(params=None):
        response = api.get(BASE, params)
        assert response.status_code == 200
        return [c["clientId"] for c in response.json()]

    everything = ids()
    assert {"alpha", "beta", "alphabet", "gamma", "admin-cli"} <= set(everything)
    assert ids({"clientId": "alpha"}) == ["alpha"]  # exact without search
    assert ids({"clientId": "ALPHA", "search": "true"}) == ["alpha", "alphabet"]
    assert ids({"clientId": "alph", "search": "True"}) == ["alpha", "alphabet"]
    assert ids({"clientId": "nothing"}) == []
    assert ids({"first": 1, "max": 2}) == everything[1:3]
    assert ids({"max": 0}) == []
    assert ids({"first": 100}) == []


@pytest.mark.parametrize(
    "params", [{"first": "x"}, {"max": "-1"}, {"first": "-3"}, {"first": str(10**20)}, {"search": "maybe"}]
)
def test_list_bad_query_is_400(api, params):
    response = api.get(BASE, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert set(body) == {"error", "error_description"}


def test_list_with_secret_only_for_managers(api, app):
    [rep] = api.get(BASE, {"clientId": "app"}).json()
    assert rep["secret"] == "app-secret"


# --- create ---------------------------------------------------------------------------------------


def test_create_201_with_location(api, master):
    response = api.post(BASE, {"clientId": "new-app", "publicClient": False, "redirectUris": ["https://x.test/cb"]})
    assert response.status_code == 201
    assert response.content == b""
    location = response["Location"]
    assert location.startswith("http://testserver/admin/realms/master/clients/")
    client = Client.objects.get(client_id="new-app")
    assert location.rsplit("/", 1)[1] == str(client.pk)
    assert secret_store.secret_get(client, ClientSecret.CURRENT) is not None  # confidential: secret generated
    rep = api.get(location.replace("http://testserver", "")).json()
    assert rep["redirectUris"] == ["https://x.test/cb"]


def test_create_with_trailing_slash_and_no_redirect(api):
    response = api.post(BASE + "/", {"clientId": "slash"})
    assert response.status_code == 201


def test_create_duplicate_409(api, app):
    response = api.post(BASE, {"clientId": "app"})
    assert response.status_code == 409
    assert response.content == compact({"errorMessage": "Client app already exists"})
    assert Client.objects.filter(client_id="app").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"clientId": ""},
        {"clientId": 5},
        {"clientId": "x", "publicClient": "yes"},
        {"clientId": "x", "redirectUris": "https://x"},
        {"clientId": "x", "attributes": []},
        {"clientId": "x", "unknownField": 1},
        {"clientId": "x", "protocol": "saml"},
        {"clientId": "x" * 10_000},
        {"clientId": "x", "rootUrl": "javascript:alert(1)"},
        [{"clientId": "x"}],
    ],
)
def test_create_bad_input_400_and_nothing_created(api, body):
    before = Client.objects.count()
    response = api.post(BASE, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) <= {"error", "error_description", "errorMessage"}
    assert Client.objects.count() == before


def test_create_refused_by_policy_changes_nothing(api, master):
    refusing_policy(master)
    events = AdminEvent.objects.count()
    response = api.post(BASE, {"clientId": "spa", "publicClient": True})
    assert response.status_code == 400
    assert response.content == compact(
        {"error": "invalid_client_metadata", "error_description": "Invalid client metadata: invalid client access type"}
    )
    assert not Client.objects.filter(client_id="spa").exists()
    assert AdminEvent.objects.count() == events
    assert api.post(BASE, {"clientId": "backend"}).status_code == 201


# --- get / update / delete ------------------------------------------------------------------------


def test_get(api, app):
    response = api.get(f"{BASE}/{app.pk}")
    assert response.status_code == 200
    rep = response.json()
    assert rep["id"] == str(app.pk)
    assert rep["clientId"] == "app"
    assert rep["secret"] == "app-secret"
    assert rep["publicClient"] is False
    assert rep["attributes"]["keep"] == "me"


@pytest.mark.parametrize("client_id", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_unknown_client_404(api, client_id):
    for response in (
        api.get(f"{BASE}/{client_id}"),
        api.put(f"{BASE}/{client_id}", {"name": "x"}),
        api.delete(f"{BASE}/{client_id}"),
        api.get(f"{BASE}/{client_id}/client-secret"),
        api.post(f"{BASE}/{client_id}/client-secret"),
        api.get(f"{BASE}/{client_id}/client-secret/rotated"),
        api.delete(f"{BASE}/{client_id}/client-secret/rotated"),
        api.post(f"{BASE}/{client_id}/registration-access-token", {}),
        api.get(f"{BASE}/{client_id}/roles"),
    ):
        assert response.status_code == 404
        assert response.content == NOT_FOUND


def test_client_of_another_realm_is_not_found(api, app):
    api.post("/admin/realms", {"realm": "other"})
    assert api.get(f"/admin/realms/other/clients/{app.pk}").content == NOT_FOUND


def test_update_merges_204(api, app):
    response = api.put(f"{BASE}/{app.pk}", {"description": "new", "attributes": {"added": "yes"}})
    assert response.status_code == 204
    assert response.content == b""
    rep = api.get(f"{BASE}/{app.pk}").json()
    assert rep["description"] == "new"
    assert rep["name"] == "App"
    assert rep["attributes"]["keep"] == "me"
    assert rep["attributes"]["added"] == "yes"
    assert rep["secret"] == "app-secret"
    # Sending back the representation as read is accepted.
    assert api.put(f"{BASE}/{app.pk}", rep).status_code == 204
    # An empty body is no change.
    assert api.put(f"{BASE}/{app.pk}").status_code == 204


def test_update_clientid_clash_409(api, app, master):
    client_create(realm=master, representation={"clientId": "other"}, actor=None)
    response = api.put(f"{BASE}/{app.pk}", {"clientId": "other"})
    assert response.status_code == 409
    assert response.content == compact({"errorMessage": "Client already exists"})


def test_update_bad_input_400_changes_nothing(api, app):
    for body in ({"enabled": "no"}, {"wrong": 1}, {"attributes": {"a": {"nested": 1}}}, [1]):
        response = api.put(f"{BASE}/{app.pk}", body)
        assert response.status_code == 400, body
    app.refresh_from_db()
    assert app.enabled is True


def test_update_refused_by_policy_changes_nothing(api, app, master):
    refusing_policy(master)
    response = api.put(f"{BASE}/{app.pk}", {"publicClient": True, "name": "Renamed"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    app.refresh_from_db()
    assert app.public_client is False
    assert app.name == "App"


def test_delete_204_then_404(api, app):
    response = api.delete(f"{BASE}/{app.pk}", {})  # the admin-client sends {}
    assert response.status_code == 204
    assert response.content == b""
    assert api.delete(f"{BASE}/{app.pk}").status_code == 404
    assert not Client.objects.filter(pk=app.pk).exists()


# --- secrets --------------------------------------------------------------------------------------


def test_secret_get_and_regenerate(api, app):
    response = api.get(f"{BASE}/{app.pk}/client-secret")
    assert response.status_code == 200
    assert response.content == compact({"type": "secret", "value": "app-secret"})
    assert "no-store" in response["Cache-Control"]
    # python-keycloak: Content-Type json with Content-Length 0; admin-client: {}.
    for body in (None, {}):
        response = api.post(f"{BASE}/{app.pk}/client-secret", body)
        assert response.status_code == 200
        new = response.json()
        assert new["type"] == "secret" and len(new["value"]) == 32
        assert api.get(f"{BASE}/{app.pk}/client-secret").json() == new


def test_secret_of_public_client(api, master):
    spa = client_create(realm=master, representation={"clientId": "spa", "publicClient": True}, actor=None)
    assert api.get(f"{BASE}/{spa.pk}/client-secret").content == compact({"type": "secret"})


def test_rotated_secret_lifecycle(api, app, master):
    rotated_url = f"{BASE}/{app.pk}/client-secret/rotated"
    response = api.get(rotated_url)
    assert response.status_code == 404
    assert response.content == compact({"error": "Client does not have a rotated secret"})
    # Nothing to delete is still 204.
    assert api.delete(rotated_url).status_code == 204

    rotation_policy(master)
    new = api.post(f"{BASE}/{app.pk}/client-secret").json()["value"]
    response = api.get(rotated_url)
    assert response.status_code == 200
    assert response.json() == {"type": "secret", "value": "app-secret"}
    assert "no-store" in response["Cache-Control"]

    response = api.delete(rotated_url, {})
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(rotated_url).status_code == 404
    assert api.get(f"{BASE}/{app.pk}/client-secret").json()["value"] == new
    assert AdminEvent.objects.filter(operation_type="DELETE", resource_path__endswith="/client-secret/rotated").exists()


def test_regenerate_without_policy_removes_rotation_info(api, app):
    api.post(f"{BASE}/{app.pk}/client-secret")
    rep = api.get(f"{BASE}/{app.pk}").json()
    assert "client.secret.rotated" not in rep["attributes"]
    assert "client.secret.expiration.time" not in rep["attributes"]


def test_registration_access_token(api, app):
    response = api.post(f"{BASE}/{app.pk}/registration-access-token", {})
    assert response.status_code == 200
    rep = response.json()
    assert rep["id"] == str(app.pk)
    assert rep["clientId"] == "app"
    token = rep["registrationAccessToken"]
    second = api.post(f"{BASE}/{app.pk}/registration-access-token").json()["registrationAccessToken"]
    assert second != token
    from clients.selectors import client_registration_token_valid

    app.refresh_from_db()
    assert client_registration_token_valid(client=app, token=second)
    assert not client_registration_token_valid(client=app, token=token)
    assert "registrationAccessToken" not in api.get(f"{BASE}/{app.pk}").json()


# --- roles ----------------------------------------------------------------------------------------


def test_roles_crud(api, app):
    roles_url = f"{BASE}/{app.pk}/roles"
    assert api.get(roles_url).json() == []
    response = api.post(roles_url, {"name": "reader", "description": "Reads"})
    assert response.status_code == 201
    assert response.content == b""
    assert response["Location"].endswith(f"/clients/{app.pk}/roles/reader")
    response = api.post(roles_url, {"name": "reader"})
    assert response.status_code == 409
    assert response.content == compact({"errorMessage": "Role with name reader already exists"})
    api.post(roles_url, {"name": "writer role"})

    [reader, writer] = api.get(roles_url).json()
    assert reader["name"] == "reader"
    assert reader["description"] == "Reads"
    assert reader["clientRole"] is True
    assert reader["composite"] is False
    assert reader["containerId"] == str(app.pk)
    assert writer["name"] == "writer role"
    assert api.get(roles_url, {"search": "writ"}).json()[0]["name"] == "writer role"
    assert api.get(f"{roles_url}/writer%20role").json()["name"] == "writer role"

    assert api.delete(f"{roles_url}/reader").status_code == 204
    response = api.delete(f"{roles_url}/reader")
    assert response.status_code == 404
    assert response.json()["error"] == "Could not find role"
    assert api.get(f"{roles_url}/reader").status_code == 404
    assert list(ClientRole.objects.filter(client=app).values_list("name", flat=True)) == ["writer role"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 3}, {"name": "x" * 5000}, {"name": "ok", "bogus": 1}, None])
def test_role_create_bad_input(api, app, body):
    response = api.post(f"{BASE}/{app.pk}/roles", body)
    assert response.status_code == 400
    assert not ClientRole.objects.filter(client=app).exists()


# --- initial access tokens ------------------------------------------------------------------------


def test_initial_access_token(api):
    response = api.post("/admin/realms/master/clients-initial-access", {"expiration": 3600, "count": 2})
    assert response.status_code == 201
    body = response.json()
    assert body["count"] == 2 and body["remainingCount"] == 2 and body["expiration"] == 3600
    assert len(body["token"]) > 20
    defaults = api.post("/admin/realms/master/clients-initial-access").json()
    assert defaults["count"] == 1 and defaults["expiration"] == 0
    for bad in ({"count": 0}, {"expiration": -1}, {"count": "many"}, {"other": 1}):
        assert api.post("/admin/realms/master/clients-initial-access", bad).status_code == 400


def test_list_query_count_does_not_grow_with_clients(api, master):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api.get(BASE).status_code == 200
        return len(captured)

    client_create(realm=master, representation={"clientId": "c0"}, actor=None)
    few = count_queries()
    for i in range(1, 11):
        client_create(realm=master, representation={"clientId": f"c{i}", "secret": f"s{i}"}, actor=None)
    assert count_queries() == few
