"""Bulk actions on all the results of a search on the Clients list: the confirmation names the
search's full count (not the page's), each client of the search goes through its own service
with one admin event, a search that changed between confirming and applying is asked again,
a search that finds nothing or too many is refused with the reason; manage-clients only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients import secrets as secret_store
from jobs import services as job_services
from realms.models import AdminEvent
from tests.factories import client_make
from tests.permissions import TO_LOGIN, post

URL = "/console/master/clients/bulk"
LIST = "/console/master/clients/"


@pytest.fixture
def fifty(master):
    """30 clients whose Client ID holds "match" (more than one page of the list), 20 that do not."""
    matching = [client_make(master, f"match-{i:03}") for i in range(30)]
    others = [client_make(master, f"other-{i:03}") for i in range(20)]
    return matching, others


def secrets_of(clients) -> dict[str, str]:
    return {c.client_id: secret_store.secret_value(secret_store.secret_get(c, "current")) for c in clients}


def test_all_results_of_a_search_regenerates_exactly_those(fifty, console_client):
    matching, others = fifty
    manager = console_client(["manage-clients"])
    listing = manager.get(LIST, {"search": "MATCH", "max": 10}).content.decode()
    assert "Select all 30 clients matching 'MATCH'" in listing
    assert 'aria-label="Select all clients on this page"' in listing

    before = secrets_of(matching + others)
    # A ticked row of another page is ignored: the action names the search.
    data = {"action": "regenerate", "all": "yes", "search": "MATCH", "client": [str(others[0].pk)]}
    confirm = manager.post(URL, data).content.decode()
    assert "Re-generate the secrets of 30 clients? All the clients matching 'MATCH'." in confirm
    assert 'name="count" value="30"' in confirm and "other-000" not in confirm
    assert AdminEvent.objects.count() == 0  # asking writes nothing

    done = manager.post(URL, {**data, "count": "30", "confirm": "yes"})
    assert done.status_code == 200
    body = done.content.decode()
    assert body.count("new secret generated") == 30
    after = secrets_of(matching + others)
    assert {c for c in after if after[c] != before[c]} == {c.client_id for c in matching}
    assert sorted(AdminEvent.objects.values_list("resource_path", flat=True)) == sorted(
        f"clients/{c.pk}/client-secret" for c in matching)
    assert not any(v in body for v in after.values())  # never a secret on the page


def test_no_search_selects_every_client_of_the_realm(fifty, master, console_client):
    manager = console_client(["manage-clients"])
    n = master.clients.count()  # the 50 and realm master's own clients
    assert f"Select all {n} clients<" in manager.get(LIST).content.decode()
    confirm = manager.post(URL, {"action": "invalidate", "all": "yes", "search": ""}).content.decode()
    assert f"Invalidate the rotated secrets of {n} clients? All the clients of this realm." in confirm
    done = manager.post(URL, {"action": "invalidate", "all": "yes", "search": "", "count": str(n), "confirm": "yes"})
    assert done.content.decode().count("<tr><td><a href=") == n
    assert done.content.decode().count("no rotated secret") >= 50
    assert AdminEvent.objects.count() == 0  # nothing to invalidate: nothing written


def test_a_search_that_changed_since_the_confirmation_is_asked_again(fifty, master, console_client):
    manager = console_client(["manage-clients"])
    client_make(master, "match-late")
    changed = manager.post(URL, {"action": "regenerate", "all": "yes", "search": "match", "count": "30", "confirm": "yes"})
    assert changed.status_code == 409
    body = changed.content.decode()
    assert "The search now matches 31 client(s), not 30: nothing was done." in body
    assert 'name="count" value="31"' in body and "Re-generate the secrets of 31 clients?" in body
    assert AdminEvent.objects.count() == 0
    # A confirmation without a count (or a garbled one) only asks.
    for count in ({}, {"count": "many"}):
        asked = manager.post(URL, {"action": "regenerate", "all": "yes", "search": "match", "confirm": "yes", **count})
        assert asked.status_code == 200 and "Re-generate the secrets of 31 clients?" in asked.content.decode()
    assert AdminEvent.objects.count() == 0


def test_a_search_that_finds_nothing_or_too_many_is_refused(fifty, console_client, monkeypatch):
    manager = console_client(["manage-clients"])
    nothing = manager.post(URL, {"action": "regenerate", "all": "yes", "search": "no-such", "count": "0", "confirm": "yes"}, follow=True)
    assert nothing.redirect_chain[-1][0] == f"{LIST}?search=no-such"
    assert "No client matches the search &#x27;no-such&#x27;" in nothing.content.decode()

    monkeypatch.setattr(job_services, "BULK_MAX", 25)
    too_many = manager.post(URL, {"action": "regenerate", "all": "yes", "search": "match", "count": "30", "confirm": "yes"}, follow=True)
    assert "The search matches 30 clients; a bulk action takes at most 25 at a time. Narrow the search." in too_many.content.decode()
    long = manager.post(URL, {"action": "regenerate", "all": "yes", "search": "x" * 5000})
    assert long.status_code == 302
    assert AdminEvent.objects.count() == 0


def test_the_confirmation_reads_the_search_in_a_fixed_number_of_queries(fifty, master, console_client):
    manager = console_client(["manage-clients"])
    data = {"action": "regenerate", "all": "yes", "search": "match"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.post(URL, data).status_code == 200
        return len(captured)

    at_30 = queries()
    for i in range(30):
        client_make(master, f"match-more-{i:03}")
    assert queries() == at_30


def test_view_only_users_see_no_bulk_controls_and_are_refused(fifty, console_client, permission_matrix):
    viewer = console_client(["view-clients"], username="viewer-only")
    listing = viewer.get(LIST, {"search": "match"}).content.decode()
    assert "Select all" not in listing and "Re-generate secrets" not in listing
    data = {"action": "regenerate", "all": "yes", "search": "match", "count": "30", "confirm": "yes"}
    permission_matrix([post(URL, data)], anonymous=TO_LOGIN, viewer=403)
    assert AdminEvent.objects.count() == 0
