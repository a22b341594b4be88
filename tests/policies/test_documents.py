"""profiles_replace / policies_replace: Keycloak's PUT semantics, every refusal, exact round trip."""

from __future__ import annotations

import copy
import json

import pytest

from policies.errors import PolicyValidationError
from policies.models import ClientPolicy, ClientProfile, ClientProfileExecutor
from policies.providers.base import INVALID_EXECUTOR_MESSAGE
from policies.services import (
    client_policies_import,
    policies_replace,
    policies_representation,
    profiles_replace,
    profiles_representation,
)
from realms.actor import Actor
from realms.models import AdminEvent
from realms.services import realm_create

from .conftest import WEEKLY

pytestmark = pytest.mark.django_db

ACTOR = Actor(source="console", username="admin")


def _refuse_profiles(realm, representation, message, body=None):
    before = profiles_representation(realm)
    events = AdminEvent.objects.count()
    with pytest.raises(PolicyValidationError) as caught:
        profiles_replace(realm=realm, representation=representation, actor=ACTOR)
    assert caught.value.message == message
    assert caught.value.body == (body if body is not None else {"errorMessage": message})
    assert profiles_representation(realm) == before, "a refused PUT stores nothing"
    assert AdminEvent.objects.count() == events
    return caught.value


def _refuse_policies(realm, representation, message):
    before = policies_representation(realm)
    with pytest.raises(PolicyValidationError) as caught:
        policies_replace(realm=realm, representation=representation, actor=ACTOR)
    assert caught.value.message == message
    assert caught.value.body == {"errorMessage": message}
    assert policies_representation(realm) == before
    return caught.value


# --- profiles -------------------------------------------------------------------------------------


def test_fresh_realm_has_no_profiles_and_no_policies(master):
    assert profiles_representation(master) == {"profiles": []}
    assert profiles_representation(master, include_global=True) == {"profiles": [], "globalProfiles": []}
    assert policies_representation(master) == {"policies": []}
    assert policies_representation(master, include_global=True) == {"policies": [], "globalPolicies": []}


def test_profiles_round_trip_exactly(master, weekly_profiles):
    stored = profiles_replace(realm=master, representation=copy.deepcopy(weekly_profiles), actor=ACTOR)
    assert stored == weekly_profiles
    assert profiles_representation(master) == weekly_profiles
    # Byte for byte, key order included (configurations are stored verbatim).
    assert json.dumps(profiles_representation(master)) == json.dumps(weekly_profiles)


def test_round_trip_keeps_absent_lists_null_fields_and_json_types(master):
    document = {
        "profiles": [
            {"name": "bare"},
            {"name": "empty", "description": "", "executors": []},
            {"name": "numbers", "executors": [{"executor": "secret-rotation", "configuration": {"remaining-rotation-period": 86400, "expiration-period": 604800.0, "extra": {"kept": [1, "two", None]}}}]},
            {"name": "no-config", "description": None, "executors": [{"executor": "confidential-client"}]},
            {"name": "defaults", "executors": [{"executor": "secret-rotation", "configuration": {}}]},
        ]
    }
    stored = profiles_replace(realm=master, representation=copy.deepcopy(document), actor=ACTOR)
    expected = copy.deepcopy(document)
    del expected["profiles"][3]["description"]  # null fields are omitted, as Keycloak does
    assert stored == expected
    assert json.dumps(profiles_representation(master)) == json.dumps(expected)
    policies = {
        "policies": [
            {"name": "minimal"},
            {"name": "full", "description": "d", "enabled": True, "conditions": [{"condition": "any-client"}], "profiles": []},
        ]
    }
    assert policies_replace(realm=master, representation=copy.deepcopy(policies), actor=ACTOR) == {
        "policies": [
            {"name": "minimal", "enabled": False},  # enabled missing is stored as false
            policies["policies"][1],
        ]
    }


def test_empty_object_resets_and_put_replaces_the_whole_list(master, weekly_profiles):
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    profiles_replace(realm=master, representation={"profiles": [{"name": "other", "executors": []}]}, actor=ACTOR)
    assert [p.name for p in ClientProfile.objects.filter(realm=master)] == ["other"]
    profiles_replace(realm=master, representation={}, actor=ACTOR)
    assert profiles_representation(master) == {"profiles": []}
    assert not ClientProfileExecutor.objects.exists()


def test_replace_keeps_the_row_of_a_profile_that_stays_and_follows_the_new_order(master):
    profiles_replace(realm=master, representation={"profiles": [{"name": "a"}, {"name": "b"}]}, actor=ACTOR)
    pk_b = ClientProfile.objects.get(realm=master, name="b").pk
    profiles_replace(realm=master, representation={"profiles": [{"name": "b", "description": "now first"}, {"name": "c"}]}, actor=ACTOR)
    assert [p["name"] for p in profiles_representation(master)["profiles"]] == ["b", "c"]
    assert ClientProfile.objects.get(realm=master, name="b").pk == pk_b


def test_profiles_are_per_realm(master, weekly_profiles):
    other = realm_create(name="other")
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    profiles_replace(realm=other, representation={"profiles": [{"name": WEEKLY, "executors": []}]}, actor=ACTOR)
    assert profiles_representation(master) == weekly_profiles
    assert profiles_representation(other)["profiles"][0]["executors"] == []


def test_profiles_put_records_an_admin_event(master, weekly_profiles):
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    event = AdminEvent.objects.get()
    assert (event.operation_type, event.resource_type, event.resource_path) == ("UPDATE", "CLIENT_PROFILE", "client-policies/profiles")
    assert json.loads(event.representation) == weekly_profiles
    assert event.auth_username == "admin"


def test_profiles_refusal_messages_in_keycloaks_order(master, weekly_profiles):
    _refuse_profiles(master, None, "Passing null clientProfiles not allowed")
    _refuse_profiles(master, {"profiles": [{"description": "x"}]}, "client profile without its name not allowed.")
    _refuse_profiles(master, {"profiles": [{"name": ""}]}, "client profile without its name not allowed.")
    _refuse_profiles(master, {"profiles": [{"name": "a"}, {"name": "a"}]}, "proposed client profile name duplicated.")
    _refuse_profiles(master, {"profiles": [], "globalProfiles": [{"name": "fapi-1-baseline"}]}, "Global profiles cannot be updated")
    _refuse_profiles(master, {"profiles": [{"name": "a", "executors": [{"executor": "pkce-enforcer"}]}]}, INVALID_EXECUTOR_MESSAGE)
    _refuse_profiles(master, {"profiles": [{"name": "a", "executors": [{"configuration": {}}]}]}, INVALID_EXECUTOR_MESSAGE)
    # The name checks run before the executor checks, whatever the entry order.
    _refuse_profiles(
        master,
        {"profiles": [{"name": "a", "executors": [{"executor": "nope"}]}, {"name": "a"}]},
        "proposed client profile name duplicated.",
    )


def test_profiles_refuse_rotated_not_less_than_secret_expiration_and_store_nothing(master, weekly_profiles):
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    bad = copy.deepcopy(weekly_profiles)
    bad["profiles"].append({"name": "new", "executors": [{"executor": "secret-rotation", "configuration": {"expiration-period": "60", "rotated-expiration-period": "60", "remaining-rotation-period": "30"}}]})
    error = _refuse_profiles(master, bad, INVALID_EXECUTOR_MESSAGE)
    assert error.field == "rotated-expiration-period"
    assert error.detail == "Rotated Secret Expiration must be less than Secret Expiration"


def test_empty_global_lists_are_accepted(master, weekly_profiles, weekly_policies):
    profiles_replace(realm=master, representation={**weekly_profiles, "globalProfiles": []}, actor=ACTOR)
    policies_replace(realm=master, representation={**weekly_policies, "globalPolicies": []}, actor=ACTOR)
    assert policies_representation(master) == weekly_policies


def test_shape_errors_use_keycloaks_rest_layer_body(master):
    error = _refuse_profiles(
        master,
        {"profiles": [], "x": 1},
        'Invalid json representation for ClientProfilesRepresentation. Unrecognized field "x" (class ClientProfilesRepresentation), not marked as ignorable.',
        body={"error": 'Invalid json representation for ClientProfilesRepresentation. Unrecognized field "x" (class ClientProfilesRepresentation), not marked as ignorable.'},
    )
    assert "Unrecognized field" in error.body["error"]
    for bad in ({"profiles": "x"}, {"profiles": ["x"]}, {"profiles": [{"name": 5}]}, {"profiles": [{"name": "a", "executors": {}}]}, {"profiles": [{"name": "a", "global": False}]}, [], "profiles"):
        with pytest.raises(PolicyValidationError) as caught:
            profiles_replace(realm=master, representation=bad, actor=ACTOR)
        assert set(caught.value.body) == {"error"}, bad
        assert caught.value.body["error"].startswith("Invalid json representation for ")


# --- policies -------------------------------------------------------------------------------------


def test_policies_round_trip_exactly(master, weekly_profiles, weekly_policies):
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    stored = policies_replace(realm=master, representation=copy.deepcopy(weekly_policies), actor=ACTOR)
    assert json.dumps(stored) == json.dumps(weekly_policies)
    assert json.dumps(policies_representation(master)) == json.dumps(weekly_policies)
    event = AdminEvent.objects.filter(resource_type="CLIENT_POLICY").get()
    assert (event.operation_type, event.resource_path) == ("UPDATE", "client-policies/policies")


def test_policies_refusal_messages(master, weekly_profiles):
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    _refuse_policies(master, None, "Passing null clientPolicies not allowed")
    _refuse_policies(master, {"policies": [], "globalPolicies": [{"name": "g"}]}, "Global policies cannot be updated")
    _refuse_policies(master, {"policies": [{"name": "p"}, {"name": "p"}]}, "proposed client policy name duplicated")
    _refuse_policies(master, {"policies": [{"description": "nameless"}]}, "client policy without name not allowed")
    _refuse_policies(master, {"policies": [{"name": ""}]}, "client policy without name not allowed")
    _refuse_policies(master, {"policies": [{"name": "pol-a", "conditions": [{"condition": "grant-type"}]}]}, "Policy pol-a contains invalid condition grant-type")
    _refuse_policies(master, {"policies": [{"name": "pol-a", "conditions": [{"configuration": {}}]}]}, "Policy pol-a contains invalid condition null")
    _refuse_policies(
        master,
        {"policies": [{"name": "pol-a", "conditions": [{"condition": "client-access-type", "configuration": {"type": "nobody"}}]}]},
        "Invalid client-access-type configuration - type has unknown value nobody",
    )
    _refuse_policies(master, {"policies": [{"name": "pol-a", "profiles": [WEEKLY, WEEKLY]}]}, "Policy pol-a contains duplicated profiles")
    _refuse_policies(master, {"policies": [{"name": "pol-b", "profiles": ["nope"]}]}, "Policy pol-b contains invalid profile nope")
    assert not ClientPolicy.objects.exists()


def test_policies_must_reference_stored_profiles_so_profiles_go_first(master, weekly_profiles, weekly_policies):
    _refuse_policies(master, weekly_policies, f"Policy Client Secret Rotation Policy contains invalid profile {WEEKLY}")
    profiles_replace(realm=master, representation=weekly_profiles, actor=ACTOR)
    policies_replace(realm=master, representation=weekly_policies, actor=ACTOR)
    # Removing the profile later is allowed; the policy keeps the name (skipped at run time).
    profiles_replace(realm=master, representation={}, actor=ACTOR)
    assert policies_representation(master) == weekly_policies


def test_a_policy_without_conditions_is_accepted(master):
    policies_replace(realm=master, representation={"policies": [{"name": "p", "enabled": True, "conditions": [], "profiles": []}]}, actor=ACTOR)
    assert ClientPolicy.objects.get().enabled


def test_enabled_accepts_jackson_boolean_strings(master):
    stored = policies_replace(realm=master, representation={"policies": [{"name": "p", "enabled": "true"}]}, actor=ACTOR)
    assert stored["policies"][0]["enabled"] is True
    with pytest.raises(PolicyValidationError):
        policies_replace(realm=master, representation={"policies": [{"name": "p", "enabled": "yes"}]}, actor=ACTOR)
    with pytest.raises(PolicyValidationError) as caught:
        policies_replace(realm=master, representation={"policies": [{"name": "p", "profiles": [1]}]}, actor=ACTOR)
    assert "error" in caught.value.body


# --- import (realm export keys) --------------------------------------------------------------------


def test_import_is_all_or_nothing(master, weekly_profiles, weekly_policies):
    bad_policies = copy.deepcopy(weekly_policies)
    bad_policies["policies"][0]["profiles"] = ["missing"]
    with pytest.raises(PolicyValidationError):
        client_policies_import(realm=master, client_profiles=weekly_profiles, client_policies=bad_policies, actor=ACTOR)
    assert profiles_representation(master) == {"profiles": []}, "the profiles half was rolled back too"
    client_policies_import(realm=master, client_profiles=weekly_profiles, client_policies=weekly_policies, actor=ACTOR)
    assert profiles_representation(master) == weekly_profiles
    assert policies_representation(master) == weekly_policies


def test_names_too_long_for_the_columns_and_nul_characters_are_refused(master):
    long_name = "n" * 256
    _refuse_profiles(master, {"profiles": [{"name": long_name}]}, "name is longer than 255 characters")
    _refuse_policies(master, {"policies": [{"name": long_name}]}, "name is longer than 255 characters")
    with pytest.raises(PolicyValidationError) as caught:
        profiles_replace(realm=master, representation={"profiles": [{"name": "a\x00b"}]}, actor=ACTOR)
    assert "NUL" in caught.value.body["error"]
    # NUL inside a configuration is fine: it is stored as JSON text.
    stored = profiles_replace(realm=master, representation={"profiles": [{"name": "a", "executors": [{"executor": "confidential-client", "configuration": {"note": "x\x00y"}}]}]}, actor=ACTOR)
    assert profiles_representation(master) == stored
    assert stored["profiles"][0]["executors"][0]["configuration"] == {"note": "x\x00y"}
