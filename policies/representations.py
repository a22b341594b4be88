"""Keycloak's client-profiles / client-policies JSON, to and from the ORM.

Shapes (docs/keycloak.md §3.5), null fields omitted::

    {"profiles": [{"name", "description"?, "executors": [{"executor", "configuration"?}]}]}
    {"policies": [{"name", "description"?, "enabled", "conditions": [{"condition", "configuration"?}],
                   "profiles": ["<profile name>", ...]}]}

Configurations are stored verbatim: what goes in comes out identically. A list that was absent
stays absent on the way out (``*_listed`` flags), ``enabled`` missing is stored as ``false``.
This module only checks the *shape* (what Keycloak's JSON binding would refuse); the
client-policy rules live in ``policies.services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from policies.errors import PolicyValidationError, representation_error, unrecognized_field, wrong_type
from policies.models import (
    ClientPolicy,
    ClientPolicyCondition,
    ClientPolicyProfile,
    ClientProfile,
    ClientProfileExecutor,
)

PROFILES_REP = "ClientProfilesRepresentation"
PROFILE_REP = "ClientProfileRepresentation"
EXECUTOR_REP = "ClientPolicyExecutorRepresentation"
POLICIES_REP = "ClientPoliciesRepresentation"
POLICY_REP = "ClientPolicyRepresentation"
CONDITION_REP = "ClientPolicyConditionRepresentation"

NULL_PROFILES = "Passing null clientProfiles not allowed"
NULL_POLICIES = "Passing null clientPolicies not allowed"


# --- parsed documents -----------------------------------------------------------------------------


@dataclass
class ExecutorSpec:
    executor: Any
    configuration: Any = None  # verbatim; None when absent or null


@dataclass
class ProfileSpec:
    name: str | None
    description: str | None = None
    executors: list[ExecutorSpec] | None = None  # None when the key was absent

    @property
    def executor_list(self) -> list[ExecutorSpec]:
        return self.executors or []


@dataclass
class ConditionSpec:
    condition: Any
    configuration: Any = None


@dataclass
class PolicySpec:
    name: str | None
    description: str | None = None
    enabled: bool = False
    conditions: list[ConditionSpec] | None = None
    profiles: list[str] | None = None

    @property
    def condition_list(self) -> list[ConditionSpec]:
        return self.conditions or []

    @property
    def profile_list(self) -> list[str]:
        return self.profiles or []


@dataclass
class ProfilesDocument:
    profiles: list[ProfileSpec] = field(default_factory=list)
    global_profiles: list | None = None


@dataclass
class PoliciesDocument:
    policies: list[PolicySpec] = field(default_factory=list)
    global_policies: list | None = None


# --- shape checks ---------------------------------------------------------------------------------


def _object(value: Any, representation: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise wrong_type(representation, key, representation)
    return value


def _only(body: dict, known: tuple[str, ...], representation: str) -> None:
    for key in body:
        if key not in known:
            raise unrecognized_field(representation, key)


def _list(body: dict, key: str, representation: str) -> list | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise wrong_type(representation, key, "java.util.List")
    return value


NAME_MAX_LENGTH = 255  # the name columns; Keycloak has no limit, a longer name is refused, never truncated


def _string(body: dict, key: str, representation: str, *, max_length: int | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise wrong_type(representation, key, "java.lang.String")
    if "\x00" in value:
        raise representation_error(representation, f'Field "{key}" contains a NUL character.')
    if max_length is not None and len(value) > max_length:
        raise PolicyValidationError(f"{key} is longer than {max_length} characters", key)
    return value


def _boolean(body: dict, key: str, representation: str) -> bool | None:
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # Jackson's coercion
        return value.lower() == "true"
    raise wrong_type(representation, key, "java.lang.Boolean")


def parse_profiles(representation: Any) -> ProfilesDocument:
    """``{"profiles": [...], "globalProfiles": [...]?}`` → specs. ``{}`` means no realm profiles."""
    if representation is None:
        raise PolicyValidationError(NULL_PROFILES)
    body = _object(representation, PROFILES_REP, "profiles")
    _only(body, ("profiles", "globalProfiles"), PROFILES_REP)
    document = ProfilesDocument(global_profiles=_list(body, "globalProfiles", PROFILES_REP))
    for entry in _list(body, "profiles", PROFILES_REP) or []:
        entry = _object(entry, PROFILE_REP, "profiles")
        _only(entry, ("name", "description", "executors"), PROFILE_REP)
        executors = _list(entry, "executors", PROFILE_REP)
        spec = ProfileSpec(
            name=_string(entry, "name", PROFILE_REP, max_length=NAME_MAX_LENGTH),
            description=_string(entry, "description", PROFILE_REP),
            executors=None if executors is None else [],
        )
        for item in executors or []:
            item = _object(item, EXECUTOR_REP, "executors")
            _only(item, ("executor", "configuration"), EXECUTOR_REP)
            spec.executors.append(ExecutorSpec(executor=item.get("executor"), configuration=item.get("configuration")))
        document.profiles.append(spec)
    return document


def parse_policies(representation: Any) -> PoliciesDocument:
    """``{"policies": [...], "globalPolicies": [...]?}`` → specs. ``{}`` means no realm policies."""
    if representation is None:
        raise PolicyValidationError(NULL_POLICIES)
    body = _object(representation, POLICIES_REP, "policies")
    _only(body, ("policies", "globalPolicies"), POLICIES_REP)
    document = PoliciesDocument(global_policies=_list(body, "globalPolicies", POLICIES_REP))
    for entry in _list(body, "policies", POLICIES_REP) or []:
        entry = _object(entry, POLICY_REP, "policies")
        _only(entry, ("name", "description", "enabled", "conditions", "profiles"), POLICY_REP)
        conditions = _list(entry, "conditions", POLICY_REP)
        profiles = _list(entry, "profiles", POLICY_REP)
        if profiles is not None and not all(isinstance(p, str) for p in profiles):
            raise wrong_type(POLICY_REP, "profiles", "java.lang.String")
        spec = PolicySpec(
            name=_string(entry, "name", POLICY_REP, max_length=NAME_MAX_LENGTH),
            description=_string(entry, "description", POLICY_REP),
            enabled=bool(_boolean(entry, "enabled", POLICY_REP)),
            conditions=None if conditions is None else [],
            profiles=None if profiles is None else list(profiles),
        )
        for item in conditions or []:
            item = _object(item, CONDITION_REP, "conditions")
            _only(item, ("condition", "configuration"), CONDITION_REP)
            spec.conditions.append(ConditionSpec(condition=item.get("condition"), configuration=item.get("configuration")))
        document.policies.append(spec)
    return document


# --- ORM → JSON -----------------------------------------------------------------------------------


def executor_to_representation(executor: ClientProfileExecutor) -> dict:
    rep: dict[str, Any] = {"executor": executor.provider_id}
    if executor.configuration is not None:
        rep["configuration"] = executor.configuration
    return rep


def profile_to_representation(profile: ClientProfile) -> dict:
    rep: dict[str, Any] = {"name": profile.name}
    if profile.description is not None:
        rep["description"] = profile.description
    if profile.executors_listed:
        rep["executors"] = [executor_to_representation(e) for e in profile.executors.all()]
    return rep


def condition_to_representation(condition: ClientPolicyCondition) -> dict:
    rep: dict[str, Any] = {"condition": condition.provider_id}
    if condition.configuration is not None:
        rep["configuration"] = condition.configuration
    return rep


def policy_to_representation(policy: ClientPolicy) -> dict:
    rep: dict[str, Any] = {"name": policy.name}
    if policy.description is not None:
        rep["description"] = policy.description
    rep["enabled"] = bool(policy.enabled)
    if policy.conditions_listed:
        rep["conditions"] = [condition_to_representation(c) for c in policy.conditions.all()]
    if policy.profiles_listed:
        rep["profiles"] = [ref.profile_name for ref in policy.profile_refs.all()]
    return rep


def profiles_queryset(realm):
    return ClientProfile.objects.filter(realm=realm).prefetch_related(
        Prefetch("executors", queryset=ClientProfileExecutor.objects.order_by("position", "id"))
    )


def policies_queryset(realm):
    return ClientPolicy.objects.filter(realm=realm).prefetch_related(
        Prefetch("conditions", queryset=ClientPolicyCondition.objects.order_by("position", "id")),
        Prefetch("profile_refs", queryset=ClientPolicyProfile.objects.order_by("position", "id")),
    )


def profiles_representation(realm, include_global: bool = False) -> dict:
    """``GET .../client-policies/profiles``: the realm's profiles (no global ones ship, docs/differences.md (g))."""
    rep: dict[str, Any] = {"profiles": [profile_to_representation(p) for p in profiles_queryset(realm)]}
    if include_global:
        rep["globalProfiles"] = []
    return rep


def policies_representation(realm, include_global: bool = False) -> dict:
    """``GET .../client-policies/policies``: the realm's policies (no global ones ship, docs/differences.md (g))."""
    rep: dict[str, Any] = {"policies": [policy_to_representation(p) for p in policies_queryset(realm)]}
    if include_global:
        rep["globalPolicies"] = []
    return rep
