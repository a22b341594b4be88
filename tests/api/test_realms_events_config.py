"""Events configuration (issue 20): GET / PUT /admin/realms/{realm}/events/config, honoured by what
is recorded; DELETE /admin-events and /events; the same settings in the realm representation."""

from __future__ import annotations

import json

import pytest

from realms.models import AdminEvent, LoginEvent, Realm
from tests.api.conftest import compact

URL = "/admin/realms/master/events/config"
DEFAULTS = {"eventsEnabled": True, "eventsListeners": ["jboss-logging"], "enabledEventTypes": [],
            "adminEventsEnabled": True, "adminEventsDetailsEnabled": True}


def failed_login(client, realm="master"):
    response = client.post(f"/realms/{realm}/protocol/openid-connect/token",
                           {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "wrong"})
    assert response.status_code in (400, 401)


def test_defaults_keep_an_audit_trail(api):
    assert api.get(URL).json() == DEFAULTS


def test_put_is_partial_and_each_field_is_stored(api):
    for body, expected in [
        ({"eventsEnabled": False}, {"eventsEnabled": False}),
        ({"eventsExpiration": 3600}, {"eventsExpiration": 3600}),
        ({"eventsListeners": ["jboss-logging", "email", "email"]}, {"eventsListeners": ["jboss-logging", "email"]}),
        ({"enabledEventTypes": ["CLIENT_LOGIN_ERROR"]}, {"enabledEventTypes": ["CLIENT_LOGIN_ERROR"]}),
        ({"adminEventsEnabled": False}, {"adminEventsEnabled": False}),
        ({"adminEventsDetailsEnabled": False}, {"adminEventsDetailsEnabled": False}),
    ]:
        before = api.get(URL).json()
        assert api.put(URL, body).status_code == 204, body
        assert api.get(URL).json() == {**before, **expected}
    # null and absent keep; 0 clears the expiration (Keycloak leaves it out then).
    full = api.get(URL).json()
    assert api.put(URL, {key: None for key in full}).status_code == 204
    assert api.get(URL).json() == full
    assert api.put(URL, {"eventsExpiration": 0}).status_code == 204
    assert "eventsExpiration" not in api.get(URL).json()


def test_the_realm_representation_carries_the_same_settings(api):
    assert api.put("/admin/realms/master", {"adminEventsDetailsEnabled": False, "eventsExpiration": 60}).status_code == 204
    rep = api.get("/admin/realms/master").json()
    assert {key: rep[key] for key in (*DEFAULTS, "eventsExpiration")} == {**DEFAULTS, "adminEventsDetailsEnabled": False,
                                                                         "eventsExpiration": 60}
    assert api.get(URL).json() == {**DEFAULTS, "adminEventsDetailsEnabled": False, "eventsExpiration": 60}
    api.post("/admin/realms", {"realm": "quiet", "eventsEnabled": False, "adminEventsEnabled": False})
    assert api.get("/admin/realms/quiet/events/config").json() == {**DEFAULTS, "eventsEnabled": False, "adminEventsEnabled": False}


@pytest.mark.parametrize("body", [
    {"eventsEnabled": "yes"}, {"eventsExpiration": -1}, {"eventsExpiration": "soon"}, {"eventsExpiration": 2**41},
    {"eventsExpiration": 1.5}, {"eventsListeners": "jboss-logging"}, {"eventsListeners": [1]}, {"eventsListeners": ["a b"]},
    {"enabledEventTypes": ["client_login"]}, {"enabledEventTypes": ["X" * 65]}, {"enabledEventTypes": [f"T{i}" for i in range(201)]},
    {"adminEventsEnabled": 0}, {"adminEventsDetailsEnabled": []}, {"unknown": True}, [], "text",
])
def test_hostile_bodies_are_400_and_change_nothing(api, body):
    response = api.put(URL, body)
    assert response.status_code == 400, body
    assert set(response.json()) <= {"error", "error_description", "errorMessage"}
    assert api.get(URL).json() == DEFAULTS
    assert api.put("/admin/realms/master", body).status_code == 400  # the same fields in the realm: the same checks
    assert api.get(URL).json() == DEFAULTS


def test_invalid_json_is_400(api):
    response = api.client.put(URL, b'{"eventsEnabled": tru', content_type="application/json", **api._headers({}))
    assert response.status_code == 400
    assert response.content == compact({"error": "invalid_request", "error_description": "Cannot parse the JSON"})


def test_permissions(api_as, anonymous):
    viewer, manager, clients_only = api_as("view-realm"), api_as("manage-realm"), api_as("view-clients", "manage-clients")
    assert viewer.get(URL).status_code == 200
    assert manager.get(URL).status_code == 200  # manage implies view
    assert clients_only.get(URL).status_code == 403
    assert anonymous.get(URL).status_code == 401
    for call in (lambda a: a.put(URL, {"eventsEnabled": False}), lambda a: a.delete("/admin/realms/master/admin-events"),
                 lambda a: a.delete("/admin/realms/master/events")):
        assert call(viewer).status_code == 403
        assert call(clients_only).status_code == 403
        assert call(anonymous).status_code == 401
        assert call(manager).status_code == 204
    assert viewer.get("/admin/realms/nowhere/events/config").status_code == 404
    assert Realm.objects.get(name="master").events_enabled is False


class TestHonoured:
    def test_admin_events_off_records_nothing_but_the_change_that_turned_them_off(self, api):
        api.put(URL, {"adminEventsEnabled": False})
        turned_off = AdminEvent.objects.latest("id")
        assert (turned_off.operation_type, turned_off.resource_path) == ("UPDATE", "events/config")
        assert json.loads(turned_off.representation)["adminEventsEnabled"] is False
        assert api.post("/admin/realms/master/clients", {"clientId": "silent"}).status_code == 201
        assert AdminEvent.objects.latest("id") == turned_off
        api.put(URL, {"adminEventsEnabled": True})
        assert api.post("/admin/realms/master/clients", {"clientId": "heard"}).status_code == 201
        assert AdminEvent.objects.latest("id").resource_type == "CLIENT"

    def test_details_off_drops_the_representation_only(self, api):
        api.put(URL, {"adminEventsDetailsEnabled": False})
        api.post("/admin/realms/master/clients", {"clientId": "app"})
        event = AdminEvent.objects.latest("id")
        assert (event.operation_type, event.resource_type, event.representation) == ("CREATE", "CLIENT", "")
        [listed] = api.get("/admin/realms/master/admin-events", {"max": 1}).json()
        assert "representation" not in listed and listed["resourceType"] == "CLIENT"

    def test_login_events_off_and_by_type(self, api, client):
        LoginEvent.objects.all().delete()
        failed_login(client)
        assert LoginEvent.objects.filter(type="CLIENT_LOGIN_ERROR").count() == 1
        api.put(URL, {"eventsEnabled": False})
        failed_login(client)
        assert LoginEvent.objects.count() == 1
        api.put(URL, {"eventsEnabled": True, "enabledEventTypes": ["CLIENT_LOGIN"]})
        failed_login(client)
        assert LoginEvent.objects.count() == 1
        api.put(URL, {"enabledEventTypes": ["CLIENT_LOGIN_ERROR", "LOGIN"]})
        failed_login(client)
        assert LoginEvent.objects.count() == 2
        api.put(URL, {"enabledEventTypes": []})  # empty: every type again
        failed_login(client)
        assert LoginEvent.objects.count() == 3


class TestClear:
    def test_delete_admin_events_leaves_one_event_saying_who_cleared(self, api):
        api.post("/admin/realms/master/clients", {"clientId": "app"})
        api.put("/admin/realms/master", {"displayName": "Master"})
        api.post("/admin/realms", {"realm": "other"})
        other_events = AdminEvent.objects.exclude(realm__name="master").count()
        assert AdminEvent.objects.filter(realm__name="master").count() >= 2
        assert api.delete("/admin/realms/master/admin-events").status_code == 204
        [left] = api.get("/admin/realms/master/admin-events").json()
        assert (left["operationType"], left["resourceType"], left["resourcePath"]) == ("DELETE", "REALM", "admin-events")
        assert left["authDetails"]["realmId"] == "master" and left["authDetails"]["userId"]
        assert AdminEvent.objects.exclude(realm__name="master").count() == other_events  # other realms untouched

    def test_delete_events_clears_login_events_and_is_recorded(self, api, client):
        failed_login(client)
        api.post("/admin/realms", {"realm": "other"})
        failed_login(client, "other")
        assert api.delete("/admin/realms/master/events").status_code == 204
        assert api.get("/admin/realms/master/events").json() == []
        assert LoginEvent.objects.filter(realm__name="other").count() == 1
        event = AdminEvent.objects.filter(realm__name="master").latest("id")
        assert (event.operation_type, event.resource_path) == ("DELETE", "events")

    def test_clearing_is_recorded_even_with_admin_events_off(self, api):
        api.put(URL, {"adminEventsEnabled": False})
        api.delete("/admin/realms/master/admin-events")
        assert list(AdminEvent.objects.filter(realm__name="master").values_list("resource_path", flat=True)) == ["admin-events"]

    def test_unknown_realm_is_404(self, api):
        assert api.delete("/admin/realms/nowhere/admin-events").status_code == 404
        assert api.delete("/admin/realms/nowhere/events").status_code == 404
