from __future__ import annotations

import pytest
from playwright.sync_api import expect

WEEKLY = "Weekly Client Secret Rotation Profile"


def json_form_value(page) -> str:
    """In the browser, what the JSON editor's form sends: the textarea the editor writes into."""
    return page.evaluate("() => document.querySelector('textarea[name=json]').value")


def json_editor_type(page, label: str, text: str) -> None:
    """Replace the JSON editor's text as a person does: select all, then type (inserted at once)."""
    editor = page.get_by_role("textbox", name=label)
    # Once the script has run, the label names the editor rather than the plain textarea.
    expect(editor).to_have_attribute("contenteditable", "true")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # The editor reads its surface back a moment after each edit: each step lands before the next.
    sent = "(text) => document.querySelector('textarea[name=json]').value === text"
    page.wait_for_function(sent, arg="")
    page.keyboard.insert_text(text)
    page.wait_for_function(sent, arg=text)


@pytest.fixture
def weekly_profiles() -> dict:
    """The procedure's profile: one week / two days / one day (docs/keycloak.md §3.5)."""
    return {
        "profiles": [
            {
                "name": WEEKLY,
                "description": "Rotates confidential clients' secrets every week",
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


@pytest.fixture
def weekly_policies() -> dict:
    return {
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


@pytest.fixture
def realm_manager_client(console_client):
    """manage-realm only (which implies view-realm)."""
    return console_client(["manage-realm"], username="realm-manager")
