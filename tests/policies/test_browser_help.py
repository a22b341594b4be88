"""The `?` help of the Client Policies sub-tabs in Chromium: a button the keyboard reaches that
opens the console's help popover, and the text describes the tab for screen readers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from policies.views.common import POLICIES_TOOLTIP, PROFILES_TOOLTIP
from tests.e2e.helpers import assert_keyboard_reachable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_subtab_help_opens_from_the_keyboard_and_describes_the_tab(console_page):
    page = console_page
    page.goto("/console/master/realm-settings/client-policies/")
    buttons = {name: page.get_by_role("button", name=f"Help: {name}") for name in ("Profiles", "Policies")}
    assert_keyboard_reachable(page, buttons)
    for name, text in (("Profiles", PROFILES_TOOLTIP), ("Policies", POLICIES_TOOLTIP)):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_accessible_description(text)
        expect(buttons[name]).to_have_accessible_description(text)
        popover = page.get_by_text(text)
        expect(popover).to_be_hidden()
        buttons[name].focus()
        page.keyboard.press("Enter")
        expect(popover).to_be_visible()
        page.keyboard.press("Escape")
        expect(popover).to_be_hidden()
    # No hover-only tooltips left on the tab.
    assert page.locator("main [title]").count() == 0
