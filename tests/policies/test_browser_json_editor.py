"""The Client Policies JSON editor in Chromium: an editor with line numbers, a check as you type
and a Format button, under the console's CSP; with JavaScript off, the plain textarea still saves."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from policies.services import profiles_representation
from tests.conftest import browser_sign_in
from tests.policies.conftest import json_editor_type, json_form_value
from tests.security.test_csp_browser import violations, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JSON_VIEW = "/console/master/realm-settings/client-policies/?view=json"
LABEL = "Client profiles (JSON)"


def test_editor_has_line_numbers_checks_as_you_type_formats_and_saves(page, admin_user, master, weekly_profiles):
    messages = watch(page)
    browser_sign_in(page)
    page.goto(JSON_VIEW)
    editor = page.get_by_role("textbox", name=LABEL)
    expect(editor).to_be_visible()
    # The textarea is hidden behind the editor, and keeps the document.
    expect(page.locator("textarea[name=json]")).to_be_hidden()
    assert json.loads(json_form_value(page)) == {"profiles": []}
    gutter = page.locator(".CodeMirror-gutters")
    expect(gutter).to_be_visible()
    expect(page.locator(".CodeMirror-linenumber").filter(has_text=re.compile(r"^3$"))).to_be_visible()

    # Invalid JSON: the error, with its line and column, next to the editor, which is marked invalid.
    json_editor_type(page, LABEL, '{\n  "profiles": [\n    {"name": "a",}\n  ]\n}')
    status = page.get_by_text(re.compile(r"^Not valid JSON: line 3, column \d+"))
    expect(status).to_be_visible()
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(editor).to_have_accessible_description(re.compile(r"^Not valid JSON: line 3, column \d+: "))
    expect(page.get_by_role("button", name="Format")).to_be_disabled()
    # Nothing is blocked: the server still decides, and refuses.
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("alert").filter(has_text="Unable to save client profiles, the provided information is not valid JSON").first.wait_for()
    assert profiles_representation(master) == {"profiles": []}

    # Fixed: the error goes, Format pretty-prints, and the form sends the formatted text.
    editor = page.get_by_role("textbox", name=LABEL)
    json_editor_type(page, LABEL, json.dumps(weekly_profiles, separators=(",", ":")))
    expect(editor).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(re.compile(r"^Not valid JSON"))).to_have_count(0)
    page.get_by_role("button", name="Format").click()
    assert json_form_value(page) == json.dumps(weekly_profiles, indent=2) + "\n"
    expect(page.locator(".CodeMirror-linenumber").filter(has_text=re.compile(r"^12$"))).to_be_visible()

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("The client profiles configuration was updated").wait_for()
    assert profiles_representation(master) == weekly_profiles
    # The saved document comes back in the editor.
    expect(page.get_by_role("textbox", name=LABEL)).to_be_visible()
    assert json.loads(json_form_value(page)) == weekly_profiles
    assert violations(page, messages) == []


def test_editor_opens_after_switching_to_json_editor_in_place(page, admin_user, master):
    browser_sign_in(page)
    page.goto("/console/master/realm-settings/client-policies/")
    page.get_by_label("JSON editor").check()
    expect(page.get_by_role("textbox", name=LABEL)).to_be_visible()
    expect(page.get_by_role("button", name="Format")).to_be_enabled()


def test_without_javascript_the_textarea_saves(browser, live_server, admin_user, master, weekly_profiles):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        browser_sign_in(page)
        page.goto(JSON_VIEW)
        textarea = page.get_by_label(LABEL)
        expect(textarea).to_be_visible()
        expect(page.get_by_role("button", name="Format")).to_have_count(0)
        textarea.fill(json.dumps(weekly_profiles))
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("The client profiles configuration was updated").wait_for()
        assert profiles_representation(master) == weekly_profiles
    finally:
        context.close()
