"""The issue's acceptance path in Chromium: an administrator creates an auditor in the console,
gives it view-realm and view-clients, and the auditor, signed in from a second browser context,
reads the pages but is offered no change and never sees a secret."""

from __future__ import annotations

import pytest

from clients import secrets as secret_store
from clients.models import ClientSecret
from tests.conftest import browser_sign_in
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Audit-Pass-2026!"


def test_an_auditor_made_in_the_console_reads_everything_and_changes_nothing(console_page, browser, live_server, master):
    app = ClientFactory(realm=master, client_id="billing")
    secret = secret_store.secret_value(ClientSecret.objects.get(client=app, kind=ClientSecret.CURRENT))

    page = console_page
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Email").fill("auditor@example.com")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("The user has been created").wait_for()

    page.get_by_role("link", name="Credentials").click()
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password_confirmation").fill(PASSWORD)
    page.get_by_label("Temporary").uncheck()
    page.get_by_role("button", name="Save password").click()
    page.get_by_text("The password has been set").wait_for()

    page.get_by_role("link", name="Role mapping").click()
    page.get_by_label("view-realm", exact=True).check()
    page.get_by_label("view-clients", exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Role mapping updated").wait_for()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
    try:
        auditor = context.new_page()
        auditor.set_default_timeout(10_000)
        browser_sign_in(auditor, "auditor", PASSWORD)
        # Reads the clients, a client's tabs, the Secret rotation page, realm settings and events.
        auditor.get_by_role("link", name="Clients").click()
        auditor.get_by_role("link", name="billing").click()
        assert auditor.get_by_role("button", name="Save").count() == 0
        auditor.get_by_role("link", name="Credentials").click()
        assert auditor.locator("#client-secret").input_value() == "**********"
        assert auditor.get_by_role("button", name="Regenerate").count() == 0
        assert secret not in auditor.content()
        auditor.get_by_role("link", name="Secret rotation").click()
        auditor.get_by_role("heading", name="Secret rotation").wait_for()
        auditor.get_by_role("link", name="Realm Settings").click()
        assert auditor.get_by_role("button", name="Save").count() == 0
        auditor.get_by_role("link", name="Events").click()
        # No Users menu without view-users, and no page to create a client.
        assert auditor.get_by_role("link", name="Users").count() == 0
        auditor.get_by_role("link", name="Clients").click()
        assert auditor.get_by_role("link", name="Create client").count() == 0
        response = auditor.goto(f"/console/master/clients/{app.pk}/credentials")
        assert response.status == 200 and secret not in auditor.content()
    finally:
        context.close()
