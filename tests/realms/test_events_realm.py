"""Realm changes made in the console are admin events (resource type REALM)."""

from __future__ import annotations

import json

import pytest

from realms import services
from realms.actor import Actor
from realms.models import AdminEvent, Realm

pytestmark = pytest.mark.django_db


def test_console_create_and_update_record_events(admin_client, master):
    response = admin_client.post("/console/master/add-realm", {"name": "acme", "enabled": "on"}, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    acme = Realm.objects.get(name="acme")
    created = AdminEvent.objects.get(realm=acme, resource_type="REALM", operation_type="CREATE")
    assert (created.auth_username, created.ip_address, created.source) == ("admin", "10.9.8.7", "console")
    assert json.loads(created.representation)["realm"] == "acme"

    response = admin_client.post("/console/acme/realm-settings/", {"display_name": "Acme Inc.", "enabled": "on"})
    assert response.status_code == 302
    updated = AdminEvent.objects.get(realm=acme, resource_type="REALM", operation_type="UPDATE")
    assert updated.resource_path == ""
    assert json.loads(updated.representation)["displayName"] == "Acme Inc."
    page = admin_client.get("/console/acme/events").content.decode()
    assert "REALM" in page and "UPDATE" in page and "CREATE" in page


def test_delete_is_recorded_in_the_admin_realm(master):
    acme = services.realm_create(name="acme")
    services.realm_delete(realm=acme, actor=Actor(source="admin-api", username="admin", auth_realm="master"))
    event = AdminEvent.objects.get(realm=master, operation_type="DELETE", resource_type="REALM")
    assert event.resource_path == "acme"


def test_internal_calls_without_an_actor_record_nothing(master):
    before = AdminEvent.objects.count()
    services.realm_update(realm=master, display_name="Master")
    assert AdminEvent.objects.count() == before


def test_admin_api_realm_changes_record_who_acted(client, admin_user, master, settings):
    from oidc import keys
    from tests.conftest import ADMIN_PASSWORD

    keys.cache_forget_realm(master.pk)
    token = client.post("/realms/master/protocol/openid-connect/token",
                        {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post("/admin/realms", json.dumps({"realm": "beta"}), content_type="application/json", **auth).status_code == 201
    assert client.put("/admin/realms/beta", json.dumps({"displayName": "Beta"}), content_type="application/json", **auth).status_code == 204
    beta = Realm.objects.get(name="beta")
    update = AdminEvent.objects.get(realm=beta, resource_type="REALM", operation_type="UPDATE")
    assert (update.source, update.auth_username, update.auth_client_id) == ("admin-api", "admin", "admin-cli")
    assert AdminEvent.objects.filter(realm=beta, resource_type="REALM", operation_type="CREATE").exists()
    assert client.delete("/admin/realms/beta", **auth).status_code == 204
    assert AdminEvent.objects.filter(realm=master, resource_type="REALM", operation_type="DELETE", resource_path="beta").exists()
