"""Reads of client profiles and client policies for the console. No side effects."""

from __future__ import annotations

from django.db.models import QuerySet

from policies.models import ClientPolicy, ClientPolicyCondition, ClientProfile, ClientProfileExecutor
from realms.models import Realm

# The columns the Profiles and Policies tables show.
PROFILE_COLUMNS = ("id", "name", "description", "position")
POLICY_COLUMNS = ("id", "name", "description", "enabled", "position")


def _pk(value: int | str) -> int:
    """A primary key from a URL; ``ValueError`` for anything but digits (a 404, never a 500)."""
    return int(value)


def profile_get(*, realm: Realm, pk: int | str) -> ClientProfile:
    """The realm's profile ``pk``; ``ClientProfile.DoesNotExist`` otherwise, also for a bad ``pk``."""
    try:
        return ClientProfile.objects.get(realm=realm, pk=_pk(pk))
    except ValueError:
        raise ClientProfile.DoesNotExist from None


def policy_get(*, realm: Realm, pk: int | str) -> ClientPolicy:
    """The realm's policy ``pk``; ``ClientPolicy.DoesNotExist`` otherwise, also for a bad ``pk``."""
    try:
        return ClientPolicy.objects.get(realm=realm, pk=_pk(pk))
    except ValueError:
        raise ClientPolicy.DoesNotExist from None


def profiles_list(*, realm: Realm, search: str = "") -> QuerySet[ClientProfile]:
    """The realm's profiles in their stored order, the table's columns only; ``search`` filters by name."""
    profiles = ClientProfile.objects.filter(realm=realm).only(*PROFILE_COLUMNS)
    return profiles.filter(name__icontains=search) if search else profiles


def policies_list(*, realm: Realm, search: str = "") -> QuerySet[ClientPolicy]:
    """The realm's policies in their stored order, the table's columns only; ``search`` filters by name."""
    policies = ClientPolicy.objects.filter(realm=realm).only(*POLICY_COLUMNS)
    return policies.filter(name__icontains=search) if search else policies


def profile_executors(*, profile: ClientProfile) -> list[ClientProfileExecutor]:
    """A profile's executors in the order they run."""
    return list(profile.executors.order_by("position", "id"))


def policy_conditions(*, policy: ClientPolicy) -> list[ClientPolicyCondition]:
    """A policy's conditions in their stored order."""
    return list(policy.conditions.order_by("position", "id"))


def policy_profile_names(*, policy: ClientPolicy) -> list[str]:
    """The names of the profiles a policy applies, in order (a name may lack a profile)."""
    return list(policy.profile_refs.order_by("position", "id").values_list("profile_name", flat=True))


def profiles_by_name(*, realm: Realm, names: list[str]) -> dict[str, ClientProfile]:
    """The realm's profiles with these names, by name; names without a profile are left out."""
    return {p.name: p for p in ClientProfile.objects.filter(realm=realm, name__in=names)}


def policy_profiles_available(*, realm: Realm, policy: ClientPolicy, search: str = "") -> list[ClientProfile]:
    """The realm's profiles the policy does not name yet (the "Add client profile" dialog)."""
    taken = set(policy.profile_refs.values_list("profile_name", flat=True))
    profiles = ClientProfile.objects.filter(realm=realm)
    if search:
        profiles = profiles.filter(name__icontains=search)
    return [p for p in profiles if p.name not in taken]
