"""Refused htmx requests show their error; not found stays inside the console (issue 14), in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients import services
from tests.factories import client_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def field(page, label: str):
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def test_an_events_search_with_reversed_dates_shows_the_error_once(console_page):
    page = console_page
    page.goto("/console/master/events")
    if page.locator("details.events-filters").get_attribute("open") is None:
        page.get_by_text("Search filters").click()  # the filters fold away while events are listed
    field(page, "Date(from)").fill("2026-03-10")
    field(page, "Date(to)").fill("2026-03-01")
    with page.expect_response(lambda r: "date_from=2026-03-10" in r.url) as answer:
        page.get_by_role("button", name="Search", exact=True).click()
    assert answer.value.status in (200, 400)
    error = page.get_by_text("Date(to) must not be before Date(from).")
    expect(error).to_have_count(1)  # inline, at the field, and not again in a toast
    expect(error).to_be_visible()
    expect(page.locator("#alerts").get_by_text("Date(to)")).to_have_count(0)


def test_a_deleted_clients_url_shows_the_consoles_not_found_page(console_page, master):
    client = client_make(master, "billing")
    url = f"/console/master/clients/{client.pk}/settings"
    services.client_delete(client=client, actor=None)
    page = console_page
    response = page.goto(url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="Client not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console menu")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Clients").click()
    page.wait_for_url("**/console/master/clients/")


def test_a_refused_htmx_request_shows_its_alert(console_page, master):
    """A 4xx answer to htmx is shown (base.html's responseHandling): here a client deleted in
    another tab while its Credentials tab was open."""
    client = client_make(master, "billing")
    page = console_page
    page.goto(f"/console/master/clients/{client.pk}/credentials")
    services.client_delete(client=client, actor=None)
    page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes").click()
    expect(page.locator("#alerts").get_by_text("Client not found.")).to_be_visible()
    expect(page.get_by_role("group", name="Client Secret")).to_be_visible()  # the page stays as it was
