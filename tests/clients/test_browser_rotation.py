"""Issue 16's "Done when", in Chromium against a live server: Re-generate a secret in the console,
authenticate with the old one over real HTTP, and see the Credentials tab and the Secret rotation
page call the rotated secret in use; after the quiet period, both call it safe to invalidate.

The live server runs in this process, so time-machine moves its clock too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from clients import secrets as secret_store
from clients.models import ClientSecret
from tests.e2e.helpers import token_request
from tests.factories import ClientFactory, rotation_policy_make

DAY = 86400
OLD = "Old-Secret-Value-0123456789abcdef"


def rotated_in_use_count(page) -> str:
    return page.locator('[data-summary="rotated-in-use"] [data-count]').inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_old_secret_in_use_then_safe_to_invalidate(console_page, live_server, master, settings):
    settings.ROTATED_SECRET_QUIET_PERIOD = DAY
    # Secret Expiration a week, Rotated Secret Expiration three days: longer than the quiet period.
    rotation_policy_make(master, expiration=7 * DAY, rotated=3 * DAY, remaining=DAY)
    app = ClientFactory(realm=master, client_id="billing", secret=OLD, service_accounts_enabled=True)
    page = console_page
    credentials_url = reverse("client-credentials", kwargs={"realm": "master", "id": app.pk})
    rotation_url = reverse("secret-rotation", kwargs={"realm": "master"})

    # Re-generate in the console: the button, then the confirmation dialog.
    page.goto(credentials_url)
    page.wait_for_load_state()  # the confirmation dialogs need the page's scripts
    page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate").click()
    page.get_by_role("dialog", name="Regenerate secret for this client?").get_by_role("button", name="Yes").click()
    rotated_group = page.get_by_role("group", name="Secret rotated")
    expect(rotated_group).to_be_visible()
    rotated = secret_store.secret_get(app, ClientSecret.ROTATED)
    assert secret_store.secret_value(rotated) == OLD
    expect(rotated_group.locator("[data-rotated-secret-usage]")).to_have_text(
        "Not used since the rotation — safe to invalidate")

    # An application still on the old secret gets a token from the live server.
    status, body = token_request(live_server.url, "master", "billing", OLD)
    assert status == 200 and body.get("access_token"), body

    page.goto(credentials_url)
    usage = page.get_by_role("group", name="Secret rotated").locator("[data-rotated-secret-usage]")
    expect(usage).to_have_attribute("data-rotated-secret-usage", "in-use")
    expect(usage).to_contain_text("from 127.0.0.1 — applications still use it")
    page.goto(rotation_url)
    expect(page.get_by_role("heading", name="Secret rotation", level=1)).to_be_visible()
    assert rotated_in_use_count(page) == "1"
    page.locator('[data-summary="rotated-in-use"]').click()
    expect(page.locator("tr[data-client]")).to_have_count(1)
    expect(page.locator('tr[data-client="billing"]')).to_be_visible()

    # Two days after that use: past the quiet period, before the rotated secret expires (three days).
    rotated = secret_store.secret_get(app, ClientSecret.ROTATED)
    later = dt.datetime.fromtimestamp(rotated.last_used_time + 2 * DAY + 30, tz=dt.UTC)
    assert rotated.expiration_time > later.timestamp() + 60
    with time_machine.travel(later, tick=True):
        page.goto(credentials_url)
        usage = page.get_by_role("group", name="Secret rotated").locator("[data-rotated-secret-usage]")
        expect(usage).to_have_text("Not used in the last 1 day: last used 2 days ago from 127.0.0.1 — safe to invalidate")
        page.goto(rotation_url)
        assert rotated_in_use_count(page) == "0"
        page.goto(rotation_url + "?status=rotated-in-use")
        expect(page.locator("tr[data-client]")).to_have_count(0)
        # The old secret is still valid: it is only no longer used.
        page.goto(rotation_url)
        expect(page.locator('tr[data-client="billing"]')).to_be_visible()
