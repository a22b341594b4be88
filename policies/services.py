"""Client profiles and client policies: every change is one transaction that locks the realm first.

Two kinds of writers share one set of rules (docs/keycloak.md §3.5, docs/differences.md (b, c, g)):

* full-document replacement, Keycloak's ``PUT .../client-policies/profiles|policies``, used by the
  Admin REST API, the console's JSON editor, realm import and ``manage.py import_client_policies``:
  ``profiles_replace`` / ``policies_replace``;
* the console's granular edits (``profile_create``, ``profile_executor_add``, ``policy_condition_add``,
  ``policy_profiles_add``, ...), which apply the same checks to the entries they touch.

A refusal raises ``PolicyValidationError`` with Keycloak's message and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from policies.engine import policies_cache_invalidate
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.models import (
    ClientPolicy,
    ClientPolicyCondition,
    ClientPolicyProfile,
    ClientProfile,
    ClientProfileExecutor,
)
from policies.providers import CONDITIONS, EXECUTORS, ConfigError
from policies.providers.base import INVALID_EXECUTOR_MESSAGE
from policies.representations import (  # noqa: F401  (re-exported: the API and realm import use these)
    NAME_MAX_LENGTH,
    PoliciesDocument,
    PolicySpec,
    ProfilesDocument,
    ProfileSpec,
    parse_policies,
    parse_profiles,
    policies_representation,
    policy_to_representation,
    profile_to_representation,
    profiles_representation,
)
from realms.actor import Actor
from realms.events import admin_event_record
from realms.models import Realm

__all__ = [
    "PolicyNotFound",
    "PolicyValidationError",
    "policies_replace",
    "policies_representation",
    "profiles_replace",
    "profiles_representation",
]

# Keycloak's messages (docs/keycloak.md §3.5), in the order the checks run.
PROFILE_WITHOUT_NAME = "client profile without its name not allowed."
PROFILE_NAME_DUPLICATED = "proposed client profile name duplicated."
GLOBAL_PROFILES_READ_ONLY = "Global profiles cannot be updated"
GLOBAL_POLICIES_READ_ONLY = "Global policies cannot be updated"
POLICY_NAME_DUPLICATED = "proposed client policy name duplicated"
POLICY_WITHOUT_NAME = "client policy without name not allowed"

PROFILES_PATH = "client-policies/profiles"
POLICIES_PATH = "client-policies/policies"


# --- the rules ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "null" if value is None else str(value)


def _config_detail(provider, exc: ConfigError) -> str:
    """The provider's sentence, naming the console label instead of the config key."""
    declared = provider.field(exc.field) if exc.field else None
    if declared and exc.message.startswith(exc.field):
        return declared.label + exc.message[len(exc.field):]
    return exc.message


def executor_validate(executor: Any, configuration: Any) -> dict:
    """An executor entry: a registered provider id and a configuration its type accepts.

    Returns the effective configuration (defaults filled in, docs/differences.md (c)). Keycloak has one
    message for every failure; ``detail`` says what exactly is wrong, for the console.
    """
    provider = EXECUTORS.get(executor) if isinstance(executor, str) else None
    if provider is None:
        raise PolicyValidationError(INVALID_EXECUTOR_MESSAGE, "executor", detail=f"Unknown executor type {_text(executor)}")
    try:
        return provider.validate(configuration)
    except ConfigError as exc:
        detail = _config_detail(provider, exc)
        message = f"{INVALID_EXECUTOR_MESSAGE} {detail}" if exc.out_of_range else INVALID_EXECUTOR_MESSAGE
        raise PolicyValidationError(message, exc.field, detail=detail) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise PolicyValidationError(INVALID_EXECUTOR_MESSAGE, None, detail="Invalid configuration") from exc


def condition_validate(policy_name: Any, condition: Any, configuration: Any) -> dict:
    provider = CONDITIONS.get(condition) if isinstance(condition, str) else None
    if provider is None:
        raise PolicyValidationError(f"Policy {_text(policy_name)} contains invalid condition {_text(condition)}", "condition")
    try:
        return provider.validate(configuration)
    except ConfigError as exc:
        raise PolicyValidationError(
            f"Invalid {condition} configuration - {exc.message}", exc.field, detail=_config_detail(provider, exc)
        ) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise PolicyValidationError(f"Invalid {condition} configuration - {exc}", None) from exc


def _profile_refs_validate(policy_name: str, refs: list[str], available: set[str]) -> None:
    if len(set(refs)) != len(refs):
        raise PolicyValidationError(f"Policy {policy_name} contains duplicated profiles", "profiles")
    for ref in refs:
        if ref not in available:
            raise PolicyValidationError(f"Policy {policy_name} contains invalid profile {ref}", "profiles")


def profiles_validate(document: ProfilesDocument) -> None:
    """PUT profiles checks, in Keycloak's order."""
    for spec in document.profiles:
        if not spec.name:
            raise PolicyValidationError(PROFILE_WITHOUT_NAME, "name")
    seen: set[str] = set()
    for spec in document.profiles:
        if spec.name in seen:
            raise PolicyValidationError(PROFILE_NAME_DUPLICATED, "name")
        seen.add(spec.name)
    if document.global_profiles:
        # No global profiles ship (docs/differences.md (g)): only an empty list is "identical to the built-ins".
        raise PolicyValidationError(GLOBAL_PROFILES_READ_ONLY)
    for spec in document.profiles:
        for entry in spec.executor_list:
            executor_validate(entry.executor, entry.configuration)


def policies_validate(document: PoliciesDocument, available_profiles: set[str]) -> None:
    """PUT policies checks, in Keycloak's order. ``available_profiles``: the realm's stored profiles."""
    if document.global_policies:
        raise PolicyValidationError(GLOBAL_POLICIES_READ_ONLY)
    seen: set[str] = set()
    for spec in document.policies:
        if spec.name and spec.name in seen:
            raise PolicyValidationError(POLICY_NAME_DUPLICATED, "name")
        seen.add(spec.name)
    for spec in document.policies:
        # Keycloak refuses a null name only; an empty name cannot be shown or linked, so it is refused too.
        if not spec.name:
            raise PolicyValidationError(POLICY_WITHOUT_NAME, "name")
    for spec in document.policies:
        for entry in spec.condition_list:
            condition_validate(spec.name, entry.condition, entry.configuration)
        _profile_refs_validate(spec.name, spec.profile_list, available_profiles)


# --- helpers --------------------------------------------------------------------------------------


def _lock_realm(realm: Realm) -> Realm:
    """The aggregate root of every client-profile and client-policy write."""
    return Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)


def realm_lock(*, realm: Realm) -> Realm | None:
    """Take, in the caller's transaction, the lock every write of this module takes: a page that
    finds a child's position under it passes a position no other write can shift first. None when
    the realm has been deleted meanwhile."""
    return Realm.objects.select_for_update(of=("self",)).filter(pk=realm.pk).first()


def _invalidate_engine_cache() -> None:
    # bulk_create and update() send no model signals: tell the engine its request cache is stale.
    policies_cache_invalidate()


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _profile(realm: Realm, profile: Any) -> ClientProfile:
    try:
        return ClientProfile.objects.get(realm=realm, pk=_pk(profile))
    except (ClientProfile.DoesNotExist, ValueError, TypeError) as exc:
        raise PolicyNotFound("Client profile not found") from exc


def _policy(realm: Realm, policy: Any) -> ClientPolicy:
    try:
        return ClientPolicy.objects.get(realm=realm, pk=_pk(policy))
    except (ClientPolicy.DoesNotExist, ValueError, TypeError) as exc:
        raise PolicyNotFound("Client policy not found") from exc


def _renumber(rows: Iterable) -> None:
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def _event(realm: Realm, operation: str, resource_type: str, path: str, actor: Actor | None, representation: Any) -> None:
    admin_event_record(
        realm=realm,
        operation=operation,
        resource_type=resource_type,
        resource_path=path,
        actor=actor,
        representation=representation,
    )


def _profile_event(realm, operation, profile: ClientProfile, actor, representation=None) -> None:
    rep = representation if representation is not None else profile_to_representation(profile)
    _event(realm, operation, "CLIENT_PROFILE", f"{PROFILES_PATH}/{profile.name}", actor, rep)


def _policy_event(realm, operation, policy: ClientPolicy, actor, representation=None) -> None:
    rep = representation if representation is not None else policy_to_representation(policy)
    _event(realm, operation, "CLIENT_POLICY", f"{POLICIES_PATH}/{policy.name}", actor, rep)


def _stored_profile_names(realm: Realm) -> set[str]:
    return set(ClientProfile.objects.filter(realm=realm).values_list("name", flat=True))


# --- full documents (Keycloak's PUT) --------------------------------------------------------------


def _profiles_write(realm: Realm, specs: list[ProfileSpec]) -> None:
    wanted = {spec.name for spec in specs}
    ClientProfile.objects.filter(realm=realm).exclude(name__in=wanted).delete()
    existing = {p.name: p for p in ClientProfile.objects.filter(realm=realm)}
    for position, spec in enumerate(specs):
        profile = existing.get(spec.name) or ClientProfile(realm=realm, name=spec.name)
        profile.description = spec.description
        profile.position = position
        profile.executors_listed = spec.executors is not None
        profile.save()
        profile.executors.all().delete()
        ClientProfileExecutor.objects.bulk_create(
            ClientProfileExecutor(profile=profile, position=i, provider_id=e.executor, configuration=e.configuration)
            for i, e in enumerate(spec.executor_list)
        )


def _policies_write(realm: Realm, specs: list[PolicySpec]) -> None:
    wanted = {spec.name for spec in specs}
    ClientPolicy.objects.filter(realm=realm).exclude(name__in=wanted).delete()
    existing = {p.name: p for p in ClientPolicy.objects.filter(realm=realm)}
    for position, spec in enumerate(specs):
        policy = existing.get(spec.name) or ClientPolicy(realm=realm, name=spec.name)
        policy.description = spec.description
        policy.enabled = spec.enabled
        policy.position = position
        policy.conditions_listed = spec.conditions is not None
        policy.profiles_listed = spec.profiles is not None
        policy.save()
        policy.conditions.all().delete()
        policy.profile_refs.all().delete()
        ClientPolicyCondition.objects.bulk_create(
            ClientPolicyCondition(policy=policy, position=i, provider_id=c.condition, configuration=c.configuration)
            for i, c in enumerate(spec.condition_list)
        )
        ClientPolicyProfile.objects.bulk_create(
            ClientPolicyProfile(policy=policy, position=i, profile_name=name) for i, name in enumerate(spec.profile_list)
        )


def profiles_replace(*, realm: Realm, representation: Any, actor: Actor | None = None) -> dict:
    """Keycloak's ``PUT .../client-policies/profiles``: the document replaces the realm's profiles.

    ``{}`` removes them all. Policies that name a removed profile keep the name (Keycloak skips it
    at run time). Returns the stored representation.
    """
    document = parse_profiles(representation)
    with transaction.atomic():
        realm = _lock_realm(realm)
        profiles_validate(document)
        _profiles_write(realm, document.profiles)
        stored = profiles_representation(realm)
        _event(realm, "UPDATE", "CLIENT_PROFILE", PROFILES_PATH, actor, stored)
        _invalidate_engine_cache()
    return stored


def policies_replace(*, realm: Realm, representation: Any, actor: Actor | None = None) -> dict:
    """Keycloak's ``PUT .../client-policies/policies``: the document replaces the realm's policies.

    Every profile a policy names must already be stored (PUT the profiles first). Returns the
    stored representation.
    """
    document = parse_policies(representation)
    with transaction.atomic():
        realm = _lock_realm(realm)
        policies_validate(document, _stored_profile_names(realm))
        _policies_write(realm, document.policies)
        stored = policies_representation(realm)
        _event(realm, "UPDATE", "CLIENT_POLICY", POLICIES_PATH, actor, stored)
        _invalidate_engine_cache()
    return stored


def client_policies_import(
    *, realm: Realm, client_profiles: Any = None, client_policies: Any = None, actor: Actor | None = None
) -> tuple[dict | None, dict | None]:
    """A realm export's ``clientProfiles`` and ``clientPolicies``, all or nothing (profiles first).

    ``None`` leaves that half unchanged.
    """
    with transaction.atomic():
        profiles = None if client_profiles is None else profiles_replace(realm=realm, representation=client_profiles, actor=actor)
        policies = None if client_policies is None else policies_replace(realm=realm, representation=client_policies, actor=actor)
    return profiles, policies


# --- console: profiles ----------------------------------------------------------------------------


def _name_length_validate(name: str) -> None:
    if len(name) > NAME_MAX_LENGTH:
        raise PolicyValidationError(f"name is longer than {NAME_MAX_LENGTH} characters", "name")


def _profile_name_validate(realm: Realm, name: str | None, *, exclude_pk: int | None = None) -> None:
    if not name:
        raise PolicyValidationError(PROFILE_WITHOUT_NAME, "name")
    _name_length_validate(name)
    others = ClientProfile.objects.filter(realm=realm, name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise PolicyValidationError(PROFILE_NAME_DUPLICATED, "name")


def profile_create(*, realm: Realm, name: str, description: str | None = "", actor: Actor | None = None) -> ClientProfile:
    with transaction.atomic():
        realm = _lock_realm(realm)
        _profile_name_validate(realm, name)
        position = ClientProfile.objects.filter(realm=realm).count()
        profile = ClientProfile.objects.create(realm=realm, name=name, description=description, position=position)
        _profile_event(realm, "CREATE", profile, actor)
    return profile


def profile_update(
    *, realm: Realm, profile: ClientProfile | int, name: str, description: str | None, actor: Actor | None = None
) -> ClientProfile:
    """Rename or describe a profile. Policies naming it follow a rename (the console's promise)."""
    with transaction.atomic():
        realm = _lock_realm(realm)
        profile = _profile(realm, profile)
        _profile_name_validate(realm, name, exclude_pk=profile.pk)
        old_name = profile.name
        profile.name = name
        profile.description = description
        profile.save(update_fields=["name", "description"])
        if old_name != name:
            _profile_refs_rename(realm, old_name, name, actor)
        _profile_event(realm, "UPDATE", profile, actor)
    return profile


def _profile_refs_rename(realm: Realm, old: str, new: str, actor: Actor | None) -> None:
    refs = ClientPolicyProfile.objects.filter(policy__realm=realm, profile_name=old).select_related("policy")
    for ref in refs:
        if ClientPolicyProfile.objects.filter(policy=ref.policy, profile_name=new).exists():
            ref.delete()  # the policy already named the new name (a dangling reference)
        else:
            ref.profile_name = new
            ref.save(update_fields=["profile_name"])
        _policy_event(realm, "UPDATE", ref.policy, actor)


def profile_delete(*, realm: Realm, profile: ClientProfile | int, actor: Actor | None = None) -> None:
    """Delete a profile. Policies keep naming it, as in Keycloak (skipped at run time)."""
    with transaction.atomic():
        realm = _lock_realm(realm)
        profile = _profile(realm, profile)
        representation = profile_to_representation(profile)
        _profile_event(realm, "DELETE", profile, actor, representation)
        profile.delete()
        _renumber(ClientProfile.objects.filter(realm=realm))


def _executors(profile: ClientProfile) -> list[ClientProfileExecutor]:
    return list(profile.executors.order_by("position", "id"))


def _executor_at(profile: ClientProfile, index: int | str) -> ClientProfileExecutor:
    executors = _executors(profile)
    try:
        position = int(index)
    except (TypeError, ValueError) as exc:
        raise PolicyNotFound("Executor not found") from exc
    if not 0 <= position < len(executors):
        raise PolicyNotFound("Executor not found")
    return executors[position]


def profile_executor_add(
    *, realm: Realm, profile: ClientProfile | int, executor: str, configuration: Any, actor: Actor | None = None
) -> ClientProfileExecutor:
    with transaction.atomic():
        realm = _lock_realm(realm)
        profile = _profile(realm, profile)
        executor_validate(executor, configuration)
        row = ClientProfileExecutor.objects.create(
            profile=profile, position=len(_executors(profile)), provider_id=executor, configuration=configuration
        )
        if not profile.executors_listed:
            profile.executors_listed = True
            profile.save(update_fields=["executors_listed"])
        _profile_event(realm, "UPDATE", profile, actor)
    return row


def profile_executor_update(
    *, realm: Realm, profile: ClientProfile | int, index: int | str, configuration: Any, actor: Actor | None = None
) -> ClientProfileExecutor:
    with transaction.atomic():
        realm = _lock_realm(realm)
        profile = _profile(realm, profile)
        row = _executor_at(profile, index)
        executor_validate(row.provider_id, configuration)
        row.configuration = configuration
        row.save(update_fields=["configuration"])
        _profile_event(realm, "UPDATE", profile, actor)
    return row


def profile_executor_delete(*, realm: Realm, profile: ClientProfile | int, index: int | str, actor: Actor | None = None) -> str:
    """Remove one executor; returns its provider id."""
    with transaction.atomic():
        realm = _lock_realm(realm)
        profile = _profile(realm, profile)
        row = _executor_at(profile, index)
        provider_id = row.provider_id
        row.delete()
        _renumber(_executors(profile))
        _profile_event(realm, "UPDATE", profile, actor)
    return provider_id


# --- console: policies ----------------------------------------------------------------------------


def _policy_name_validate(realm: Realm, name: str | None, *, exclude_pk: int | None = None) -> None:
    others = ClientPolicy.objects.filter(realm=realm, name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if name and others.exists():
        raise PolicyValidationError(POLICY_NAME_DUPLICATED, "name")
    if not name:
        raise PolicyValidationError(POLICY_WITHOUT_NAME, "name")
    _name_length_validate(name)


def policy_create(
    *, realm: Realm, name: str, description: str | None = "", enabled: bool = True, actor: Actor | None = None
) -> ClientPolicy:
    with transaction.atomic():
        realm = _lock_realm(realm)
        _policy_name_validate(realm, name)
        position = ClientPolicy.objects.filter(realm=realm).count()
        policy = ClientPolicy.objects.create(
            realm=realm, name=name, description=description, enabled=enabled, position=position
        )
        _policy_event(realm, "CREATE", policy, actor)
    return policy


def policy_update(
    *,
    realm: Realm,
    policy: ClientPolicy | int,
    name: str,
    description: str | None,
    enabled: bool,
    actor: Actor | None = None,
) -> ClientPolicy:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        _policy_name_validate(realm, name, exclude_pk=policy.pk)
        policy.name = name
        policy.description = description
        policy.enabled = enabled
        policy.save(update_fields=["name", "description", "enabled"])
        _policy_event(realm, "UPDATE", policy, actor)
    return policy


def policy_set_enabled(*, realm: Realm, policy: ClientPolicy | int, enabled: bool, actor: Actor | None = None) -> ClientPolicy:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        policy.enabled = enabled
        policy.save(update_fields=["enabled"])
        _policy_event(realm, "UPDATE", policy, actor)
    return policy


def policy_delete(*, realm: Realm, policy: ClientPolicy | int, actor: Actor | None = None) -> None:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        _policy_event(realm, "DELETE", policy, actor, policy_to_representation(policy))
        policy.delete()
        _renumber(ClientPolicy.objects.filter(realm=realm))


def _conditions(policy: ClientPolicy) -> list[ClientPolicyCondition]:
    return list(policy.conditions.order_by("position", "id"))


def _condition_at(policy: ClientPolicy, index: int | str) -> ClientPolicyCondition:
    conditions = _conditions(policy)
    try:
        position = int(index)
    except (TypeError, ValueError) as exc:
        raise PolicyNotFound("Condition not found") from exc
    if not 0 <= position < len(conditions):
        raise PolicyNotFound("Condition not found")
    return conditions[position]


def policy_condition_add(
    *, realm: Realm, policy: ClientPolicy | int, condition: str, configuration: Any, actor: Actor | None = None
) -> ClientPolicyCondition:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        condition_validate(policy.name, condition, configuration)
        row = ClientPolicyCondition.objects.create(
            policy=policy, position=len(_conditions(policy)), provider_id=condition, configuration=configuration
        )
        if not policy.conditions_listed:
            policy.conditions_listed = True
            policy.save(update_fields=["conditions_listed"])
        _policy_event(realm, "UPDATE", policy, actor)
    return row


def policy_condition_update(
    *, realm: Realm, policy: ClientPolicy | int, index: int | str, configuration: Any, actor: Actor | None = None
) -> ClientPolicyCondition:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        row = _condition_at(policy, index)
        condition_validate(policy.name, row.provider_id, configuration)
        row.configuration = configuration
        row.save(update_fields=["configuration"])
        _policy_event(realm, "UPDATE", policy, actor)
    return row


def policy_condition_delete(*, realm: Realm, policy: ClientPolicy | int, index: int | str, actor: Actor | None = None) -> str:
    """Remove one condition; returns its provider id."""
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        row = _condition_at(policy, index)
        provider_id = row.provider_id
        row.delete()
        _renumber(_conditions(policy))
        _policy_event(realm, "UPDATE", policy, actor)
    return provider_id


def policy_profiles_add(
    *, realm: Realm, policy: ClientPolicy | int, profile_names: list[str], actor: Actor | None = None
) -> ClientPolicy:
    """Append profiles (by name) to a policy: each must be a stored profile, none listed twice."""
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        current = list(policy.profile_refs.order_by("position", "id").values_list("profile_name", flat=True))
        if not profile_names:
            raise PolicyValidationError("Select at least one client profile", "profiles")
        _profile_refs_validate(policy.name, current + list(profile_names), _stored_profile_names(realm) | set(current))
        ClientPolicyProfile.objects.bulk_create(
            ClientPolicyProfile(policy=policy, position=len(current) + i, profile_name=name)
            for i, name in enumerate(profile_names)
        )
        if not policy.profiles_listed:
            policy.profiles_listed = True
        policy.save(update_fields=["profiles_listed"])  # also tells the engine's cache
        _policy_event(realm, "UPDATE", policy, actor)
        _invalidate_engine_cache()
    return policy


def policy_profiles_remove(*, realm: Realm, policy: ClientPolicy | int, profile_name: str, actor: Actor | None = None) -> None:
    with transaction.atomic():
        realm = _lock_realm(realm)
        policy = _policy(realm, policy)
        deleted, _ = policy.profile_refs.filter(profile_name=profile_name).delete()
        if not deleted:
            raise PolicyNotFound("The policy does not name this client profile")
        _renumber(policy.profile_refs.order_by("position", "id"))
        _policy_event(realm, "UPDATE", policy, actor)
