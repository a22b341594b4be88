"""The Client Policies tab: permission matrix, plain POSTs, htmx fragments, alerts, field errors."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies import services
from policies.models import ClientPolicy, ClientProfile
from policies.providers.base import INVALID_EXECUTOR_MESSAGE
from realms.actor import Actor
from tests.permissions import TO_LOGIN, get, post

from .conftest import WEEKLY

pytestmark = pytest.mark.django_db

BASE = "/console/master/realm-settings/client-policies/"
HX = {"HTTP_HX_REQUEST": "true"}
ACTOR = Actor()
WEEK_POST = {
    "executor": "secret-rotation",
    "config-expiration-period": "604800",
    "config-rotated-expiration-period": "172800",
    "config-remaining-rotation-period": "86400",
}


def text(response) -> str:
    return response.content.decode()


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


@pytest.fixture
def profile(master):
    return services.profile_create(realm=master, name=WEEKLY, description="weekly", actor=ACTOR)


@pytest.fixture
def policy(master):
    return services.policy_create(realm=master, name="Rotation Policy", description="all confidential", actor=ACTOR)


def _urls(profile, policy) -> dict[str, str]:
    services.profile_executor_add(
        realm=profile.realm, profile=profile, executor="secret-rotation", configuration={}, actor=ACTOR
    )
    services.policy_condition_add(
        realm=policy.realm, policy=policy, condition="client-roles", configuration={"roles": ["r"]}, actor=ACTOR
    )
    services.policy_profiles_add(realm=policy.realm, policy=policy, profile_names=[profile.name], actor=ACTOR)
    p, q = profile.pk, policy.pk
    return {
        "profiles": BASE,
        "profiles-json": BASE + "?view=json",
        "policies": BASE + "policies/",
        "policies-json": BASE + "policies/?view=json",
        "profile": f"{BASE}profiles/{p}/",
        "executor": f"{BASE}profiles/{p}/executors/{profile.executors.get().pk}/",
        "policy": f"{BASE}policies/{q}/",
        "condition": f"{BASE}policies/{q}/conditions/{policy.conditions.get().pk}/",
    }


# --- permissions ----------------------------------------------------------------------------------


def test_anonymous_visitors_go_to_login(permission_matrix, master):
    permission_matrix([get(BASE)], anonymous=TO_LOGIN)


def test_no_realm_permission_means_403(permission_matrix, master, profile, policy):
    permission_matrix([get(u) for u in _urls(profile, policy).values()], outsider=403, outsider_roles=["view-clients"])


def test_viewer_reads_everything_without_buttons_and_cannot_write(viewer_client, permission_matrix, master, profile, policy):
    urls = _urls(profile, policy)
    for name, url in urls.items():
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        body = text(response)
        for button in ("Create client profile", "Create client policy", "Add executor", "Add condition", "Add client profile", ">Save<", ">Delete", ">Remove<"):
            assert button not in body, (name, button)
    assert "readonly" in text(viewer_client.get(urls["profiles-json"]))
    forms = [get(BASE + "profiles/add-profile"), get(BASE + "policies/add-client-policy"),
             get(f"{BASE}profiles/{profile.pk}/add-executor"), get(f"{BASE}policies/{policy.pk}/create-condition"),
             get(f"{BASE}policies/{policy.pk}/add-client-profile")]
    posts = [
        post(BASE + "profiles/add-profile", {"name": "x"}),
        post(urls["profile"], {"name": "x"}),
        post(f"{BASE}profiles/{profile.pk}/delete"),
        post(f"{BASE}profiles/{profile.pk}/add-executor", WEEK_POST),
        post(urls["executor"], WEEK_POST),
        post(urls["executor"] + "delete"),
        post(BASE + "profiles/json", {"json": "{}"}),
        post(BASE + "policies/json", {"json": "{}"}),
        post(BASE + "policies/add-client-policy", {"name": "x"}),
        post(urls["policy"], {"name": "x"}),
        post(f"{BASE}policies/{policy.pk}/toggle", {"enabled": "false"}),
        post(f"{BASE}policies/{policy.pk}/delete"),
        post(f"{BASE}policies/{policy.pk}/create-condition", {"condition": "any-client"}),
        post(urls["condition"], {"config-roles": "x"}),
        post(urls["condition"] + "delete"),
        post(f"{BASE}policies/{policy.pk}/add-client-profile", {"profile": WEEKLY}),
        post(f"{BASE}policies/{policy.pk}/profiles/0/remove"),
    ]
    permission_matrix(forms, viewer=403)
    before = (services.profiles_representation(master), services.policies_representation(master))
    permission_matrix(posts, viewer=403)
    assert (services.profiles_representation(master), services.policies_representation(master)) == before


def test_manage_realm_alone_can_do_everything(realm_manager_client, permission_matrix, master, profile, policy):
    permission_matrix([get(u) for u in _urls(profile, policy).values()], manager=200, manager_roles=["manage-realm"])
    response = realm_manager_client.post(BASE + "profiles/add-profile", {"name": "by manager", "description": ""})
    assert response.status_code == 302
    assert ClientProfile.objects.filter(name="by manager").exists()


def test_client_policies_tab_is_in_the_realm_settings_tab_bar(viewer_client, master):
    body = text(viewer_client.get("/console/master/realm-settings/"))
    assert f'href="{BASE}">Client Policies</a>' in body


# --- the tab --------------------------------------------------------------------------------------


def test_profiles_subtab_default_form_view_and_empty_states(admin_client, master):
    body = squash(text(admin_client.get(BASE)))
    for label in ("Client Policies", ">Profiles<", ">Policies<", "Configure via:", "Form view", "JSON editor", "No profiles", "Create client profile"):
        assert label in body, label
    assert 'value="form" id="view-form" checked' in body
    # The sub-tabs' help is the console's `?` popover, not a hover-only title.
    for tab in ("profiles", "policies"):
        assert f'popovertarget="{tab}-help"' in body and f'class="help-popover" popover id="{tab}-help"' in body
        assert f'aria-describedby="{tab}-help">{tab.capitalize()}</a>' in body
    assert ' title="Client Profile allows' not in body
    body = squash(text(admin_client.get(BASE + "policies/")))
    assert "No client policies" in body
    assert "There are no client policies. Select 'Create client policy' to create a new client policy." in body
    assert body.count(">Create client policy<") == 1


def test_tables_list_rows_and_the_query_count_does_not_grow(admin_client, master):
    services.profile_create(realm=master, name="p0", description="first", actor=ACTOR)
    services.policy_create(realm=master, name="q0", description="first policy", actor=ACTOR)
    with CaptureQueriesContext(connection) as one:
        body = text(admin_client.get(BASE))
    assert "p0" in body and "first" in body
    with CaptureQueriesContext(connection) as one_policy:
        body = text(admin_client.get(BASE + "policies/"))
    assert "q0" in body and "first policy" in body and 'role="switch" aria-checked="true"' in body
    for i in range(1, 6):
        services.profile_create(realm=master, name=f"p{i}", actor=ACTOR)
        services.policy_create(realm=master, name=f"q{i}", actor=ACTOR)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(BASE)
    with CaptureQueriesContext(connection) as many_policies:
        admin_client.get(BASE + "policies/")
    assert len(many) == len(one)
    assert len(many_policies) == len(one_policy)


def test_configure_via_json_editor_htmx_fragment(admin_client, master, weekly_profiles):
    services.profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    response = admin_client.get(BASE + "?view=json", **HX)
    body = text(response)
    assert body.lstrip().startswith('<div id="subtab-pane">')
    assert "<html" not in body
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S).group(1)
    import html

    assert json.loads(html.unescape(textarea)) == weekly_profiles


# --- JSON editor ----------------------------------------------------------------------------------


def test_json_editor_save_plain_post(admin_client, master, weekly_profiles, weekly_policies):
    response = admin_client.post(BASE + "profiles/json", {"json": json.dumps(weekly_profiles)})
    assert response.status_code == 302 and response["Location"] == BASE + "?view=json"
    assert services.profiles_representation(master) == weekly_profiles
    assert "The client profiles configuration was updated" in text(admin_client.get(response["Location"]))
    response = admin_client.post(BASE + "policies/json", {"json": json.dumps(weekly_policies)}, follow=True)
    assert "The client policies configuration was updated" in text(response)
    assert services.policies_representation(master) == weekly_policies


def test_json_editor_refusals_are_shown_in_place_and_change_nothing(admin_client, master, weekly_profiles):
    services.profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    bad_text = '{"profiles": [{"name": "a"}, {"name": "a"}]}'
    response = admin_client.post(BASE + "profiles/json", {"json": bad_text})
    assert response.status_code == 400
    body = text(response)
    assert "Could not update client profiles: proposed client profile name duplicated." in body
    assert "&quot;a&quot;" in body, "the refused text stays in the editor"
    assert services.profiles_representation(master) == weekly_profiles

    response = admin_client.post(BASE + "profiles/json", {"json": "{not json"})
    assert response.status_code == 400
    assert "Unable to save client profiles, the provided information is not valid JSON: Expecting property name" in text(response)

    response = admin_client.post(BASE + "policies/json", {"json": '{"policies": [{"name": "p", "profiles": ["nope"]}]}'}, **HX)
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="subtab-pane">')
    assert 'role="alert" id="json-error">Could not update client policies: Policy p contains invalid profile nope<' in body
    assert 'hx-swap-oob="true"' in body
    assert not ClientPolicy.objects.exists()

    response = admin_client.post(BASE + "policies/json", {"json": "null"})
    assert "Could not update client policies: Passing null clientPolicies not allowed" in text(response)


def test_json_editor_accepts_keycloaks_array_with_global_markers(admin_client, master, weekly_profiles):
    entries = [dict(weekly_profiles["profiles"][0], **{"global": False})]
    response = admin_client.post(BASE + "profiles/json", {"json": json.dumps(entries)}, **HX)
    assert response.status_code == 200
    assert "The client profiles configuration was updated" in text(response)
    assert services.profiles_representation(master) == weekly_profiles
    response = admin_client.post(BASE + "profiles/json", {"json": json.dumps([{"name": "fapi-1-baseline", "global": True}])})
    assert "Could not update client profiles: Global profiles cannot be updated" in text(response)


# --- profiles and executors -----------------------------------------------------------------------


def test_create_profile_plain_post_then_its_page(admin_client, master):
    page = squash(text(admin_client.get(BASE + "profiles/add-profile")))
    assert '<label for="id_name" class="form-label requiredField"> Name<span class="asteriskField">*</span> </label>' in page
    assert 'aria-label="Name"' in page, "the accessible name is exactly the procedure's label"
    assert "The name must be unique within the realm" in page
    assert '<label for="id_description" class="form-label"> Description </label>' in page
    response = admin_client.post(BASE + "profiles/add-profile", {"name": WEEKLY, "description": "weekly"})
    profile = ClientProfile.objects.get(name=WEEKLY)
    assert response.status_code == 302 and response["Location"] == f"{BASE}profiles/{profile.pk}/"
    body = squash(text(admin_client.get(response["Location"])))
    assert "New client profile created" in body
    assert "Executors" in body and "Add executor" in body and "No executors configured" in body


def test_create_profile_refusals(admin_client, master, profile):
    response = admin_client.post(BASE + "profiles/add-profile", {"name": "", "description": "x"})
    assert response.status_code == 400 and "Required field" in text(response)
    response = admin_client.post(BASE + "profiles/add-profile", {"name": WEEKLY}, **HX)
    body = text(response)
    assert response.status_code == 200 and body.lstrip().startswith('<form id="profile-form"')
    # Issue 14: the message is at the name field once; the alert points to it instead of repeating it.
    assert body.count(f"A client profile named &#x27;{WEEKLY}&#x27; already exists") == 1
    assert "Could not create client profile: see the field marked below" in body
    assert "proposed client profile name duplicated." not in body
    assert ClientProfile.objects.count() == 1


def test_update_profile_htmx_redirects(admin_client, master, profile):
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/", {"name": "Renamed", "description": "d"}, **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == f"{BASE}profiles/{profile.pk}/"
    assert "Client profile updated successfully" in text(admin_client.get(response["HX-Redirect"]))
    profile.refresh_from_db()
    assert (profile.name, profile.description) == ("Renamed", "d")


def test_add_executor_page_builds_fields_from_the_registry(admin_client, master, profile):
    url = f"{BASE}profiles/{profile.pk}/add-executor"
    body = text(admin_client.get(url))
    assert '<label class="form-label" for="id_type">Executor Type</label>' in body
    assert "Select an executor" in body
    options = re.findall(r'<option value="([^"]*)"', body)
    assert options == ["", "secret-rotation", "confidential-client", "secure-client-authenticator"]
    assert "Secret Expiration" not in body, "fields appear once a type is chosen"

    # htmx: choosing a type swaps in only its fields, defaults pre-filled, help texts shown.
    fragment = text(admin_client.get(url + "?executor=secret-rotation", **HX))
    assert fragment.lstrip().startswith('<div id="config-fields">')
    for label, key, default in (("Secret Expiration", "expiration-period", "2505600"), ("Rotated Secret Expiration", "rotated-expiration-period", "172800"), ("Remain Expiration Time", "remaining-rotation-period", "864000")):
        assert f'<label class="form-label" for="id_config-{key}">{label}</label>' in fragment
        assert f'name="config-{key}" value="{default}"' in fragment
    assert "When the secret is rotated. The time frequency for generating a new secret. (In seconds)" in fragment
    assert "This value should be always smaller than Secret Expiration." in fragment

    # Without JavaScript the same GET parameter renders the whole page with the fields.
    page = text(admin_client.get(url + "?executor=secret-rotation"))
    assert "<html" in page and 'name="config-expiration-period" value="2505600"' in page
    assert '<option value="secret-rotation" title="' in page and "selected>secret-rotation<" in page


def test_add_executor_plain_post_stores_strings_like_keycloaks_console(admin_client, master, profile, weekly_profiles):
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", WEEK_POST)
    assert response.status_code == 302 and response["Location"] == f"{BASE}profiles/{profile.pk}/"
    body = text(admin_client.get(response["Location"]))
    assert "Success! Executor created successfully" in body
    assert f'href="{BASE}profiles/{profile.pk}/executors/{profile.executors.get().pk}/">secret-rotation</a>' in body
    assert services.profiles_representation(master)["profiles"][0]["executors"] == weekly_profiles["profiles"][0]["executors"]


def test_rotated_not_less_than_secret_expiration_is_refused_next_to_the_field(admin_client, master, profile):
    data = dict(WEEK_POST, **{"config-rotated-expiration-period": "604800"})
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", data)
    assert response.status_code == 400
    body = squash(text(response))
    # Issue 14: the alert points to the field; the message is on the page once, at the field.
    assert "Executor not created: see the field marked below" in body
    assert INVALID_EXECUTOR_MESSAGE not in body
    assert body.count("Rotated Secret Expiration must be less than Secret Expiration") == 1
    field = re.search(r'<label class="form-label" for="id_config-rotated-expiration-period">Rotated Secret Expiration</label>(.*?)</div> </div>', body).group(1)
    assert 'is-invalid' in field and 'aria-invalid="true"' in field
    assert 'id="id_config-rotated-expiration-period-error">Rotated Secret Expiration must be less than Secret Expiration' in field
    assert 'value="604800"' in field, "the refused value stays in the form"
    assert not profile.executors.exists()

    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", data, **HX)
    body = text(response)
    assert response.status_code == 200 and body.lstrip().startswith('<form id="type-form"')
    assert "Rotated Secret Expiration must be less than Secret Expiration" in body
    assert 'hx-swap-oob="true"' in body and "Executor not created: see the field marked below" in body
    assert body.count("Rotated Secret Expiration must be less than Secret Expiration") == 1


def test_add_executor_without_a_type_and_with_an_unknown_type(admin_client, master, profile):
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", {})
    assert response.status_code == 400 and 'id="type-error">Required field<' in text(response)
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", {"executor": "pkce-enforcer"})
    assert response.status_code == 400
    assert not profile.executors.exists()


def test_missing_seconds_take_defaults(admin_client, master, profile):
    admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", {"executor": "secret-rotation", "config-expiration-period": "604800", "config-rotated-expiration-period": "", "config-remaining-rotation-period": "86400"})
    assert services.profiles_representation(master)["profiles"][0]["executors"][0]["configuration"] == {
        "expiration-period": "604800",
        "remaining-rotation-period": "86400",
    }


def test_edit_and_delete_executor(admin_client, master, profile):
    services.profile_executor_add(realm=master, profile=profile, executor="secret-rotation", configuration={"expiration-period": 604800, "rotated-expiration-period": 172800, "remaining-rotation-period": 86400, "custom": "kept"}, actor=ACTOR)
    url = f"{BASE}profiles/{profile.pk}/executors/{profile.executors.get().pk}/"  # issue 14: the row id, not the position
    body = text(admin_client.get(url))
    assert 'name="config-expiration-period" value="604800"' in body and " disabled" in body and ">Save<" in body
    response = admin_client.post(url, {"config-expiration-period": "604800", "config-rotated-expiration-period": "3600", "config-remaining-rotation-period": "86400"})
    assert response.status_code == 302
    assert services.profiles_representation(master)["profiles"][0]["executors"][0]["configuration"] == {
        "expiration-period": 604800, "rotated-expiration-period": "3600", "remaining-rotation-period": 86400, "custom": "kept",
    }
    assert "Executor updated successfully" in text(admin_client.get(response["Location"]))
    response = admin_client.post(url, {"config-expiration-period": "0"})
    assert response.status_code == 400 and "Executor not updated: " in text(response)
    assert admin_client.get(url + "delete").status_code == 405
    response = admin_client.post(url + "delete")
    assert response.status_code == 302 and not profile.executors.exists()
    assert "Success! The executor was deleted." in text(admin_client.get(response["Location"]))
    assert admin_client.get(url).status_code == 404
    assert admin_client.get(f"{BASE}profiles/999999/").status_code == 404
    assert admin_client.get(f"{BASE}profiles/abc/").status_code == 404


def test_delete_profile_asks_first_and_alerts(admin_client, master, profile):
    body = squash(text(admin_client.get(BASE)))
    assert f'data-confirm-title="Delete profile?" data-confirm-message="This action will permanently delete the profile {WEEKLY}. This cannot be undone." data-confirm-yes="Delete"' in body
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/delete", follow=True)
    assert "Client profile deleted" in text(response)
    assert not ClientProfile.objects.exists()


# --- policies and conditions ----------------------------------------------------------------------


def test_create_policy_and_its_sections(admin_client, master):
    page = text(admin_client.get(BASE + "policies/add-client-policy"))
    assert 'name="enabled"' in page and "checked" in page, "new policies default to enabled"
    response = admin_client.post(BASE + "policies/add-client-policy", {"name": "pol", "description": "d", "enabled": "on"})
    policy = ClientPolicy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}policies/{policy.pk}/"
    body = squash(text(admin_client.get(response["Location"])))
    for label in ("New policy created", "Conditions", "Add condition", "No conditions configured", "Client Profiles", "Add client profile", "No client profiles configured"):
        assert label in body, label
    response = admin_client.post(BASE + "policies/add-client-policy", {"name": "pol"})
    assert response.status_code == 400
    body = text(response)
    # Issue 14: one shape for a duplicate name next to the field (was "The name must be unique within the realm").
    assert body.count("A client policy named &#x27;pol&#x27; already exists") == 1
    assert "Could not create policy due to: see the field marked below" in body
    assert "proposed client policy name duplicated" not in body


def test_update_policy(admin_client, master, policy):
    response = admin_client.post(f"{BASE}policies/{policy.pk}/", {"name": "pol2", "description": ""}, follow=True)
    assert "Client policy updated" in text(response)
    policy.refresh_from_db()
    assert (policy.name, policy.enabled) == ("pol2", False)


def test_toggle_switch_htmx_fragment_and_plain_post(admin_client, master, policy):
    body = squash(text(admin_client.get(BASE + "policies/")))
    assert 'data-confirm-title="Disable policy?" data-confirm-message="Users and clients cannot access the policy if it is disabled. Are you sure you want to continue?" data-confirm-yes="Disable"' in body
    response = admin_client.post(f"{BASE}policies/{policy.pk}/toggle", {"enabled": "false"}, **HX)
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="policy-row-{policy.pk}">')
    assert 'aria-checked="false"' in body and "<span>Disabled</span>" in body
    assert "Client policy updated" in body and 'hx-swap-oob="true"' in body
    assert 'data-confirm-title="Disable policy?"' not in body, "switching on does not ask"
    policy.refresh_from_db()
    assert not policy.enabled
    response = admin_client.post(f"{BASE}policies/{policy.pk}/toggle", {"enabled": "true"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.enabled
    assert admin_client.get(f"{BASE}policies/{policy.pk}/toggle").status_code == 405


def test_add_condition_page_and_client_access_type_preselects_confidential(admin_client, master, policy):
    url = f"{BASE}policies/{policy.pk}/create-condition"
    body = text(admin_client.get(url))
    assert '<label class="form-label" for="id_type">Condition Type</label>' in body and "Select a condition" in body
    assert "Conditions, which will be evaluated to determine if client policy should be applied during particular action or not." in body
    assert re.findall(r'<option value="([^"]*)"', body) == ["", "client-access-type", "client-roles", "any-client", "client-updater-context", "client-attributes"]
    fragment = squash(text(admin_client.get(url + "?condition=client-access-type", **HX)))
    assert '<label class="form-check-label" for="id_config-is-negative-logic">Negative Logic</label>' in fragment
    # Issue 14: a group of checkboxes named by its legend (was a native multi-select).
    assert '<legend class="form-label fs-6">Client Access Type</legend>' in fragment
    assert re.findall(r'type="checkbox" id="id_config-type_\d" name="config-type" value="([^"]+)"( checked)?', fragment) == [
        ("confidential", " checked"), ("public", ""), ("bearer-only", "")]
    response = admin_client.post(url, {"condition": "client-access-type", "config-type": ["confidential"]})
    assert response.status_code == 302 and response["Location"] == f"{BASE}policies/{policy.pk}/"
    assert "Condition created successfully." in text(admin_client.get(response["Location"]))
    assert services.policies_representation(master)["policies"][0]["conditions"] == [
        {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
    ]


def test_condition_refusal_and_negative_logic(admin_client, master, policy):
    url = f"{BASE}policies/{policy.pk}/create-condition"
    response = admin_client.post(url, {"condition": "client-access-type", "config-type": ["everyone"]})
    assert response.status_code == 400
    body = text(response)
    assert "Error creating condition: see the field marked below" in body
    assert body.count('id="id_config-type-error"') == 1, "the message is at the field, once"
    assert 'id="id_config-type-error">' in body
    response = admin_client.post(url, {"condition": "client-access-type", "config-is-negative-logic": "true", "config-type": ["public", "bearer-only"]})
    assert response.status_code == 302
    assert services.policies_representation(master)["policies"][0]["conditions"][0]["configuration"] == {
        "is-negative-logic": True, "type": ["public", "bearer-only"],
    }


def test_client_roles_rows_are_added_and_removed_on_the_server(admin_client, master, policy):
    url = f"{BASE}policies/{policy.pk}/create-condition"
    fragment = text(admin_client.get(url + "?condition=client-roles", **HX))
    assert 'aria-label="Client Roles"' in fragment and "Add client roles" in fragment
    response = admin_client.post(url, {"condition": "client-roles", "config-roles": ["rotate-weekly"], "_row": "add:roles"}, **HX)
    body = text(response)
    assert body.lstrip().startswith('<form id="type-form"')
    assert body.count('name="config-roles"') == 2 and 'aria-label="Client Roles 2"' in body
    assert not policy.conditions.exists(), "a row action saves nothing"
    response = admin_client.post(url, {"condition": "client-roles", "config-roles": ["a", "b", "c"], "_row": "remove:roles:1"})
    body = text(response)
    assert 'value="a"' in body and 'value="b"' not in body and 'value="c"' in body
    response = admin_client.post(url, {"condition": "client-roles", "config-roles": ["rotate-weekly", " ", "rotate-daily"]})
    assert response.status_code == 302
    assert services.policies_representation(master)["policies"][0]["conditions"][0]["configuration"] == {
        "is-negative-logic": False, "roles": ["rotate-weekly", "rotate-daily"],
    }


def test_client_attributes_and_any_client(admin_client, master, policy):
    url = f"{BASE}policies/{policy.pk}/create-condition"
    admin_client.post(url, {"condition": "client-attributes", "config-attributes-key": ["rotation", ""], "config-attributes-value": ["weekly", ""]})
    admin_client.post(url, {"condition": "any-client"})
    assert services.policies_representation(master)["policies"][0]["conditions"] == [
        {"condition": "client-attributes", "configuration": {"is-negative-logic": False, "attributes": '[{"key":"rotation","value":"weekly"}]'}},
        {"condition": "any-client", "configuration": {}},
    ]
    body = text(admin_client.get(f"{BASE}policies/{policy.pk}/"))
    assert ">any-client</span>" in body, "a condition without configuration is plain text"


def test_edit_and_delete_condition(admin_client, master, policy):
    services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"is-negative-logic": False, "type": ["confidential"]}, actor=ACTOR)
    url = f"{BASE}policies/{policy.pk}/conditions/{policy.conditions.get().pk}/"  # issue 14: the row id, not the position
    assert "Edit condition" in text(admin_client.get(url))
    response = admin_client.post(url, {"config-type": ["confidential", "public"]})
    assert "Condition updated successfully." in text(admin_client.get(response["Location"]))
    assert policy.conditions.get().configuration == {"is-negative-logic": False, "type": ["confidential", "public"]}
    body = squash(text(admin_client.get(f"{BASE}policies/{policy.pk}/")))
    assert 'data-confirm-title="Delete condition?" data-confirm-message="This action will permanently delete client-access-type. This cannot be undone."' in body
    response = admin_client.post(url + "delete", follow=True)
    assert "The condition has been deleted" in text(response)
    assert not policy.conditions.exists()


def test_add_client_profile_dialog_htmx_and_without_js(admin_client, master, policy, profile):
    services.profile_create(realm=master, name="Other", description="other one", actor=ACTOR)
    url = f"{BASE}policies/{policy.pk}/add-client-profile"
    panel = text(admin_client.get(url, **HX))
    assert panel.lstrip().startswith('<div id="add-profiles-panel"')
    assert f'<label for="add-profile-{profile.pk}">{WEEKLY}</label>' in panel and ">Add</button>" in panel
    page = text(admin_client.get(url))
    assert "<html" in page and 'id="add-profiles-panel"' in page, "reachable without JavaScript"

    response = admin_client.post(url, {"profile": [WEEKLY]}, **HX)
    body = text(response)
    assert body.lstrip().startswith('<section id="client-profiles"')
    assert f'>{WEEKLY}</a>' in body and "New client profile added" in body and 'id="add-profiles-panel"' not in body
    assert services.policies_representation(master)["policies"][0]["profiles"] == [WEEKLY]
    panel = text(admin_client.get(url, **HX))
    assert WEEKLY not in panel and "Other" in panel, "profiles already on the policy are not offered"

    response = admin_client.post(url, {})
    body = text(response)
    assert response.status_code == 400 and "Could not create client profile: see the field marked below" in body
    assert body.count("Select at least one client profile") == 1, "shown in the dialog, not repeated in the alert"
    response = admin_client.post(url, {"profile": ["Other"]})
    assert response.status_code == 302
    assert services.policies_representation(master)["policies"][0]["profiles"] == [WEEKLY, "Other"]


def test_remove_profile_from_policy(admin_client, master, policy, profile):
    services.policy_profiles_add(realm=master, policy=policy, profile_names=[WEEKLY], actor=ACTOR)
    body = squash(text(admin_client.get(f"{BASE}policies/{policy.pk}/")))
    assert f'data-confirm-title="Delete profile?" data-confirm-message="This action will permanently delete {WEEKLY} from the policy Rotation Policy. This cannot be undone."' in body
    response = admin_client.post(f"{BASE}policies/{policy.pk}/profiles/0/remove", **HX)
    assert "Profile successfully removed from the policy." in text(response)
    assert services.policies_representation(master)["policies"][0]["profiles"] == []
    assert admin_client.post(f"{BASE}policies/{policy.pk}/profiles/0/remove").status_code == 404


def test_delete_policy(admin_client, master, policy):
    response = admin_client.post(f"{BASE}policies/{policy.pk}/delete", follow=True)
    assert "Client policy deleted" in text(response)
    assert not ClientPolicy.objects.exists()


# --- table search (docs/console-wording.md §3, §6.1, §6.2, §9.2) ------------------------------------------


def test_profiles_search_filters_by_name_and_shows_no_results_state(viewer_client, master, profile):
    services.profile_create(realm=master, name="Other", description="", actor=ACTOR)
    body = squash(text(viewer_client.get(BASE)))
    assert 'placeholder="Search"' in body and ">Refresh</a>" in body
    assert f">{WEEKLY}</a>" in body and ">Other</a>" in body

    found = squash(text(viewer_client.get(BASE, {"search": "weekly"})))
    assert f">{WEEKLY}</a>" in found and ">Other</a>" not in found
    assert 'value="weekly"' in found and "No search results" not in found

    none = squash(text(viewer_client.get(BASE, {"search": "nothing-like-this"})))
    assert ">Other</a>" not in none and f">{WEEKLY}</a>" not in none
    for label in ("No search results", "Click on the search bar above to search again", f'href="{BASE}">Clear all filters</a>'):
        assert label in none, label
    assert "No profiles" not in none, "the empty state is only for a list with no rows and no search"


def test_policies_search_filters_by_name_htmx_fragment(viewer_client, master, policy):
    services.policy_create(realm=master, name="Another Policy", description="", actor=ACTOR)
    url = BASE + "policies/"
    body = squash(text(viewer_client.get(url)))
    assert 'placeholder="Search client policy"' in body and ">Refresh</a>" in body
    fragment = squash(text(viewer_client.get(url, {"search": "rotation"}, **HX)))
    assert fragment.lstrip().startswith('<div id="subtab-pane">')
    assert ">Rotation Policy</a>" in fragment and ">Another Policy</a>" not in fragment
    none = squash(text(viewer_client.get(url, {"search": "zzz"})))
    assert "No search results" in none and f'href="{url}">Clear all filters</a>' in none
    assert "No client policies" not in none


def test_add_client_profile_panel_search_and_select_all(admin_client, master, policy, profile):
    services.profile_create(realm=master, name="Other", description="", actor=ACTOR)
    url = f"{BASE}policies/{policy.pk}/add-client-profile"
    panel = squash(text(admin_client.get(url, **HX)))
    assert 'placeholder="Search profile"' in panel and 'aria-label="Select all"' in panel and ">Refresh</a>" in panel
    assert WEEKLY in panel and ">Other</label>" in panel

    found = squash(text(admin_client.get(url, {"search": "oth"}, **HX)))
    assert ">Other</label>" in found and WEEKLY not in found

    # Without JS: the policy page with the panel open and filtered.
    page = squash(text(admin_client.get(url, {"search": "nope"})))
    assert 'id="add-profiles-panel"' in page and "No search results" in page
    assert "Click on the search bar above to search again" in page and f'href="{url}"' in page
    assert "No client profiles configured" in page  # the policy's own (empty) list, not the panel


def test_viewer_cannot_open_the_add_client_profile_search(viewer_client, master, policy, profile):
    assert viewer_client.get(f"{BASE}policies/{policy.pk}/add-client-profile", {"search": "w"}).status_code == 403
