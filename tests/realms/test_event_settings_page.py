"""Events → Event settings: the console's form for what is recorded and how long user events are kept."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from realms.models import AdminEvent, Realm
from tests.permissions import TO_LOGIN, get, post

pytestmark = pytest.mark.django_db

PAGE = reverse("events-settings", kwargs={"realm": "master"})
OFF = {"events_expiration": "86400"}  # unchecked switches are absent from a form post


def test_permission_matrix(master, permission_matrix):
    permission_matrix(
        [get(PAGE), post(PAGE, OFF)],
        anonymous=TO_LOGIN,
        outsider=403,
        viewer=[200, 403],
        manager=[200, 302],
        manager_roles=["manage-realm"],
    )


def test_shows_the_settings_and_a_viewer_gets_no_save(master, admin_client, console_client):
    page = admin_client.get(PAGE).content.decode()
    for label in ("Save user events", "Expiration (seconds)", "Save admin events", "Include representation", "Event settings"):
        assert label in page
    for name in ("events_enabled", "admin_events_enabled", "admin_events_details_enabled"):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*checked', page), name
    viewer = console_client(["view-realm"]).get(PAGE).content.decode()
    assert "disabled" in viewer and ">Save</button>" not in viewer


def test_save_turns_things_off_and_is_recorded(master, admin_client):
    response = admin_client.post(PAGE, OFF)
    assert response.status_code == 302 and response["Location"] == PAGE
    realm = Realm.objects.get(name="master")
    assert (realm.events_enabled, realm.events_expiration, realm.admin_events_enabled, realm.admin_events_details_enabled) == (
        False, 86400, False, False)
    event = AdminEvent.objects.latest("id")
    assert (event.operation_type, event.resource_path, event.source) == ("UPDATE", "events/config", "console")
    assert event.representation == ""  # "Include representation" was turned off by this very change
    admin_client.post(PAGE, {"events_enabled": "on", "admin_events_enabled": "on", "admin_events_details_enabled": "on",
                             "events_expiration": ""})
    realm.refresh_from_db()
    assert (realm.events_enabled, realm.events_expiration, realm.admin_events_enabled, realm.admin_events_details_enabled) == (
        True, 0, True, True)


def test_htmx_save_answers_the_form(master, admin_client):
    response = admin_client.post(PAGE, {**OFF, "admin_events_enabled": "on", "admin_events_details_enabled": "on"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert '<form id="event-settings"' in response.content.decode()
    assert Realm.objects.get(name="master").admin_events_enabled is True
    assert json.loads(AdminEvent.objects.latest("id").representation) == {
        "eventsEnabled": False, "eventsExpiration": 86400, "eventsListeners": ["jboss-logging"], "enabledEventTypes": [],
        "adminEventsEnabled": True, "adminEventsDetailsEnabled": True}


@pytest.mark.parametrize("expiration", ["-1", "soon", str(2**41), "1.5"])
def test_bad_expiration_is_a_form_error_and_changes_nothing(master, admin_client, expiration):
    response = admin_client.post(PAGE, {"events_expiration": expiration}, HTTP_HX_REQUEST="true")
    assert response.status_code in (200, 422)
    assert "invalid-feedback" in response.content.decode() or "is-invalid" in response.content.decode()
    realm = Realm.objects.get(name="master")
    assert realm.events_enabled and realm.admin_events_enabled and realm.events_expiration == 0
    assert not AdminEvent.objects.filter(resource_path="events/config").exists()
