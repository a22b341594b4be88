"""The client-policy engine: Keycloak's ``DefaultClientPolicyManager``, pure and synchronous.

Services call ``client_policies_trigger(event, **context)`` where the context keys are the fields of
``PolicyContext``. What a condition or an executor receives and may do (``PolicyContext``,
``Event``, ``Vote``, refusals, registration) is ``policies.providers.base``. The engine:

1. takes the realm's *enabled* policies, in stored order (``PolicySet``, loaded once per request);
2. asks each policy's conditions to vote ``YES`` / ``NO`` / ``ABSTAIN`` on the event;
   ``is-negative-logic`` swaps YES and NO (ABSTAIN stays). A policy applies when at least one
   condition says YES and none says NO; a policy without conditions never applies;
3. for each applying policy, runs the executors of its profiles (by name, in listed order; a name
   without a profile is skipped), each executor in order, on the events it declares;
4. raises ``ClientPolicyError`` from any condition or executor, with its ``event`` set to the
   event that refused (registration answers 403 or 400 by it): the caller's transaction rolls
   back, the console shows ``error_description``, the APIs answer
   ``{"error": ..., "error_description": ...}``;
5. returns ``TriggerResult(rotation_enabled=...)``: whether a ``secret-rotation`` executor raised
   Keycloak's per-request "rotation enabled" flag. On an admin update or a regenerate the caller
   runs the clean-up rule (``clients.secrets.secret_remove_rotation_info``) when it is False.

Which client a condition judges: on ``REGISTER`` the proposed representation (there is no client
yet), on every later event the stored client passed as ``client`` (on ``UPDATE`` the client before
the change, on ``UPDATED``/``REGISTERED`` the stored client after it).

How the services describe their operation (the "contexts" of Keycloak):

==========================  ============================================================================
Keycloak context            ``client_policies_trigger`` call
==========================  ============================================================================
admin/DCR create            ``REGISTER`` (``representation``, ``actor``), then ``REGISTERED`` (``client``)
admin/DCR update            ``UPDATE`` (stored ``client`` before, ``representation``), then ``UPDATED``
regenerate secret           ``UPDATED`` with ``regenerate=True`` and ``old_secret=<previous value>``
DCR update                  ``UPDATED`` with ``actor.source == "dynamic-registration"``; only this
                            context opens ``remaining-rotation-period``'s window (§1.7)
token/authorization         ``AUTHORIZATION_REQUEST``, ``TOKEN_REQUEST`` (authorization_code grant
                            only), ``SERVICE_ACCOUNT_TOKEN_REQUEST``, ``TOKEN_REFRESH``,
                            ``TOKEN_INTROSPECT`` with ``client``
==========================  ============================================================================

Where a change came from (``client-updater-context``) is read from ``actor``
(``realms.actor.Actor``): the console and the Admin API are ``ByAuthenticatedUser``; dynamic
registration maps its ``token_kind``: ``"initial-access-token"`` → ``ByInitialAccessToken``,
``"registration-access-token"`` → ``ByRegistrationAccessToken``, ``"bearer"`` with a user or client
→ ``ByAuthenticatedUser``, anything else → ``ByAnonymous``.

Loading once per request: ``policies_load(realm)`` reads a realm's enabled policies, their
conditions and profile references, and the referenced profiles' executors in at most four
queries (one when no policy is enabled), whatever the number of clients. Pass the result as
``policies=`` to reuse it across calls, or let the engine cache it: inside
``policies_request_scope()`` (opened for every HTTP request by ``PolicyScopeMiddleware``) each realm
is loaded at most once. Saving or deleting a policy or profile model drops the request's cache;
code that writes them with ``bulk_create``/``update`` calls ``policies_cache_invalidate()``.

Time: one ``now`` (``realms.clock.epoch()``) per trigger, shared by every executor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from policies import models
from policies.errors import ClientPolicyError
from policies.providers import CONDITIONS, EXECUTORS, ConditionType, ExecutorType
from policies.providers.base import Event, PolicyContext, Vote

logger = logging.getLogger(__name__)

# The votes by their old names (kept for callers and tests that compare with them).
YES, NO, ABSTAIN = Vote.YES, Vote.NO, Vote.ABSTAIN


@dataclass
class TriggerResult:
    rotation_enabled: bool = False
    applied_policies: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class LoadedPolicy:
    name: str
    conditions: tuple[ConditionType, ...]  # in order
    profile_names: tuple[str, ...]


@dataclass(frozen=True)
class PolicySet:
    """A realm's enabled policies and the profiles they reference, ready to evaluate."""

    realm_id: Any
    policies: tuple[LoadedPolicy, ...] = ()
    profiles: dict[str, tuple[ExecutorType, ...]] = field(default_factory=dict)  # by profile name

    def executors_of(self, profile_name: str) -> tuple[ExecutorType, ...]:
        return self.profiles.get(profile_name, ())


def _instantiate(registry: Mapping[str, type], provider_id: str, configuration: Any, what: str, owner: str):
    cls = registry.get(provider_id)
    if cls is None:
        # Keycloak fails with a 500 here; stored profiles are validated on save, so this only
        # happens with a type removed from the code. Skip it and say so.
        logger.warning("client policies: %s %r of %r has no provider; skipped", what, provider_id, owner)
        return None
    try:
        return cls(configuration)
    except ValueError as exc:  # ConfigError
        logger.warning("client policies: %s %r of %r has an invalid configuration (%s); skipped", what, provider_id, owner, exc)
        return None


def policies_load(realm) -> PolicySet:
    """The realm's enabled policies with their conditions, and the profiles they name.

    A fixed number of queries: 1 when no policy is enabled, otherwise 4.
    """
    realm_id = getattr(realm, "pk", realm)
    rows = list(
        models.ClientPolicy.objects.filter(realm_id=realm_id, enabled=True)
        .exclude(name="")
        .order_by("position", "id")
        .prefetch_related(
            Prefetch("conditions", queryset=models.ClientPolicyCondition.objects.order_by("position", "id")),
            Prefetch("profile_refs", queryset=models.ClientPolicyProfile.objects.order_by("position", "id")),
        )
    )
    if not rows:
        return PolicySet(realm_id=realm_id)

    policies = []
    wanted: set[str] = set()
    for row in rows:
        conditions = tuple(
            c
            for c in (
                _instantiate(CONDITIONS, cond.provider_id, cond.configuration, "condition", row.name)
                for cond in row.conditions.all()
            )
            if c is not None
        )
        names = tuple(ref.profile_name for ref in row.profile_refs.all())
        wanted.update(names)
        policies.append(LoadedPolicy(name=row.name, conditions=conditions, profile_names=names))

    # A profile without executors does nothing, exactly like a missing one: one query suffices.
    profiles: dict[str, list] = {}
    rows = (
        models.ClientProfileExecutor.objects.filter(profile__realm_id=realm_id, profile__name__in=wanted)
        .select_related("profile")
        .order_by("profile_id", "position", "id")
    )
    for row in rows:
        executor = _instantiate(EXECUTORS, row.provider_id, row.configuration, "executor", row.profile.name)
        if executor is not None:
            profiles.setdefault(row.profile.name, []).append(executor)
    return PolicySet(
        realm_id=realm_id, policies=tuple(policies), profiles={name: tuple(ex) for name, ex in profiles.items()}
    )


# --------------------------------------------------------------------------------------------
# The per-request cache

_scope: ContextVar[dict | None] = ContextVar("client_policies_scope", default=None)


@contextmanager
def policies_request_scope():
    """Within this block each realm's policies are loaded at most once."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def policies_cache_invalidate() -> None:
    """Forget what this request loaded (called after policies or profiles change)."""
    cache = _scope.get()
    if cache:
        cache.clear()


def policies_for(realm) -> PolicySet:
    cache = _scope.get()
    if cache is None:
        return policies_load(realm)
    key = getattr(realm, "pk", realm)
    loaded = cache.get(key)
    if loaded is None:
        loaded = cache[key] = policies_load(realm)
    return loaded


# --------------------------------------------------------------------------------------------
# Evaluation


def _vote(condition: ConditionType, context: PolicyContext) -> Vote:
    vote = Vote(condition.vote(context))
    return vote.negated() if condition.is_negative else vote


def policy_applies(policy: LoadedPolicy, context: PolicyContext) -> bool:
    """At least one YES and no NO; no conditions (or all abstaining) means it does not apply."""
    satisfied = False
    for condition in policy.conditions:
        vote = _vote(condition, context)
        if vote == Vote.NO:
            return False
        if vote == Vote.YES:
            satisfied = True
    return satisfied


def client_policies_trigger(event: Event | str, *, policies: PolicySet | None = None, **context: Any) -> TriggerResult:
    """Run the realm's enabled policies for ``event``.

    ``context`` holds ``PolicyContext`` fields (``realm``, ``client``, ``representation``,
    ``actor``, ``old_secret``, ``regenerate``, ``extra``, ``now``). ``realm`` may be omitted when
    ``client`` is given. Raises ``ClientPolicyError`` with its ``event`` set to the one that
    refused; the caller's transaction rolls back.
    """
    event = Event(event)
    if context.get("realm") is None:
        client = context.get("client")
        if client is None:
            raise ValueError("client_policies_trigger needs a realm or a client")
        context["realm"] = client.realm
    if context.get("now") is None:
        context.pop("now", None)  # the one clock, read once for the whole trigger
    ctx = PolicyContext(event=event, **context)
    loaded = policies if policies is not None else policies_for(ctx.realm)

    applied = []
    for policy in loaded.policies:
        if not policy_applies(policy, ctx):
            continue
        applied.append(policy.name)
        for profile_name in policy.profile_names:
            for executor in loaded.executors_of(profile_name):
                if event in executor.events:
                    with ClientPolicyError.raised_on(event):
                        executor.execute(ctx)
    return TriggerResult(rotation_enabled=ctx.rotation_enabled, applied_policies=tuple(applied))


__all__ = [
    "ABSTAIN",
    "Vote",
    "NO",
    "YES",
    "ClientPolicyError",
    "Event",
    "LoadedPolicy",
    "PolicyContext",
    "PolicySet",
    "TriggerResult",
    "client_policies_trigger",
    "policies_cache_invalidate",
    "policies_for",
    "policies_load",
    "policies_request_scope",
    "policy_applies",
]
