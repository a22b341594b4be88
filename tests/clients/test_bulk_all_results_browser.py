"""In Chromium: search the Clients list, tick the header checkbox, select all the results of the
search (more than one page), Re-generate secrets, confirm, and read each client's result."""

from __future__ import annotations

import pytest

from realms.models import AdminEvent, Realm
from tests.factories import client_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_regenerate_the_secrets_of_all_the_results_of_a_search(console_page):
    master = Realm.objects.get(name="master")
    matching = [client_make(master, f"match-{i:03}") for i in range(30)]
    for i in range(20):
        client_make(master, f"other-{i:03}")
    page = console_page
    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Clients").click()
    page.wait_for_url("**/console/master/clients/")
    page.wait_for_load_state()  # the select-all checkbox needs the page's scripts
    page.get_by_label("Search for client").fill("match")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**search=match**")

    page.get_by_label("Select all clients on this page").check()
    assert page.get_by_label("Select match-000").is_checked()  # the page's rows: only 10 of them
    page.get_by_label("Select all 30 clients matching 'match'").check()
    page.get_by_role("button", name="Re-generate secrets").click()

    page.get_by_text("Re-generate the secrets of 30 clients? All the clients matching 'match'.").wait_for()
    assert AdminEvent.objects.count() == 0
    page.get_by_role("button", name="Re-generate secrets").click()
    page.get_by_text("Re-generate secrets: 30 client(s) done").wait_for()
    results = page.get_by_role("table", name="What happened to each client")
    assert results.get_by_role("row").count() == 31  # the header and one row per client
    assert results.get_by_text("regenerated", exact=True).count() == 30
    assert sorted(AdminEvent.objects.values_list("resource_path", flat=True)) == sorted(
        f"clients/{c.pk}/client-secret" for c in matching)
