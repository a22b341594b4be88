"""GET /admin/realms/{realm}/admin-events: Keycloak's AdminEventRepresentation and query parameters."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from realms.actor import Actor
from realms.events import MASK, admin_event_record
from tests.conftest import ADMIN_PASSWORD, make_user

pytestmark = pytest.mark.django_db



SECRET = "api-secret-value-never-shown"
ALICE = Actor(source="console", username="alice", user_id="u-alice", auth_realm="master", ip_address="10.0.0.7")
TOOL = Actor(source="admin-api", username="bob", user_id="u-bob", auth_realm="master", client_id="admin-cli", ip_address="10.0.0.8")


def token_for(client, username="admin", password=ADMIN_PASSWORD) -> str:
    response = client.post(
        "/realms/master/protocol/openid-connect/token",
        {"grant_type": "password", "client_id": "admin-cli", "username": username, "password": password},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def api(client, admin_user, master):
    tokens = []

    def get(path, **params):
        if not tokens:
            tokens.append(token_for(client))
        return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {tokens[0]}")

    return get


def record(realm, operation="UPDATE", resource_type="CLIENT", path="clients/abc", actor=ALICE, representation=None):
    return admin_event_record(realm=realm, operation=operation, resource_type=resource_type, resource_path=path, actor=actor, representation=representation)


URL = "/admin/realms/master/admin-events"


@pytest.fixture(autouse=True)
def fresh_key_cache(master):
    from oidc import keys

    keys.cache_forget_realm(master.pk)  # the per-process key cache outlives each test's rollback


def test_representation_shape_and_masking(api, master):
    with time_machine.travel(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC), tick=False):
        record(master, operation="ACTION", path="clients/abc/client-secret", actor=TOOL, representation={"type": "secret", "value": SECRET})
    response = api(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert SECRET not in response.content.decode()
    (event,) = response.json()
    assert event == {
        "time": 1893553445000,
        "realmId": "master",
        "authDetails": {"realmId": "master", "clientId": "admin-cli", "userId": "u-bob", "ipAddress": "10.0.0.8"},
        "operationType": "ACTION",
        "resourceType": "CLIENT",
        "resourcePath": "clients/abc/client-secret",
        "representation": json.dumps({"type": "secret", "value": MASK}, separators=(",", ":")),
    }


def test_newest_first_with_first_and_max(api, master):
    for i in range(5):
        with time_machine.travel(dt.datetime(2030, 1, 1, 0, 0, i, tzinfo=dt.UTC), tick=False):
            record(master, path=f"clients/n{i}")
    assert [e["resourcePath"] for e in api(URL).json()] == [f"clients/n{i}" for i in (4, 3, 2, 1, 0)]
    assert [e["resourcePath"] for e in api(URL, first=1, max=2).json()] == ["clients/n3", "clients/n2"]
    assert api(URL, max=0).json() == []


def test_default_max_is_100(api, master):
    for i in range(105):
        record(master, path=f"clients/{i}")
    assert len(api(URL).json()) == 100


def test_filters(api, master):
    record(master, operation="CREATE", resource_type="CLIENT", path="clients/one", actor=ALICE)
    record(master, operation="DELETE", resource_type="CLIENT", path="clients/two", actor=TOOL)
    record(master, operation="UPDATE", resource_type="CLIENT_POLICY", path="client-policies/policies", actor=TOOL)

    def paths(**params):
        return sorted(e["resourcePath"] for e in api(URL, **params).json())

    assert paths(operationTypes=["CREATE", "DELETE"]) == ["clients/one", "clients/two"]
    assert paths(operationTypes="CREATE,UPDATE") == ["client-policies/policies", "clients/one"]
    assert paths(resourceTypes="CLIENT_POLICY") == ["client-policies/policies"]
    assert paths(authUser="u-alice") == ["clients/one"]
    assert paths(authClient="admin-cli") == ["client-policies/policies", "clients/two"]
    assert paths(authIpAddress="10.0.0.7") == ["clients/one"]
    assert paths(authRealm="master") == ["client-policies/policies", "clients/one", "clients/two"]
    assert paths(resourcePath="clients/*") == ["clients/one", "clients/two"]
    assert paths(resourcePath="clients/one") == ["clients/one"]
    assert paths(resourcePath="*policies*") == ["client-policies/policies"]


def test_date_range_whole_days_and_epoch_millis(api, master):
    for day in (1, 2, 3):
        with time_machine.travel(dt.datetime(2030, 6, day, 12, 0, tzinfo=dt.UTC), tick=False):
            record(master, path=f"clients/day{day}")
    paths = lambda **p: sorted(e["resourcePath"] for e in api(URL, **p).json())  # noqa: E731
    assert paths(dateFrom="2030-06-02", dateTo="2030-06-02") == ["clients/day2"]
    assert paths(dateFrom="2030-06-02") == ["clients/day2", "clients/day3"]
    assert paths(dateTo="2030-06-01") == ["clients/day1"]
    noon2 = int(dt.datetime(2030, 6, 2, 12, 0, tzinfo=dt.UTC).timestamp() * 1000)
    assert paths(dateFrom=str(noon2), dateTo=str(noon2)) == ["clients/day2"]


@pytest.mark.parametrize(
    "params",
    [{"dateFrom": "June"}, {"dateTo": "2030-02-31"}, {"dateFrom": "9" * 40}, {"first": "-1"}, {"max": "x"}, {"first": str(2**40)}],
)
def test_bad_parameters_are_400_in_keycloak_shape(api, master, params):
    response = api(URL, **params)
    assert response.status_code == 400
    assert set(response.json()) <= {"error", "error_description"}


def test_only_the_realms_own_events(api, master):
    from realms.services import realm_create

    other = realm_create(name="other")
    record(other, path="clients/elsewhere")
    assert api(URL).json() == []
    assert [e["resourcePath"] for e in api("/admin/realms/other/admin-events").json()] == ["clients/elsewhere"]


def test_unknown_realm_is_404(api, master):
    assert api("/admin/realms/nope/admin-events").status_code == 404


def test_no_token_is_401(client, master):
    assert client.get(URL).status_code == 401


def test_without_view_realm_is_403(client, master, django_user_model):
    make_user(django_user_model, "clients-only", ["view-clients"])
    token = token_for(client, "clients-only")
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


def test_viewer_may_read(client, master, viewer_user):
    token = token_for(client, "viewer")
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_listed_in_the_openapi_document(client, master):
    schema = client.get("/admin/openapi.json").json()
    operation = schema["paths"]["/admin/realms/{realm}/admin-events"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"operationTypes", "resourceTypes", "authUser", "dateFrom", "dateTo", "first", "max", "resourcePath"} <= names


def test_client_login_events_in_keycloaks_event_representation(api, master):
    from realms.events import login_event_record

    with time_machine.travel(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC), tick=False):
        login_event_record(realm=master, client_id="app", success=True, ip_address="10.0.0.1", secret_used="rotated",
                           details={"endpoint": "token", "grant_type": "client_credentials", "method": "client_secret_basic"})
        login_event_record(realm=master, client_id="ghost", success=False, ip_address="10.0.0.2", error="invalid_client",
                           details={"endpoint": "introspection", "grant_type": None, "client_secret": SECRET})
    response = api("/admin/realms/master/events")
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    # (the token this test reads with was itself a client login of admin-cli)
    ok, bad = sorted((e for e in response.json() if e.get("clientId") in ("app", "ghost")), key=lambda e: e["type"])
    assert ok == {
        "time": 1893553445000, "type": "CLIENT_LOGIN", "realmId": "master", "clientId": "app", "ipAddress": "10.0.0.1",
        "details": {"endpoint": "token", "grant_type": "client_credentials", "method": "client_secret_basic", "secret_used": "rotated"},
    }
    assert bad["type"] == "CLIENT_LOGIN_ERROR" and bad["error"] == "invalid_client"
    assert bad["details"] == {"endpoint": "introspection", "client_secret": MASK}
    assert [e["clientId"] for e in api("/admin/realms/master/events", type="CLIENT_LOGIN_ERROR").json()] == ["ghost"]
    assert [e["clientId"] for e in api("/admin/realms/master/events", client="app").json()] == ["app"]
    assert api("/admin/realms/master/events", dateFrom="2030-01-03").json() == []
    assert api("/admin/realms/master/events", dateTo="nope").status_code == 400
