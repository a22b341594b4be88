"""A double click on a create button creates one object (issue 14, item 1), in Chromium.

The page disables the submit button while the post runs (static/js/console.js); the server's
one-time form token refuses a second post of the same form (adminconsole.form_tokens). Counts are
read from the database after the page has settled on the answer.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from clients.models import Client, ClientRole
from policies.models import ClientPolicy, ClientPolicyCondition, ClientProfile, ClientProfileExecutor
from tests.factories import client_make, policy_make, profile_make
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def field(page, label: str):
    """A form field by its visible label (a required field's label carries crispy's ``*``)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def double_click(page, name: str):
    page.get_by_role("button", name=name, exact=True).dblclick()


def settled(page, text: str):
    expect(page.get_by_text(text).first).to_be_visible()
    page.wait_for_load_state("networkidle")


def test_client_create(console_page):
    page = console_page
    page.goto("/console/master/clients/add-client")
    field(page, "Client ID").fill("billing")
    double_click(page, "Save")
    settled(page, "Client created successfully")
    assert Client.objects.filter(client_id="billing").count() == 1


def test_client_profile_create_and_executor_add(console_page, master):
    page = console_page
    page.goto("/console/master/realm-settings/client-policies/profiles/add-profile")
    field(page, "Name").fill("weekly")
    double_click(page, "Save")
    settled(page, "New client profile created")
    assert ClientProfile.objects.filter(name="weekly").count() == 1

    page.get_by_role("link", name="Add executor").click()
    field(page, "Executor Type").select_option("secret-rotation")
    field(page, "Secret Expiration").fill("604800")
    field(page, "Rotated Secret Expiration").fill("172800")
    field(page, "Remain Expiration Time").fill("86400")
    double_click(page, "Add")
    settled(page, "Executor created successfully")
    assert ClientProfileExecutor.objects.filter(profile__name="weekly").count() == 1


def test_client_policy_create_and_condition_add(console_page, master):
    page = console_page
    page.goto("/console/master/realm-settings/client-policies/policies/add-client-policy")
    field(page, "Name").fill("everyone")
    double_click(page, "Save")
    settled(page, "New policy created")
    assert ClientPolicy.objects.filter(name="everyone").count() == 1

    page.get_by_role("region", name="Conditions").get_by_role("link", name="Add condition").click()
    field(page, "Condition Type").select_option("any-client")
    # The type redraws the form (htmx); any-client has no field to wait for, so wait for the redraw.
    page.wait_for_load_state("networkidle")
    double_click(page, "Add")
    settled(page, "Condition created successfully")
    assert ClientPolicyCondition.objects.filter(policy__name="everyone").count() == 1


def test_client_role_create(console_page, master):
    client = client_make(master, "billing")
    page = console_page
    page.goto(f"/console/master/clients/{client.pk}/roles/add-role")
    field(page, "Role name").fill("reader")
    double_click(page, "Save")
    settled(page, "Role created")
    assert ClientRole.objects.filter(client=client, name="reader").count() == 1


def test_user_create(console_page):
    page = console_page
    page.goto("/console/master/users/add-user")
    field(page, "Username").fill("alice")
    double_click(page, "Create")
    settled(page, "alice")
    assert get_user_model().objects.filter(username="alice").count() == 1


def test_webhook_add(console_page, master):
    page = console_page
    page.goto("/console/master/realm-settings/webhooks/add")
    field(page, "URL").fill("https://hooks.example.com/in")
    page.get_by_role("group", name="Event types").get_by_role("checkbox").first.check()
    double_click(page, "Save")
    page.wait_for_url("**/realm-settings/webhooks/**")
    page.wait_for_load_state("networkidle")
    assert WebhookEndpoint.objects.filter(url="https://hooks.example.com/in").count() == 1


def test_the_button_is_busy_while_the_post_runs_and_free_again_after_a_refusal(console_page, master):
    profile_make(master, "taken", [])
    policy_make(master, "unused", [("any-client", {})], ["taken"])
    page = console_page
    page.goto("/console/master/realm-settings/client-policies/profiles/add-profile")
    field(page, "Name").fill("taken")
    seen = []
    page.route("**/add-profile", lambda route: (seen.append(page.evaluate(
        "() => { const b = document.querySelector('#main button[type=submit]');"
        " return [b.disabled, b.getAttribute('aria-busy'), !!b.querySelector('.spinner-border')]; }")), route.continue_()))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert").first).to_be_visible()  # refused: the name is taken
    assert seen == [[True, "true", True]]
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_enabled()
    assert ClientProfile.objects.filter(name="taken").count() == 1
