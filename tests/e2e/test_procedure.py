"""The user's procedure (docs/procedure.md, after Keycloak's "Creating an OIDC Client Secret
Rotation Policy"), followed word by word in Chromium.

Every control is found by the words the procedure tells a person to look for: visible labels and
accessible names (``get_by_role`` / ``get_by_label`` / ``get_by_text``), never CSS ids. With
``DOCS_SCREENSHOTS=1`` (``make docs``) the walkthrough writes the procedure's images into
docs/images/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from realms import clock
from tests.e2e.helpers import (
    assert_keyboard_reachable,
    axe_violations,
    expiry_text,
    format_violations,
    token_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROFILE = "Weekly Client Secret Rotation Profile"
PROFILE_DESCRIPTION = "Rotates client secrets every week; the previous secret stays valid for two days."
POLICY = "Weekly Client Secret Rotation Policy"
POLICY_DESCRIPTION = "Applies the weekly secret rotation profile to every confidential client."
ONE_WEEK, TWO_DAYS, ONE_DAY = 604800, 172800, 86400
CLIENT_ID = "billing-service"
INITIAL_SECRET = "billing-initial-secret-0123456789abcdef"


def a_confidential_client(realm, client_id: str = CLIENT_ID, secret: str = INITIAL_SECRET, roles=()):
    """An existing confidential client with a service account (client_credentials works)."""
    from clients.services import client_create, client_role_create

    client = client_create(
        realm=realm,
        representation={
            "clientId": client_id,
            "publicClient": False,
            "serviceAccountsEnabled": True,
            "secret": secret,
        },
        actor=None,
    )
    for role in roles:
        client_role_create(client=client, name=role, actor=None)
    return client


def the_weekly_profile(realm):
    """The profile of steps 3-12, made through the services (for tests that start later)."""
    from policies import services

    profile = services.profile_create(realm=realm, name=PROFILE, description=PROFILE_DESCRIPTION)
    services.profile_executor_add(
        realm=realm,
        profile=profile,
        executor="secret-rotation",
        configuration={
            "expiration-period": str(ONE_WEEK),
            "rotated-expiration-period": str(TWO_DAYS),
            "remaining-rotation-period": str(ONE_DAY),
        },
    )
    return profile


def field(page, label: str):
    """A form field by its visible label; a required field's label carries crispy's ``*`` marker."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def alert(page, text: str):
    """A success/failure alert of docs/console-wording.md §16, by its exact words."""
    return page.get_by_role("status").filter(has_text=text).or_(page.get_by_role("alert").filter(has_text=text)).first


def regenerate_client_secret(page) -> None:
    """Click *Re-generate* of the client secret and confirm with *Yes*."""
    page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate").click()
    dialog = page.get_by_role("dialog", name="Regenerate secret for this client?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Yes").click()
    expect(alert(page, "Client secret regenerated")).to_be_visible()


def secret_value(page, group: str) -> str:
    return page.get_by_role("group", name=group).get_by_label(group, exact=True).input_value()


# --- the procedure ---------------------------------------------------------------------------------


def test_procedure_end_to_end(docs_page, shots, master, live_server):
    from clients.models import ClientSecret
    from policies.models import ClientPolicy, ClientProfile

    page = docs_page
    existing = a_confidential_client(master)  # "an existing client" of the final NOTE
    status, body = token_request(live_server.url, "master", CLIENT_ID, INITIAL_SECRET)
    assert status == 200 and body.get("access_token"), body

    # 1. Click *Realm Settings* in the menu.
    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Realm Settings").click()
    # 2. Click *Client Policies* tab.
    page.get_by_role("link", name="Client Policies", exact=True).click()
    expect(page.get_by_role("link", name="Profiles", exact=True)).to_have_attribute("aria-current", "page")
    # 3. On the *Profiles* page, click *Create client profile*.
    page.get_by_role("link", name="Create client profile").click()
    expect(page.get_by_role("heading", name="Create client profile")).to_be_visible()
    # 4. Enter any name for *Name*. 5. Enter a description for *Description*.
    field(page, "Name").fill(PROFILE)
    field(page, "Description").fill(PROFILE_DESCRIPTION)
    shots.take(page, "create-oidc-client-profile.png")
    # 6. Click *Save*: the profile exists and executors can be configured.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(alert(page, "New client profile created")).to_be_visible()
    expect(page.get_by_role("heading", name=PROFILE)).to_be_visible()
    expect(page.get_by_text("No executors configured")).to_be_visible()

    # 7. Click *Add executor*.
    page.get_by_role("link", name="Add executor").click()
    # 8. Select _secret-rotation_ for *Executor Type*.
    field(page, "Executor Type").select_option("secret-rotation")
    # 9.-11. Secret Expiration one week, Rotated Secret Expiration two days, Remain Expiration Time one day.
    field(page, "Secret Expiration").fill(str(ONE_WEEK))
    field(page, "Rotated Secret Expiration").fill(str(TWO_DAYS))
    field(page, "Remain Expiration Time").fill(str(ONE_DAY))
    shots.take(page, "create-oidc-client-secret-rotation-executor.png")
    # 12. Click *Add*.
    page.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "Success! Executor created successfully")).to_be_visible()
    expect(page.get_by_role("heading", name=PROFILE)).to_be_visible()
    expect(page.get_by_role("link", name="secret-rotation", exact=True)).to_be_visible()

    profile = ClientProfile.objects.get(realm=master, name=PROFILE)
    assert profile.description == PROFILE_DESCRIPTION
    executors = list(profile.executors.all())
    assert [e.provider_id for e in executors] == ["secret-rotation"]
    assert executors[0].configuration == {
        "expiration-period": str(ONE_WEEK),
        "rotated-expiration-period": str(TWO_DAYS),
        "remaining-rotation-period": str(ONE_DAY),
    }

    # 13. Return to the *Client Policies* tab. 14. Click *Policies*.
    page.get_by_role("link", name="Client Policies", exact=True).click()
    page.get_by_role("link", name="Policies", exact=True).click()
    expect(page.get_by_text("No client policies", exact=True)).to_be_visible()
    # 15. Click *Create client policy*.
    page.get_by_role("link", name="Create client policy").click()
    expect(page.get_by_role("heading", name="Create client policy")).to_be_visible()
    # 16. Name, 17. Description.
    field(page, "Name").fill(POLICY)
    field(page, "Description").fill(POLICY_DESCRIPTION)
    shots.take(page, "create-oidc-client-secret-rotation-policy.png")
    # 18. Click *Save*: the policy exists; its conditions and profiles can be configured.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(alert(page, "New policy created")).to_be_visible()
    expect(page.get_by_role("heading", name="Conditions", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Client Profiles", exact=True)).to_be_visible()

    # 19. Under Conditions, click *Add condition*.
    page.get_by_role("region", name="Conditions").get_by_role("link", name="Add condition").click()
    # 20. Select _client-access-type_ in the *Condition Type* field.
    field(page, "Condition Type").select_option("client-access-type")
    # 21. Add _confidential_ to the field *Client Access Type* (it is the default choice).
    # Issue 14: a group of checkboxes (was a native multi-select).
    access_type = page.get_by_role("group", name="Client Access Type")
    expect(access_type.get_by_role("checkbox", name="confidential")).to_be_checked()
    access_type.get_by_role("checkbox", name="confidential").check()
    shots.take(page, "create-oidc-client-secret-rotation-condition.png")
    # 22. Click *Add*.
    page.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "Condition created successfully.")).to_be_visible()
    conditions = page.get_by_role("region", name="Conditions")
    expect(conditions.get_by_role("link", name="client-access-type", exact=True)).to_be_visible()

    # 23. Under _Client Profiles_, click *Add client profile*, select the weekly profile, click *Add*.
    client_profiles = page.get_by_role("region", name="Client Profiles")
    client_profiles.get_by_role("link", name="Add client profile").click()
    picker = page.get_by_role("region", name="Add client profile")
    picker.get_by_label(PROFILE, exact=True).check()
    picker.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "New client profile added")).to_be_visible()
    client_profiles = page.get_by_role("region", name="Client Profiles")
    expect(client_profiles.get_by_role("link", name=PROFILE, exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Add client profile")).to_have_count(0)
    page.reload()  # the policy as it is stored, without the alert toasts
    expect(page.get_by_role("region", name="Client Profiles").get_by_role("link", name=PROFILE, exact=True)).to_be_visible()
    shots.take(page, "oidc-client-secret-rotation-policy.png", full_page=True)

    policy = ClientPolicy.objects.get(realm=master, name=POLICY)
    assert policy.enabled
    assert policy.description == POLICY_DESCRIPTION
    assert [(c.provider_id, c.configuration.get("type")) for c in policy.conditions.all()] == [
        ("client-access-type", ["confidential"])
    ]
    assert list(policy.profile_refs.values_list("profile_name", flat=True)) == [PROFILE]

    # NOTE — an existing client: Clients → the client → Credentials → Re-generate.
    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name=CLIENT_ID, exact=True).click()
    page.get_by_role("link", name="Credentials", exact=True).click()
    old_secret = secret_value(page, "Client Secret")
    assert old_secret == INITIAL_SECRET
    expect(page.get_by_role("group", name="Secret rotated")).to_have_count(0)
    before = clock.epoch()
    regenerate_client_secret(page)
    after = clock.epoch()

    new_secret = secret_value(page, "Client Secret")
    assert new_secret and new_secret != old_secret
    assert secret_value(page, "Secret rotated") == old_secret

    current = ClientSecret.objects.get(client=existing, kind=ClientSecret.CURRENT)
    rotated = ClientSecret.objects.get(client=existing, kind=ClientSecret.ROTATED)
    assert before <= current.created_time <= after
    assert current.expiration_time == current.created_time + ONE_WEEK  # Secret Expiration
    assert rotated.expiration_time == current.created_time + TWO_DAYS  # Rotated Secret Expiration
    # Both expiries are on the tab, each under its secret.
    expect(page.get_by_role("group", name="Client Secret").get_by_text(expiry_text(current.expiration_time))).to_be_visible()
    expect(page.get_by_role("group", name="Secret rotated").get_by_text(expiry_text(rotated.expiration_time))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Secret expires on "))).to_have_count(2)

    # The rotation is real: the old secret still gets a token, and so does the new one.
    status, body = token_request(live_server.url, "master", CLIENT_ID, old_secret)
    assert status == 200 and body.get("access_token"), body
    status, body = token_request(live_server.url, "master", CLIENT_ID, new_secret)
    assert status == 200 and body.get("access_token"), body

    # Two days later the rotated secret has expired; the new one still works for the week.
    later = dt.datetime.fromtimestamp(rotated.expiration_time + 60, tz=dt.UTC)
    with time_machine.travel(later, tick=True):
        status, body = token_request(live_server.url, "master", CLIENT_ID, old_secret)
        assert status == 401 and body.get("error") == "unauthorized_client", body  # Keycloak's answer
        status, body = token_request(live_server.url, "master", CLIENT_ID, new_secret)
        assert status == 200 and body.get("access_token"), body

    for name in (
        "create-oidc-client-profile.png",
        "create-oidc-client-secret-rotation-executor.png",
        "create-oidc-client-secret-rotation-policy.png",
        "create-oidc-client-secret-rotation-condition.png",
        "oidc-client-secret-rotation-policy.png",
    ):
        path = shots.directory / name
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


# --- the procedure's WARNING -----------------------------------------------------------------------


def test_warning_rotated_expiration_must_be_less_than_secret_expiration(console_page, master):
    """WARNING: the *Rotated Secret Expiration* value must always be less than *Secret Expiration*.

    Equal or greater is refused on the executor form, the message sits next to the field, and
    nothing is added to the profile.
    """
    from policies import services
    from policies.models import ClientProfileExecutor

    page = console_page
    services.profile_create(realm=master, name=PROFILE, description=PROFILE_DESCRIPTION)

    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Realm Settings").click()
    page.get_by_role("link", name="Client Policies", exact=True).click()
    page.get_by_role("link", name=PROFILE, exact=True).click()
    page.get_by_role("link", name="Add executor").click()
    field(page, "Executor Type").select_option("secret-rotation")

    for secret_expiration, rotated_expiration in ((TWO_DAYS, TWO_DAYS), (TWO_DAYS, ONE_WEEK)):
        field(page, "Secret Expiration").fill(str(secret_expiration))
        field(page, "Rotated Secret Expiration").fill(str(rotated_expiration))
        field(page, "Remain Expiration Time").fill(str(ONE_DAY))
        page.get_by_role("button", name="Add", exact=True).click()

        # Issue 14: the alert points to the field; the field's message is on the page once.
        expect(alert(page, "Executor not created: see the field marked below")).to_be_visible()
        rotated = field(page, "Rotated Secret Expiration")
        # The message is next to the field, and tied to it for assistive technology.
        expect(rotated).to_have_attribute("aria-invalid", "true")
        expect(rotated).to_have_accessible_description(re.compile(r"less than Secret Expiration"))
        expect(page.get_by_text("Rotated Secret Expiration must be less than Secret Expiration")).to_be_visible()
        # The form keeps what was typed, so the person can correct it.
        expect(rotated).to_have_value(str(rotated_expiration))
        expect(field(page, "Secret Expiration")).to_have_value(str(secret_expiration))
        assert not ClientProfileExecutor.objects.filter(profile__realm=master).exists()

    # Nothing was added: the profile still lists no executor.
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name=PROFILE)).to_be_visible()
    expect(page.get_by_text("No executors configured")).to_be_visible()
    expect(page.get_by_role("link", name="secret-rotation")).to_have_count(0)

    # Correcting the value (two days < one week) is accepted.
    page.get_by_role("link", name="Add executor").click()
    field(page, "Executor Type").select_option("secret-rotation")
    field(page, "Secret Expiration").fill(str(ONE_WEEK))
    field(page, "Rotated Secret Expiration").fill(str(TWO_DAYS))
    field(page, "Remain Expiration Time").fill(str(ONE_DAY))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "Success! Executor created successfully")).to_be_visible()
    assert ClientProfileExecutor.objects.filter(profile__realm=master, provider_id="secret-rotation").count() == 1


# --- the NOTE: client-roles instead of client-access-type ------------------------------------------


def test_note_client_roles_condition_targets_clients_with_the_role(console_page, master):
    """NOTE: "select the _client-roles_ type in the *Condition Type* field … create specific roles
    and assign a custom rotation configuration to each role"."""
    from clients.models import ClientSecret
    from clients.services import client_secret_regenerate
    from policies.models import ClientPolicy

    page = console_page
    the_weekly_profile(master)
    with_role = a_confidential_client(master, "payments", "payments-initial-secret-0123456789", roles=["weekly-rotation"])
    without_role = a_confidential_client(master, "reports", "reports-initial-secret-0123456789")

    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Realm Settings").click()
    page.get_by_role("link", name="Client Policies", exact=True).click()
    page.get_by_role("link", name="Policies", exact=True).click()
    page.get_by_role("link", name="Create client policy").click()
    field(page, "Name").fill("Weekly rotation for the weekly-rotation role")
    field(page, "Description").fill("Clients with the client role weekly-rotation rotate their secret weekly.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(alert(page, "New policy created")).to_be_visible()

    page.get_by_role("region", name="Conditions").get_by_role("link", name="Add condition").click()
    field(page, "Condition Type").select_option("client-roles")
    field(page, "Client Roles").fill("weekly-rotation")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "Condition created successfully.")).to_be_visible()
    expect(page.get_by_role("region", name="Conditions").get_by_role("link", name="client-roles", exact=True)).to_be_visible()

    page.get_by_role("region", name="Client Profiles").get_by_role("link", name="Add client profile").click()
    picker = page.get_by_role("region", name="Add client profile")
    picker.get_by_label(PROFILE, exact=True).check()
    picker.get_by_role("button", name="Add", exact=True).click()
    expect(alert(page, "New client profile added")).to_be_visible()

    policy = ClientPolicy.objects.get(realm=master)
    assert [(c.provider_id, c.configuration.get("roles")) for c in policy.conditions.all()] == [
        ("client-roles", ["weekly-rotation"])
    ]

    # The client with the role rotates on Re-generate: both secrets, both expiries.
    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="payments", exact=True).click()
    page.get_by_role("link", name="Credentials", exact=True).click()
    regenerate_client_secret(page)
    assert secret_value(page, "Secret rotated") == "payments-initial-secret-0123456789"
    current = ClientSecret.objects.get(client=with_role, kind=ClientSecret.CURRENT)
    assert current.expiration_time == current.created_time + ONE_WEEK
    expect(page.get_by_text(re.compile(r"^Secret expires on "))).to_have_count(2)

    # The client without the role does not: its old secret is simply replaced.
    client_secret_regenerate(client=without_role, actor=None)
    assert not ClientSecret.objects.filter(client=without_role, kind=ClientSecret.ROTATED).exists()
    page.get_by_role("navigation", name="Console menu").get_by_role("link", name="Clients", exact=True).click()
    page.get_by_role("link", name="reports", exact=True).click()
    page.get_by_role("link", name="Credentials", exact=True).click()
    expect(page.get_by_role("group", name="Secret rotated")).to_have_count(0)


# --- accessibility ---------------------------------------------------------------------------------


def test_procedure_pages_are_keyboard_reachable_labelled_and_pass_axe(axe_page, master):
    """Every control the procedure names has its accessible name and is reached with the Tab key,
    and axe-core finds no serious or critical violation on any page of the procedure.

    The page's context bypasses the CSP only so that axe-core can be injected.
    """
    from django.urls import reverse

    from clients.services import client_secret_regenerate
    from policies import services

    page = axe_page
    problems: list[str] = []

    def check(what: str, controls: dict[str, object]) -> None:
        for name, locator in controls.items():
            try:
                expect(locator).to_have_count(1)
                expect(locator).to_be_visible()
            except AssertionError as exc:
                problems.append(f"{what}: control {name!r} not found by its label: {exc}")
                return
        try:
            assert_keyboard_reachable(page, controls)
        except AssertionError as exc:
            problems.append(f"{what}: {exc}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"{what}: axe-core\n{format_violations(violations)}")

    def url(name: str, **kwargs) -> str:
        return reverse(name, kwargs={"realm": master.name, **kwargs})

    menu = page.get_by_role("navigation", name="Console menu")

    # Steps 1-3 on a fresh realm (the empty states).
    page.goto(url("realm-home"))
    check("menu", {"Realm Settings": menu.get_by_role("link", name="Realm Settings"), "Clients": menu.get_by_role("link", name="Clients", exact=True)})
    page.goto(url("realm-settings"))
    check("Realm Settings", {"Client Policies": page.get_by_role("link", name="Client Policies", exact=True)})
    page.goto(url("client-policies"))
    check(
        "Client Policies → Profiles",
        {
            "Profiles": page.get_by_role("link", name="Profiles", exact=True),
            "Policies": page.get_by_role("link", name="Policies", exact=True),
            "Create client profile": page.get_by_role("link", name="Create client profile"),
        },
    )
    page.goto(url("client-policies-policies"))
    check("Client Policies → Policies (empty)", {"Create client policy": page.get_by_role("link", name="Create client policy")})

    # Steps 4-6: the profile form.
    page.goto(url("client-profile-create"))
    check(
        "Create client profile",
        {"Name": field(page, "Name"), "Description": field(page, "Description"), "Save": page.get_by_role("button", name="Save", exact=True)},
    )

    # Steps 7-12: the profile page and the executor form (also with the WARNING's error shown).
    profile = services.profile_create(realm=master, name=PROFILE, description=PROFILE_DESCRIPTION)
    page.goto(url("client-profile", profile=profile.pk))
    check("profile page", {"Add executor": page.get_by_role("link", name="Add executor")})
    page.goto(url("client-profile-executor-add", profile=profile.pk))
    check("Add executor (no type yet)", {"Executor Type": field(page, "Executor Type")})
    field(page, "Executor Type").select_option("secret-rotation")
    executor_controls = {
        "Executor Type": field(page, "Executor Type"),
        "Secret Expiration": field(page, "Secret Expiration"),
        "Rotated Secret Expiration": field(page, "Rotated Secret Expiration"),
        "Remain Expiration Time": field(page, "Remain Expiration Time"),
        "Add": page.get_by_role("button", name="Add", exact=True),
    }
    check("Add executor (secret-rotation)", executor_controls)
    field(page, "Secret Expiration").fill(str(TWO_DAYS))
    field(page, "Rotated Secret Expiration").fill(str(ONE_WEEK))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(field(page, "Rotated Secret Expiration")).to_have_attribute("aria-invalid", "true")
    check("Add executor (refused: the WARNING)", executor_controls)

    # Steps 13-18: the policies list and the policy form.
    page.goto(url("client-policy-create"))
    check(
        "Create client policy",
        {"Name": field(page, "Name"), "Description": field(page, "Description"), "Save": page.get_by_role("button", name="Save", exact=True)},
    )

    # Steps 19-23: the policy page, the condition form, the profile picker.
    services.profile_executor_add(
        realm=master,
        profile=profile,
        executor="secret-rotation",
        configuration={"expiration-period": str(ONE_WEEK), "rotated-expiration-period": str(TWO_DAYS), "remaining-rotation-period": str(ONE_DAY)},
    )
    policy = services.policy_create(realm=master, name=POLICY, description=POLICY_DESCRIPTION)
    page.goto(url("client-policies-policies"))
    check("Client Policies → Policies", {"Create client policy": page.get_by_role("link", name="Create client policy")})
    page.goto(url("client-policy", policy=policy.pk))
    check(
        "policy page",
        {
            "Add condition": page.get_by_role("region", name="Conditions").get_by_role("link", name="Add condition"),
            "Add client profile": page.get_by_role("region", name="Client Profiles").get_by_role("link", name="Add client profile"),
        },
    )
    page.goto(url("client-policy-condition-add", policy=policy.pk))
    check("Add condition (no type yet)", {"Condition Type": field(page, "Condition Type")})
    field(page, "Condition Type").select_option("client-access-type")
    check(
        "Add condition (client-access-type)",
        {
            "Condition Type": field(page, "Condition Type"),
            "Client Access Type": page.get_by_role("group", name="Client Access Type").get_by_role("checkbox", name="confidential"),
            "Add": page.get_by_role("button", name="Add", exact=True),
        },
    )
    field(page, "Condition Type").select_option("client-roles")
    check(
        "Add condition (client-roles)",
        {"Client Roles": field(page, "Client Roles"), "Add": page.get_by_role("button", name="Add", exact=True)},
    )
    services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": ["confidential"]})
    page.goto(url("client-policy", policy=policy.pk))
    page.get_by_role("region", name="Client Profiles").get_by_role("link", name="Add client profile").click()
    picker = page.get_by_role("region", name="Add client profile")
    check(
        "policy page, Add client profile",
        {PROFILE: picker.get_by_label(PROFILE, exact=True), "Add": picker.get_by_role("button", name="Add", exact=True)},
    )
    services.policy_profiles_add(realm=master, policy=policy, profile_names=[PROFILE])
    page.goto(url("client-policy", policy=policy.pk))
    check("policy page (complete)", {"Add condition": page.get_by_role("link", name="Add condition")})

    # The NOTE: Clients → the client → Credentials → Re-generate → Yes; then both secrets shown.
    client = a_confidential_client(master)
    page.goto(url("client-list"))
    check("Clients", {CLIENT_ID: page.get_by_role("link", name=CLIENT_ID, exact=True)})
    page.get_by_role("link", name=CLIENT_ID, exact=True).click()
    check("client details", {"Credentials": page.get_by_role("link", name="Credentials", exact=True)})
    page.get_by_role("link", name="Credentials", exact=True).click()
    regenerate = page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate")
    check("Credentials", {"Re-generate": regenerate})
    regenerate.click()
    dialog = page.get_by_role("dialog", name="Regenerate secret for this client?")
    expect(dialog).to_be_visible()
    check("Re-generate confirmation", {"Yes": dialog.get_by_role("button", name="Yes"), "No": dialog.get_by_role("button", name="No")})
    dialog.get_by_role("button", name="No").click()
    expect(dialog).to_be_hidden()
    client_secret_regenerate(client=client, actor=None)
    page.reload()
    check(
        "Credentials (rotated)",
        {
            "Re-generate": page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate"),
            "Invalidate": page.get_by_role("group", name="Secret rotated").get_by_role("button", name="Invalidate"),
        },
    )

    assert not problems, "\n\n".join(problems)
