"""The procedure's profile and policy steps, word by word, in Chromium (labels only, no CSS ids)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from policies.services import policies_representation, profiles_representation

from .conftest import WEEKLY, json_editor_type, json_form_value

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_procedure_profile_and_policy_steps(console_page, master):
    page = console_page

    # 1. Click Realm Settings in the menu.  2. Click Client Policies tab.
    page.get_by_role("link", name="Realm Settings", exact=True).click()
    page.get_by_role("link", name="Client Policies", exact=True).click()
    page.wait_for_url("**/realm-settings/client-policies/")
    assert page.get_by_label("Form view").is_checked()

    # 3. On the Profiles page, click Create client profile.
    page.get_by_role("link", name="Create client profile").click()
    # 4-6. Name, Description, Save.
    page.get_by_label("Name", exact=True).fill(WEEKLY)
    page.get_by_label("Description", exact=True).fill("Rotates the secrets of confidential clients every week")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("New client profile created").wait_for()
    page.get_by_role("heading", name="Executors").wait_for()
    page.get_by_text("No executors configured").wait_for()

    # 7. Click Add executor.  8. Select secret-rotation for Executor Type.
    page.get_by_role("link", name="Add executor").click()
    page.get_by_label("Executor Type", exact=True).select_option("secret-rotation")
    # The fields come pre-filled with the defaults.
    secret = page.get_by_label("Secret Expiration", exact=True)
    rotated = page.get_by_label("Rotated Secret Expiration", exact=True)
    remain = page.get_by_label("Remain Expiration Time", exact=True)
    assert (secret.input_value(), rotated.input_value(), remain.input_value()) == ("2505600", "172800", "864000")

    # WARNING: Rotated Secret Expiration must be less than Secret Expiration: refused next to the field.
    secret.fill("172800")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Rotated Secret Expiration must be less than Secret Expiration").wait_for()
    assert page.get_by_label("Rotated Secret Expiration", exact=True).get_attribute("aria-invalid") == "true"
    assert profiles_representation(master)["profiles"][0]["executors"] == []

    # 9-11. One week, two days, one day.  12. Click Add.
    page.get_by_label("Secret Expiration", exact=True).fill("604800")
    page.get_by_label("Rotated Secret Expiration", exact=True).fill("172800")
    page.get_by_label("Remain Expiration Time", exact=True).fill("86400")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Success! Executor created successfully").wait_for()
    page.get_by_role("link", name="secret-rotation").wait_for()

    # 13. Return to the Client Policies tab.  14. Click Policies.
    page.get_by_role("link", name="Client Policies", exact=True).click()
    page.get_by_role("link", name="Policies", exact=True).click()
    page.get_by_role("heading", name="No client policies").wait_for()

    # 15. Click Create client policy.  16-18. Name, Description, Save.
    page.get_by_role("link", name="Create client policy").click()
    assert page.get_by_label("Enabled").is_checked()
    page.get_by_label("Name", exact=True).fill("Client Secret Rotation Policy")
    page.get_by_label("Description", exact=True).fill("All confidential clients")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("New policy created").wait_for()

    # 19. Under Conditions, click Add condition.
    page.get_by_role("heading", name="Conditions").wait_for()
    page.get_by_role("link", name="Add condition").click()
    # 20. Select client-access-type in the Condition Type field.
    page.get_by_label("Condition Type", exact=True).select_option("client-access-type")
    # 21. Add confidential to the field Client Access Type: it is already there.
    # Issue 14: a group of checkboxes (was a native multi-select).
    access_type = page.get_by_role("group", name="Client Access Type")
    access_type.get_by_role("checkbox", name="bearer-only").wait_for()  # the fields arrive by htmx
    assert [box.get_attribute("value") for box in access_type.get_by_role("checkbox").all() if box.is_checked()] == ["confidential"]
    assert not page.get_by_label("Negative Logic").is_checked()
    # 22. Click Add.
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Condition created successfully.").wait_for()
    page.get_by_role("link", name="client-access-type").wait_for()

    # 23. Under Client Profiles, click Add client profile, select the profile, click Add.
    page.get_by_role("heading", name="Client Profiles").wait_for()
    page.get_by_role("link", name="Add client profile").click()
    page.get_by_label(WEEKLY).check()
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("New client profile added").wait_for()
    page.get_by_role("region", name="Client Profiles").get_by_role("link", name=WEEKLY).wait_for()

    assert profiles_representation(master) == {
        "profiles": [
            {
                "name": WEEKLY,
                "description": "Rotates the secrets of confidential clients every week",
                "executors": [
                    {
                        "executor": "secret-rotation",
                        "configuration": {
                            "expiration-period": "604800",
                            "rotated-expiration-period": "172800",
                            "remaining-rotation-period": "86400",
                        },
                    }
                ],
            }
        ]
    }
    assert policies_representation(master) == {
        "policies": [
            {
                "name": "Client Secret Rotation Policy",
                "description": "All confidential clients",
                "enabled": True,
                "conditions": [
                    {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
                ],
                "profiles": [WEEKLY],
            }
        ]
    }


def test_json_editor_and_status_switch(console_page, master, weekly_profiles, weekly_policies):
    page = console_page
    page.goto("/console/master/realm-settings/client-policies/")
    page.get_by_label("JSON editor").check()
    # The editor (static/js/json-editor.js) writes into the form's textarea, which is what is read here.
    editor = page.get_by_role("textbox", name="Client profiles (JSON)")
    expect(editor).to_be_visible()
    assert json.loads(json_form_value(page)) == {"profiles": []}

    # A refused document is shown in place and nothing is stored.
    json_editor_type(page, "Client profiles (JSON)", '{"profiles": [{"name": "a"}, {"name": "a"}]}')
    page.get_by_role("button", name="Save", exact=True).click()
    message = "Could not update client profiles: proposed client profile name duplicated."
    page.get_by_role("alert").filter(has_text=message).first.wait_for()
    # In place: the editor keeps the refused text and is described by the error.
    editor = page.get_by_role("textbox", name="Client profiles (JSON)")
    expect(editor).to_have_accessible_description(message)
    assert '"name": "a"' in json_form_value(page)
    assert profiles_representation(master) == {"profiles": []}

    json_editor_type(page, "Client profiles (JSON)", json.dumps(weekly_profiles))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("The client profiles configuration was updated").wait_for()
    assert profiles_representation(master) == weekly_profiles

    page.get_by_role("link", name="Policies", exact=True).click()
    page.get_by_label("JSON editor").check()
    json_editor_type(page, "Client policies (JSON)", json.dumps(weekly_policies))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("The client policies configuration was updated").wait_for()

    # Back to the form view: the switch toggles in place; switching off asks first.
    page.get_by_label("Form view").check()
    row = page.get_by_role("row").filter(has_text="Client Secret Rotation Policy")
    row.get_by_role("switch").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Disable policy?").wait_for()
    dialog.get_by_role("button", name="Disable").click()
    page.get_by_text("Client policy updated").wait_for()
    switch = row.get_by_role("switch")
    assert switch.get_attribute("aria-checked") == "false" and re.search("Disabled", switch.inner_text())
    assert policies_representation(master)["policies"][0]["enabled"] is False
    switch.click()  # switching on saves at once, without asking
    expect(row.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    assert policies_representation(master)["policies"][0]["enabled"] is True
