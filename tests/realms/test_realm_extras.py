"""The stored RealmRepresentation fields (``Realm.extras``, up to 1 MB) are read only by the Admin
API's realm representation: console pages, locks and saves of a realm leave the column unread."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from realms import selectors, services
from realms.models import Realm
from tests.api.conftest import Api, password_token
from tests.factories import client_make

pytestmark = pytest.mark.django_db

EXTRAS = {"loginTheme": "acme", "smtpServer": {"host": "mail.acme.example"}, "attributes": {"pad": "x" * 10_000}}


def _selects_extras(queries) -> list[str]:
    return [q["sql"] for q in queries if "extras" in q["sql"]]


@pytest.fixture
def acme(db):
    realm = services.realm_create(name="acme")
    Realm.objects.filter(pk=realm.pk).update(extras=EXTRAS)
    return realm


@pytest.fixture
def api(client, master, admin_user):
    return Api(client, password_token(client, admin_user.username))


def test_a_console_page_of_the_realm_never_selects_the_stored_fields(acme, admin_client):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("realm-settings", kwargs={"realm": "acme"}))
    assert response.status_code == 200
    assert queries.captured_queries and not _selects_extras(queries)


def test_the_realm_get_and_list_still_answer_the_stored_fields(acme, api):
    rep = api.get("/admin/realms/acme").json()
    assert rep["loginTheme"] == "acme" and rep["smtpServer"] == {"host": "mail.acme.example"}
    assert rep["attributes"]["pad"] == "x" * 10_000
    [listed] = [r for r in api.get("/admin/realms").json() if r["realm"] == "acme"]
    assert listed == rep


def test_the_list_loads_the_stored_fields_with_the_rows(acme, master):
    for name in ("beta", "gamma"):
        services.realm_create(name=name)
    with CaptureQueriesContext(connection) as queries:
        extras = {realm.name: realm.extras for realm in selectors.realms_list(with_extras=True)}
    assert len(queries) == 1 and extras["acme"] == EXTRAS
    with CaptureQueriesContext(connection) as queries:
        names = [realm.name for realm in selectors.realms_list()]
    assert "acme" in names and not _selects_extras(queries)


def test_an_update_merges_into_the_stored_fields_and_one_without_them_leaves_them_unread(acme, api):
    assert api.put("/admin/realms/acme", {"loginTheme": "plain"}).status_code == 204
    assert Realm.objects.get(name="acme").extras == {**EXTRAS, "loginTheme": "plain"}
    with CaptureQueriesContext(connection) as queries:
        services.realm_update(realm=acme, display_name="Acme")
        services.realm_events_config_update(realm=acme, actor=None, events_expiration=60)
    assert not _selects_extras(queries)
    stored = Realm.objects.defer(None).get(name="acme")
    assert (stored.display_name, stored.events_expiration, stored.extras) == ("Acme", 60, {**EXTRAS, "loginTheme": "plain"})


def test_reading_the_field_related_lookups_and_refresh_still_work(acme):
    realm = Realm.objects.get(name="acme")
    assert "extras" in realm.get_deferred_fields()
    assert realm.extras == EXTRAS  # loaded on first use
    Realm.objects.filter(pk=acme.pk).update(extras={"loginTheme": "other"})
    realm.refresh_from_db()
    assert realm.extras == {"loginTheme": "other"}
    client = client_make(acme, "app")
    client = type(client).objects.get(pk=client.pk)
    assert client.realm.extras == {"loginTheme": "other"}
    assert list(acme.clients.all()) == [client]


def test_a_client_read_with_its_realm_never_selects_the_stored_fields(acme):
    """The joins that bring a client's realm along (a client's console pages, its services, the
    jobs' clients) go past the realm's manager: they defer the column themselves."""
    from clients import selectors as client_selectors

    made = client_make(acme, "joined")
    with CaptureQueriesContext(connection) as queries:
        found = client_selectors.client_get(realm=acme, id=made.pk)
        assert found.realm.name == "acme"
    assert queries.captured_queries
    assert not any("extras" in q["sql"] for q in queries.captured_queries)
