"""The procedure's note, in Chromium: Clients → a client → Credentials → Re-generate.

Follows labels only: create a confidential client, open Credentials, copy the secret, re-generate
it and invalidate the rotated secret.
"""

from __future__ import annotations

import pytest

from clients import secrets as secret_store
from clients import selectors
from clients.models import Client
from realms import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_client_copy_regenerate_and_invalidate(console_page):
    page = console_page
    menu = page.get_by_role("navigation", name="Console menu")
    menu.get_by_role("link", name="Clients").click()
    page.wait_for_url("**/console/master/clients/")
    page.get_by_role("link", name="Create client").click()

    page.get_by_label("Client ID").fill("billing-service")
    page.get_by_label("Name").fill("Billing")
    page.get_by_role("switch", name="Client authentication").check()
    page.get_by_label("Service account roles").check()
    page.get_by_label("Valid redirect URIs").fill("https://billing.example.com/*")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Client created successfully").wait_for()

    client = Client.objects.get(realm__name="master", client_id="billing-service")
    assert not client.public_client and client.service_accounts_enabled
    stored = selectors.client_secret_value(client=client, actor=None)

    # "Click Clients in the menu. Click a client. Click the Credentials tab."
    menu.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="billing-service").click()
    page.get_by_role("link", name="Credentials").click()
    page.wait_for_url("**/credentials")
    page.wait_for_load_state()  # the confirmation dialogs need the page's scripts
    secret_group = page.get_by_role("group", name="Client Secret")
    secret_input = secret_group.get_by_label("Client Secret")
    assert secret_input.get_attribute("type") == "password"
    secret_group.get_by_role("button", name="Show secret").click()
    assert secret_input.get_attribute("type") == "text"
    secret_group.get_by_role("button", name="Copy to clipboard").click()
    secret_group.get_by_text("Successfully copied to clipboard!").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == stored

    # "Click Re-generate of the client secret." → Yes → Client secret regenerated
    secret_group.get_by_role("button", name="Re-generate").click()
    dialog = page.get_by_role("dialog", name="Regenerate secret for this client?")
    dialog.get_by_text("If you regenerate the secret, the database will be updated").wait_for()
    dialog.get_by_role("button", name="Yes").click()
    page.get_by_text("Client secret regenerated").wait_for()
    regenerated = selectors.client_secret_value(client=client, actor=None)
    assert regenerated != stored
    assert page.get_by_role("group", name="Client Secret").get_by_label("Client Secret").input_value() == regenerated

    # A rotated secret, as a secret-rotation policy would leave it; then Invalidate → Confirm.
    now = clock.epoch()
    secret_store.secret_store_rotated(client, stored, now=now, expiration_time=now + 3600)
    page.reload()
    rotated_group = page.get_by_role("group", name="Secret rotated")
    assert rotated_group.get_by_label("Secret rotated").input_value() == stored
    rotated_group.get_by_text("Secret expires on").wait_for()
    rotated_group.get_by_role("button", name="Invalidate").click()
    dialog = page.get_by_role("dialog", name="Invalidate rotated secret?")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_text("Rotated secret successfully removed").wait_for()
    assert page.get_by_role("group", name="Secret rotated").count() == 0
    assert selectors.client_rotated_secret_value(client=client, actor=None) is None
    assert selectors.client_secret_value(client=client, actor=None) == regenerated


def test_registration_access_token_is_shown_once_and_client_deleted(console_page):
    page = console_page
    page.goto("/console/master/clients/add-client")
    page.get_by_label("Client ID").fill("dcr-app")
    page.get_by_role("switch", name="Client authentication").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Client created successfully").wait_for()
    page.get_by_role("link", name="Credentials").click()
    page.wait_for_url("**/credentials")
    page.wait_for_load_state()  # the confirmation dialogs need the page's scripts

    token_group = page.get_by_role("group", name="Registration access token")
    assert token_group.get_by_label("Registration access token").input_value() == ""
    token_group.get_by_role("button", name="Re-generate").click()
    page.get_by_role("dialog", name="Regenerate registration access token?").get_by_role("button", name="Yes").click()
    page.get_by_text("Access token regenerated").wait_for()
    token = page.get_by_role("group", name="Registration access token").get_by_label("Registration access token").input_value()
    client = Client.objects.get(realm__name="master", client_id="dcr-app")
    assert token and selectors.client_registration_token_valid(client=client, token=token)

    page.get_by_role("button", name="Action").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete dcr-app ?").get_by_role("button", name="Delete").click()
    page.get_by_text("The client has been deleted").wait_for()
    assert not Client.objects.filter(pk=client.pk).exists()


def test_changing_the_client_authenticator_asks_first(console_page, master):
    from clients import services
    from realms.actor import Actor

    client = services.client_create(realm=master, representation={"clientId": "ledger"}, actor=Actor())
    page = console_page
    page.goto(f"/console/master/clients/{client.pk}/credentials")
    page.wait_for_load_state()
    page.get_by_label("Client Authenticator").select_option(label="Signed Jwt with Client Secret")
    page.get_by_role("button", name="Save").click()
    dialog = page.get_by_role("dialog", name="Change to Signed Jwt with Client Secret?")
    dialog.get_by_text("If you change authenticator to Signed Jwt with Client Secret").wait_for()
    dialog.get_by_role("button", name="No").click()
    client.refresh_from_db()
    assert client.client_authenticator_type == "client-secret"  # refused: nothing changed

    page.get_by_role("button", name="Save").click()
    page.get_by_role("dialog", name="Change to Signed Jwt with Client Secret?").get_by_role("button", name="Yes").click()
    page.get_by_text("Client successfully updated").wait_for()
    client.refresh_from_db()
    assert client.client_authenticator_type == "client-secret-jwt"


def test_disabling_a_client_from_the_header_asks_first(console_page, master):
    from clients import services
    from realms.actor import Actor

    client = services.client_create(realm=master, representation={"clientId": "kiosk"}, actor=Actor())
    page = console_page
    page.goto(f"/console/master/clients/{client.pk}/settings")
    page.wait_for_load_state()  # the confirmation dialog needs the page's scripts
    header_switch = page.locator("#client-enabled-switch").get_by_role("switch", name="Enabled")
    header_switch.click()
    dialog = page.get_by_role("dialog", name="Disable client?")
    dialog.get_by_text("Are you sure you want to disable this client?").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    client.refresh_from_db()
    assert client.enabled  # cancelled: nothing changed

    header_switch.click()
    page.get_by_role("dialog", name="Disable client?").get_by_role("button", name="Disable").click()
    page.get_by_text("Client successfully updated").wait_for()
    client.refresh_from_db()
    assert not client.enabled
    assert page.locator("#client-enabled-switch").get_by_role("switch", name="Enabled").get_attribute("aria-checked") == "false"
    assert not page.locator("#settings-form").get_by_role("switch", name="Enabled").is_checked()  # both agree
