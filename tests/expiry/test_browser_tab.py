"""Realm settings → Secret expiry in Chromium: the durations follow the inputs, an htmx save
stores the settings, a refused one shows the field errors."""

from __future__ import annotations

import pytest

from expiry.models import ExpirySettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_configure_secret_expiry_in_the_console(console_page):
    page = console_page
    page.goto("/console/master/realm-settings/")
    page.get_by_role("link", name="Secret expiry").click()
    page.wait_for_url("**/console/master/realm-settings/secret-expiry")
    first = page.get_by_label("Warn before expiry 1 (seconds)")
    assert first.input_value() == "2592000"
    first.fill("1209600")
    page.locator("#warn-before-1-duration").get_by_text("14 days").wait_for()
    page.get_by_label("Warn before expiry 3 (seconds)").fill("")
    page.get_by_role("switch", name="Rotate automatically").check()
    page.get_by_label("Rotate before expiry").fill("3600")
    page.locator("#id_auto_rotate_before-duration").get_by_text("1 hour").wait_for()
    page.get_by_label("Email recipients").fill("ops@example.com")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Secret expiry settings saved").wait_for()
    stored = ExpirySettings.objects.get(realm__name="master")
    assert (stored.warn_before, stored.auto_rotate, stored.auto_rotate_before, stored.email_recipients) == (
        [1209600, 604800], True, 3600, ["ops@example.com"])

    page.get_by_label("Email recipients").fill("not-an-address")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Not a valid email address: not-an-address").wait_for()
    assert ExpirySettings.objects.get(realm__name="master").email_recipients == ["ops@example.com"]
