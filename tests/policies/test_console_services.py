"""The console's granular services: same rules as the full documents, one admin event each."""

from __future__ import annotations

import json

import pytest

from policies import services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.providers.base import INVALID_EXECUTOR_MESSAGE
from realms.actor import Actor
from realms.models import AdminEvent

from .conftest import WEEKLY

pytestmark = pytest.mark.django_db

ACTOR = Actor(source="console", username="admin")
WEEK = {"expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}


def test_the_procedure_through_the_services_gives_keycloaks_document(master, weekly_profiles, weekly_policies):
    profile = services.profile_create(realm=master, name=WEEKLY, description="Rotates confidential clients' secrets every week", actor=ACTOR)
    services.profile_executor_add(realm=master, profile=profile, executor="secret-rotation", configuration=dict(WEEK), actor=ACTOR)
    policy = services.policy_create(realm=master, name="Client Secret Rotation Policy", description="All confidential clients", actor=ACTOR)
    services.policy_condition_add(
        realm=master, policy=policy, condition="client-access-type", configuration={"is-negative-logic": False, "type": ["confidential"]}, actor=ACTOR
    )
    services.policy_profiles_add(realm=master, policy=policy, profile_names=[WEEKLY], actor=ACTOR)
    assert services.profiles_representation(master) == weekly_profiles
    assert json.dumps(services.policies_representation(master)) == json.dumps(weekly_policies)
    events = list(AdminEvent.objects.order_by("id").values_list("operation_type", "resource_type", "resource_path"))
    assert events == [
        ("CREATE", "CLIENT_PROFILE", f"client-policies/profiles/{WEEKLY}"),
        ("UPDATE", "CLIENT_PROFILE", f"client-policies/profiles/{WEEKLY}"),
        ("CREATE", "CLIENT_POLICY", "client-policies/policies/Client Secret Rotation Policy"),
        ("UPDATE", "CLIENT_POLICY", "client-policies/policies/Client Secret Rotation Policy"),
        ("UPDATE", "CLIENT_POLICY", "client-policies/policies/Client Secret Rotation Policy"),
    ]


def test_profile_names_are_required_and_unique(master):
    services.profile_create(realm=master, name="p", actor=ACTOR)
    for name, message in (("", "client profile without its name not allowed."), ("p", "proposed client profile name duplicated.")):
        with pytest.raises(PolicyValidationError) as caught:
            services.profile_create(realm=master, name=name, actor=ACTOR)
        assert (caught.value.message, caught.value.field) == (message, "name")
    with pytest.raises(PolicyValidationError) as caught:
        services.policy_create(realm=master, name="n" * 256, actor=ACTOR)
    assert caught.value.message == "name is longer than 255 characters"
    other = services.profile_create(realm=master, name="q", actor=ACTOR)
    with pytest.raises(PolicyValidationError):
        services.profile_update(realm=master, profile=other, name="p", description="", actor=ACTOR)
    assert services.profiles_representation(master) == {
        "profiles": [{"name": "p", "description": "", "executors": []}, {"name": "q", "description": "", "executors": []}]
    }


def test_executor_refusal_changes_nothing(master):
    profile = services.profile_create(realm=master, name="p", actor=ACTOR)
    events = AdminEvent.objects.count()
    with pytest.raises(PolicyValidationError) as caught:
        services.profile_executor_add(
            realm=master, profile=profile, executor="secret-rotation",
            configuration={**WEEK, "rotated-expiration-period": "604800"}, actor=ACTOR,
        )
    assert caught.value.message == INVALID_EXECUTOR_MESSAGE
    assert caught.value.field == "rotated-expiration-period"
    assert not profile.executors.exists()
    assert AdminEvent.objects.count() == events
    with pytest.raises(PolicyValidationError):
        services.profile_executor_add(realm=master, profile=profile, executor="pkce-enforcer", configuration={}, actor=ACTOR)


def test_executor_update_and_delete_by_position(master):
    profile = services.profile_create(realm=master, name="p", actor=ACTOR)
    services.profile_executor_add(realm=master, profile=profile, executor="confidential-client", configuration={}, actor=ACTOR)
    services.profile_executor_add(realm=master, profile=profile, executor="secret-rotation", configuration=dict(WEEK), actor=ACTOR)
    services.profile_executor_update(realm=master, profile=profile, index=1, configuration={**WEEK, "expiration-period": "1209600"}, actor=ACTOR)
    with pytest.raises(PolicyValidationError):
        services.profile_executor_update(realm=master, profile=profile, index=1, configuration={"expiration-period": "0"}, actor=ACTOR)
    assert services.profile_executor_delete(realm=master, profile=profile, index=0, actor=ACTOR) == "confidential-client"
    assert services.profiles_representation(master)["profiles"][0]["executors"] == [
        {"executor": "secret-rotation", "configuration": {**WEEK, "expiration-period": "1209600"}}
    ]
    with pytest.raises(PolicyNotFound):
        services.profile_executor_delete(realm=master, profile=profile, index=1, actor=ACTOR)
    with pytest.raises(PolicyNotFound):
        services.profile_executor_update(realm=master, profile=profile, index="x", configuration={}, actor=ACTOR)


def test_rename_carries_policy_references_delete_leaves_them(master):
    profile = services.profile_create(realm=master, name="old", actor=ACTOR)
    policy = services.policy_create(realm=master, name="pol", actor=ACTOR)
    services.policy_profiles_add(realm=master, policy=policy, profile_names=["old"], actor=ACTOR)
    services.profile_update(realm=master, profile=profile, name="new", description="d", actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["profiles"] == ["new"]
    services.profile_delete(realm=master, profile=profile, actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["profiles"] == ["new"]
    assert AdminEvent.objects.filter(operation_type="DELETE", resource_type="CLIENT_PROFILE").exists()


def test_policy_names_and_enabled(master):
    policy = services.policy_create(realm=master, name="pol", actor=ACTOR)
    assert policy.enabled, "new policies default to enabled"
    with pytest.raises(PolicyValidationError) as caught:
        services.policy_create(realm=master, name="pol", actor=ACTOR)
    assert caught.value.message == "proposed client policy name duplicated"
    with pytest.raises(PolicyValidationError) as caught:
        services.policy_create(realm=master, name="", actor=ACTOR)
    assert caught.value.message == "client policy without name not allowed"
    services.policy_set_enabled(realm=master, policy=policy, enabled=False, actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["enabled"] is False
    services.policy_update(realm=master, policy=policy, name="renamed", description="x", enabled=True, actor=ACTOR)
    assert services.policies_representation(master) == {
        "policies": [{"name": "renamed", "description": "x", "enabled": True, "conditions": [], "profiles": []}]
    }


def test_conditions_validated_like_the_document(master):
    policy = services.policy_create(realm=master, name="pol-a", actor=ACTOR)
    with pytest.raises(PolicyValidationError) as caught:
        services.policy_condition_add(realm=master, policy=policy, condition="client-scopes", configuration={}, actor=ACTOR)
    assert caught.value.message == "Policy pol-a contains invalid condition client-scopes"
    with pytest.raises(PolicyValidationError) as caught:
        services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": ["x"]}, actor=ACTOR)
    assert caught.value.message == "Invalid client-access-type configuration - type has unknown value x"
    services.policy_condition_add(realm=master, policy=policy, condition="client-roles", configuration={"is-negative-logic": False, "roles": ["a"]}, actor=ACTOR)
    services.policy_condition_update(realm=master, policy=policy, index=0, configuration={"is-negative-logic": True, "roles": ["a", "b"]}, actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["conditions"] == [
        {"condition": "client-roles", "configuration": {"is-negative-logic": True, "roles": ["a", "b"]}}
    ]
    assert services.policy_condition_delete(realm=master, policy=policy, index=0, actor=ACTOR) == "client-roles"
    assert services.policies_representation(master)["policies"][0]["conditions"] == []


def test_policy_profiles_add_and_remove(master):
    services.profile_create(realm=master, name="a", actor=ACTOR)
    services.profile_create(realm=master, name="b", actor=ACTOR)
    policy = services.policy_create(realm=master, name="pol", actor=ACTOR)
    services.policy_profiles_add(realm=master, policy=policy, profile_names=["b", "a"], actor=ACTOR)
    for names, message in (
        (["a"], "Policy pol contains duplicated profiles"),
        (["zzz"], "Policy pol contains invalid profile zzz"),
        ([], "Select at least one client profile"),
    ):
        with pytest.raises(PolicyValidationError) as caught:
            services.policy_profiles_add(realm=master, policy=policy, profile_names=names, actor=ACTOR)
        assert caught.value.message == message
    services.policy_profiles_remove(realm=master, policy=policy, profile_name="b", actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["profiles"] == ["a"]
    with pytest.raises(PolicyNotFound):
        services.policy_profiles_remove(realm=master, policy=policy, profile_name="b", actor=ACTOR)


def test_a_dangling_reference_does_not_block_adding_another_profile(master):
    services.profile_create(realm=master, name="a", actor=ACTOR)
    gone = services.profile_create(realm=master, name="gone", actor=ACTOR)
    policy = services.policy_create(realm=master, name="pol", actor=ACTOR)
    services.policy_profiles_add(realm=master, policy=policy, profile_names=["gone"], actor=ACTOR)
    services.profile_delete(realm=master, profile=gone, actor=ACTOR)
    services.policy_profiles_add(realm=master, policy=policy, profile_names=["a"], actor=ACTOR)
    assert services.policies_representation(master)["policies"][0]["profiles"] == ["gone", "a"]


def test_objects_of_another_realm_are_not_found(master):
    from realms.services import realm_create

    other = realm_create(name="other")
    profile = services.profile_create(realm=other, name="p", actor=ACTOR)
    policy = services.policy_create(realm=other, name="q", actor=ACTOR)
    with pytest.raises(PolicyNotFound):
        services.profile_delete(realm=master, profile=profile, actor=ACTOR)
    with pytest.raises(PolicyNotFound):
        services.policy_set_enabled(realm=master, policy=policy, enabled=False, actor=ACTOR)
