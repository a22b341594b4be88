"""The Events page: admin events and user events of a realm, searchable, paginated, masked."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django.urls import reverse

from realms.actor import Actor
from realms.events import MASK, admin_event_record, login_event_record
from realms.models import AdminEvent, LoginEvent
from tests.permissions import TO_LOGIN, get

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-value-that-must-never-show"
ALICE = Actor(source="console", username="alice", user_id="7", auth_realm="master", ip_address="10.0.0.7")
BOB = Actor(source="admin-api", username="bob", user_id="8", auth_realm="master", client_id="admin-cli", ip_address="10.0.0.8")


def record(realm, operation="UPDATE", resource_type="CLIENT", path="clients/abc", actor=ALICE, representation=None):
    return admin_event_record(
        realm=realm, operation=operation, resource_type=resource_type, resource_path=path, actor=actor, representation=representation
    )


def url(realm="master", **params):
    from urllib.parse import urlencode

    base = reverse("events", kwargs={"realm": realm})
    return f"{base}?{urlencode(params, doseq=True)}" if params else base


def table_rows(response) -> int:
    return response.content.decode().count("<tr>") - 1  # minus the header row


class TestPermissions:
    def test_anonymous_is_sent_to_sign_in(self, permission_matrix, master):
        permission_matrix([get(url())], anonymous=TO_LOGIN)

    def test_user_without_view_realm_is_forbidden(self, permission_matrix, master):
        pages = [get(url()), get(reverse("events-user", kwargs={"realm": "master"}))]
        permission_matrix(pages, outsider=403, outsider_roles=["view-clients"])

    def test_viewer_sees_the_page_and_the_menu_entry(self, viewer_client, master):
        record(master)
        response = viewer_client.get(url())
        assert response.status_code == 200
        body = response.content.decode()
        assert ">Events</a>" in body
        assert "Admin events" in body and "User events" in body
        assert "clients/abc" in body

    def test_unknown_realm_is_404(self, admin_client, master):
        assert admin_client.get(url("nope")).status_code == 404


class TestAdminEvents:
    def test_only_this_realms_events_are_listed(self, admin_client, master):
        from realms.services import realm_create

        other = realm_create(name="other")
        record(master, path="clients/in-master")
        record(other, path="clients/in-other")
        body = admin_client.get(url()).content.decode()
        assert "clients/in-master" in body
        assert "clients/in-other" not in body

    def test_representation_is_shown_masked(self, admin_client, master):
        record(master, operation="ACTION", path="clients/abc/client-secret", representation={"type": "secret", "value": SECRET})
        record(master, representation={"clientId": "app", "secret": SECRET, "attributes": {"client.secret.rotated": SECRET}})
        assert SECRET not in "".join(AdminEvent.objects.values_list("representation", flat=True))
        body = admin_client.get(url()).content.decode()
        assert SECRET not in body
        assert MASK in body
        assert "&quot;clientId&quot;: &quot;app&quot;" in body

    def test_filter_by_operation_type(self, admin_client, master):
        record(master, operation="CREATE", path="clients/created")
        record(master, operation="DELETE", path="clients/deleted")
        record(master, operation="ACTION", path="clients/acted")
        body = admin_client.get(url(operation_types=["CREATE", "ACTION"])).content.decode()
        assert "clients/created" in body and "clients/acted" in body
        assert "clients/deleted" not in body

    def test_filter_by_resource_type(self, admin_client, master):
        record(master, resource_type="CLIENT", path="clients/x")
        record(master, resource_type="CLIENT_POLICY", path="client-policies/policies")
        body = admin_client.get(url(resource_types=["CLIENT_POLICY"])).content.decode()
        assert "client-policies/policies" in body
        assert "clients/x" not in body

    def test_filter_by_user_name_or_id(self, admin_client, master):
        record(master, actor=ALICE, path="clients/by-alice")
        record(master, actor=BOB, path="clients/by-bob")
        by_name = admin_client.get(url(user="bob")).content.decode()
        assert "clients/by-bob" in by_name and "clients/by-alice" not in by_name
        by_id = admin_client.get(url(user="7")).content.decode()
        assert "clients/by-alice" in by_id and "clients/by-bob" not in by_id

    def test_filter_by_date_range_includes_whole_days(self, admin_client, master):
        for day, path in [(1, "clients/day1"), (2, "clients/day2"), (3, "clients/day3")]:
            with time_machine.travel(dt.datetime(2030, 5, day, 23, 59, 30, tzinfo=dt.UTC), tick=False):
                record(master, path=path)
        body = admin_client.get(url(date_from="2030-05-02", date_to="2030-05-02")).content.decode()
        assert "clients/day2" in body
        assert "clients/day1" not in body and "clients/day3" not in body
        body = admin_client.get(url(date_from="2030-05-02")).content.decode()
        assert "clients/day2" in body and "clients/day3" in body and "clients/day1" not in body

    def test_reversed_date_range_is_a_form_error(self, admin_client, master):
        response = admin_client.get(url(date_from="2030-05-03", date_to="2030-05-01"))
        assert response.status_code == 400
        assert "Date(to) must not be before Date(from)." in response.content.decode()

    def test_garbage_parameters_are_form_errors_not_500(self, admin_client, master):
        response = admin_client.get(url(date_from="yesterday", operation_types=["DROP"], first="-3", max="7"))
        assert response.status_code == 400

    def test_pagination_newest_first(self, admin_client, master):
        for i in range(25):
            with time_machine.travel(dt.datetime(2030, 1, 1, 0, 0, i, tzinfo=dt.UTC), tick=False):
                record(master, path=f"clients/n{i:02d}")
        page1 = admin_client.get(url()).content.decode()
        assert table_rows(admin_client.get(url())) == 10
        assert "clients/n24" in page1 and "clients/n15" in page1 and "clients/n14" not in page1
        assert ">Next</a>" in page1 and ">Previous</a>" not in page1
        page3 = admin_client.get(url(first=20, max=10)).content.decode()
        assert "clients/n04" in page3 and "clients/n00" in page3 and "clients/n05" not in page3
        assert ">Next</a>" not in page3 and ">Previous</a>" in page3
        assert table_rows(admin_client.get(url(max=50))) == 25

    def test_next_link_keeps_the_filters(self, admin_client, master):
        for i in range(12):
            record(master, operation="DELETE", path=f"clients/d{i}")
        body = admin_client.get(url(operation_types=["DELETE"])).content.decode()
        assert "operation_types=DELETE" in body and "first=10" in body

    def test_htmx_request_gets_the_fragment(self, admin_client, master):
        record(master, path="clients/frag")
        response = admin_client.get(url(), HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200
        assert body.lstrip().startswith('<div id="events">')
        assert "<html" not in body
        assert "clients/frag" in body

    def test_empty_state(self, admin_client, master):
        body = admin_client.get(url()).content.decode()
        assert "No events" in body

    def test_query_count_does_not_grow_with_rows(self, admin_client, master, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for i in range(3):
            record(master, path=f"clients/few{i}", representation={"secret": SECRET})
        with CaptureQueriesContext(connection) as few:
            assert admin_client.get(url(max=100)).status_code == 200
        for i in range(60):
            record(master, path=f"clients/many{i}", actor=BOB if i % 2 else ALICE, representation={"secret": SECRET})
        with django_assert_num_queries(len(few.captured_queries)):
            response = admin_client.get(url(max=100))
        assert table_rows(response) == 63


class TestUserEvents:
    def user_url(self, **params):
        from urllib.parse import urlencode

        base = reverse("events-user", kwargs={"realm": "master"})
        return f"{base}?{urlencode(params, doseq=True)}" if params else base

    def test_lists_client_logins_with_the_secret_used_never_the_secret(self, admin_client, master):
        login_event_record(realm=master, client_id="app", success=True, ip_address="10.1.1.1", secret_used="rotated", details={"endpoint": "token", "grant_type": "client_credentials"})
        login_event_record(realm=master, client_id="app", success=False, ip_address="10.1.1.2", error="invalid_client_credentials", details={"endpoint": "introspection", "client_secret": SECRET})
        body = admin_client.get(self.user_url()).content.decode()
        assert "CLIENT_LOGIN_ERROR" in body and "invalid_client_credentials" in body
        assert "rotated" in body and "10.1.1.1" in body
        assert SECRET not in body
        assert SECRET not in json.dumps(list(LoginEvent.objects.values_list("details", flat=True)))

    def test_filter_by_type_and_client(self, admin_client, master):
        login_event_record(realm=master, client_id="app-a", success=True, secret_used="current")
        login_event_record(realm=master, client_id="app-b", success=False, error="invalid_client")
        body = admin_client.get(self.user_url(types=["CLIENT_LOGIN_ERROR"])).content.decode()
        assert "app-b" in body and "app-a" not in body
        body = admin_client.get(self.user_url(client="app-a")).content.decode()
        assert "app-a" in body and "app-b" not in body

    def test_query_count_does_not_grow_with_rows(self, admin_client, master, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        login_event_record(realm=master, client_id="a", success=True, secret_used="current")
        with CaptureQueriesContext(connection) as few:
            admin_client.get(self.user_url(max=100))
        for i in range(40):
            login_event_record(realm=master, client_id=f"c{i}", success=bool(i % 2), secret_used="current" if i % 2 else None)
        with django_assert_num_queries(len(few.captured_queries)):
            admin_client.get(self.user_url(max=100))


class TestLoginEventRecord:
    def test_types_and_fields(self, master):
        ok = login_event_record(realm=master, client_id="app", success=True, secret_used="current", ip_address="1.2.3.4")
        bad = login_event_record(realm=master, client_id="ghost", success=False, error="invalid_client")
        assert (ok.type, ok.secret_used, ok.ip_address) == ("CLIENT_LOGIN", "current", "1.2.3.4")
        assert (bad.type, bad.error, bad.secret_used) == ("CLIENT_LOGIN_ERROR", "invalid_client", "")

    def test_secret_used_must_name_a_slot_not_a_value(self, master):
        with pytest.raises(ValueError):
            login_event_record(realm=master, client_id="app", success=True, secret_used=SECRET)
        assert not LoginEvent.objects.exists()


@pytest.mark.django_db
def test_purge_events_keeps_recent_ones(master):
    import time_machine
    from django.core.management import call_command

    from realms.actor import Actor
    from realms.events import admin_event_record, login_event_record
    from realms.models import AdminEvent, LoginEvent

    with time_machine.travel(1_800_000_000, tick=False):
        admin_event_record(realm=master, operation="UPDATE", resource_type="REALM", resource_path="", actor=Actor())
        login_event_record(realm=master, client_id="old", success=False, error="invalid_client")
    with time_machine.travel(1_800_000_000 + 40 * 86400, tick=False):
        admin_event_record(realm=master, operation="UPDATE", resource_type="REALM", resource_path="new", actor=Actor())
        call_command("purge_events", days=30, stdout=__import__("io").StringIO())
    assert list(AdminEvent.objects.values_list("resource_path", flat=True)) == ["new"]
    assert not LoginEvent.objects.exists()


# --- issue 14 item 4/6: links to the objects, a pager that counts, filters that fold away ----------


def test_resource_paths_link_to_their_objects(admin_client, master):
    from tests.factories import ClientFactory

    client = ClientFactory(realm=master, client_id="linked")
    record(master, path=f"clients/{client.pk}")
    record(master, path=f"clients/{client.pk}/client-secret")
    record(master, resource_type="CLIENT_POLICY", path="client-policies/policies/p")
    record(master, resource_type="REALM", path="events/config")
    body = admin_client.get(url()).content.decode()
    settings_url = reverse("client-settings", kwargs={"realm": "master", "id": client.pk})
    credentials_url = reverse("client-credentials", kwargs={"realm": "master", "id": client.pk})
    assert f'<a href="{settings_url}">clients/{client.pk}</a>' in body
    assert f'<a href="{credentials_url}">clients/{client.pk}/client-secret</a>' in body
    assert f'<a href="{reverse("client-policies-policies", kwargs={"realm": "master"})}">client-policies/policies/p</a>' in body
    assert "<td class=\"text-break\">events/config</td>" in body


def test_pager_counts_the_rows_shown(admin_client, master):
    for _ in range(3):
        record(master)
    body = admin_client.get(url(max=10)).content.decode()
    assert '<span class="small text-secondary">1 - 3</span>' in body
    for _ in range(9):
        record(master)
    body = admin_client.get(url(max=10, first=10)).content.decode()
    assert '<span class="small text-secondary">11 - 12</span>' in body
    assert "1 - " not in admin_client.get(url(user="nobody")).content.decode()


def test_filters_fold_away_and_resource_types_are_checkboxes(admin_client, master):
    body = admin_client.get(url()).content.decode()
    assert '<details class="mb-3 events-filters">' in body, "closed without a search"
    assert re.search(r'<input type="checkbox" class="form-check-input"\s+name="resource_types" value="CLIENT_POLICY"', body)
    assert not re.search(r'<select[^>]*name="resource_types"', body)
    assert '<details class="mb-3 events-filters" open>' in admin_client.get(url(resource_types=["CLIENT"])).content.decode()
