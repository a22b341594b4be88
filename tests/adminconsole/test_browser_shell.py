from __future__ import annotations

import pytest

from realms.models import Realm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_create_realm_switch_and_edit_display_name(console_page):
    page = console_page
    page.get_by_role("button", name="master").click()
    page.get_by_role("link", name="Create realm").click()
    page.get_by_label("Realm name").fill("acme")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/console/acme/realm-settings/")
    page.get_by_text("Realm created successfully").wait_for()

    # Switch back to master, then to acme through the realm selector.
    page.get_by_role("button", name="acme").click()
    page.get_by_role("link", name="master").click()
    page.wait_for_url("**/console/master/**")
    page.get_by_role("button", name="master").click()
    page.get_by_role("link", name="acme").click()
    page.wait_for_url("**/console/acme/**")

    page.get_by_role("link", name="Realm Settings").click()
    page.get_by_label("Display name").fill("Acme Corporation")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Realm successfully updated").wait_for()
    assert Realm.objects.get(name="acme").display_name == "Acme Corporation"
    page.reload()
    assert page.get_by_label("Display name").input_value() == "Acme Corporation"


def test_sign_out(console_page):
    console_page.get_by_role("button", name="Sign out").click()
    console_page.wait_for_url("**/login")
    console_page.goto("/console/master/realm-settings/")
    assert "/login" in console_page.url


def test_general_tab_shows_a_field_error_after_an_htmx_save(console_page):
    """A refused htmx post answers 200 with the form, so htmx swaps the field error in."""
    page = console_page
    page.goto("/console/master/realm-settings/")
    display_name = page.get_by_label("Display name")
    display_name.evaluate("el => el.removeAttribute('maxlength')")  # the server's check, not the browser's
    display_name.fill("x" * 300)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Ensure this value has at most 255 characters (it has 300).").wait_for()
    page.get_by_text("Realm could not be updated: please correct the errors below").wait_for()
    assert Realm.objects.get(name="master").display_name == ""
