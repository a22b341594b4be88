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
                            context opens ``remaining-rotation-period``'s window
                            (docs/keycloak.md §1.7)
token/authorization         ``AUTHORIZATION_REQUEST``, ``TOKEN_REQUEST`` (authorization_code grant
                            only), ``SERVICE_ACCOUNT_TOKEN_REQUEST``, ``TOKEN_REFRESH``,
                            ``TOKEN_INTROSPECT`` with ``client``
==========================  ============================================================================

Where a change came from (``client-updater-context``) is read from ``actor``
(``realms.actor.Actor``): the console and the Admin API are ``ByAuthenticatedUser``; dynamic
registration maps its ``token_kind``: ``"initial-access-token"`` → ``ByInitialAccessToken``,
``"registration-access-token"`` → ``ByRegistrationAccessToken``, ``"bearer"`` with a user or client
→ ``ByAuthenticatedUser``, anything else → ``ByAnonymous``.

Loading and compiling: ``policies_load(realm)`` first reads the realm's *configuration version*
(``policies.models.ConfigVersion``, one row that database triggers give a new, never reused value
in the transaction of every change of the realm's policies, conditions, profile references,
profiles or executors, whichever code makes it). Each worker process keeps, per realm, the
``PolicySet`` built from the last version it read (conditions and executors instantiated, and
compiled: identical conditions grouped, each policy's executors resolved per event, see
``CompiledPolicies``) and hands the same object to every request and thread while the version
read is that one: one query. Only when the version moved does it read the enabled policies with
their conditions, their profile references and the referenced profiles' executors (three more
queries, whatever the number of policies or clients) and build again. It is never stale, since it
is looked up by the version just read, and the version is read before the rows. A realm that never
had a policy or a profile has no version: one query. Pass the result as ``policies=`` to reuse it
across calls (``oidc.caches`` keeps it per worker for the token path, within that cache's own
bound), or let the engine cache it: inside ``policies_request_scope()`` (opened for every HTTP
request by ``PolicyScopeMiddleware``) each realm is loaded at most once. Saving or deleting a
policy or profile model drops the request's cache; code that writes them with
``bulk_create``/``update`` calls ``policies_cache_invalidate()``.

Client facts: a condition reads what it knows about the client beyond its row (its role names)
through ``context.fact(name)``, and declares the names in ``facts``. The first condition that
asks loads the fact (one query); inside a request scope the client's facts are kept for the whole
request, so every trigger of the request shares them (the UPDATE and UPDATED of one update);
saving or deleting a client role drops them (``policies.signals``). A trigger therefore makes no
query but these, at most one per fact and client, and only when a condition that needs the fact
is asked: the number of queries does not grow with the number of policies or clients. A client
whose roles were prefetched hands them over without a query (the loader takes them): the token
path's per-worker client cache (``oidc.client_cache``) keeps them with the client's rows.

Time: one ``now`` (``realms.clock.epoch()``) per trigger, shared by every executor.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from policies import models
from policies.errors import ClientPolicyError
from policies.providers import CONDITIONS, EXECUTORS, ConditionType, ExecutorType
from policies.providers.base import ClientFacts, Event, PolicyContext, Vote

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

    @cached_property
    def compiled(self) -> CompiledPolicies:
        # Once per set; two threads may both build it, to the same result.
        return policies_compile(self)


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


# Configurations are compared as the stored text and parsed only when a set is built from them.
_AS_TEXT = Cast("configuration", output_field=TextField())
_CONDITION_AS_TEXT = Cast("conditions__configuration", output_field=TextField())


def _parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _version_read(realm_id):
    """The realm's configuration version (migration 0004's triggers move it with every change of
    what ``_configuration_read`` reads); None for a realm that never had a policy or a profile."""
    return models.ConfigVersion.objects.filter(realm_id=realm_id).values_list("version", flat=True).first()


def _configuration_read(realm_id) -> tuple:
    """The realm's enabled configuration as plain rows: at most three queries, one when no policy
    is enabled."""
    enabled = {"realm_id": realm_id, "enabled": True}
    # The policies with their conditions (a row per condition; one with NULLs for a policy without
    # any), in one query: a policy's conditions in their order, the policies in theirs.
    joined = tuple(
        models.ClientPolicy.objects.filter(**enabled)
        .exclude(name="")
        .order_by("position", "id", "conditions__position", "conditions__id")
        .values_list("id", "name", "conditions__id", "conditions__provider_id", _CONDITION_AS_TEXT)
    )
    if not joined:
        return ((), (), (), ())
    policies = tuple(dict.fromkeys((policy_id, name) for policy_id, name, *_condition in joined))
    conditions = tuple(
        (policy_id, provider_id, configuration)
        for policy_id, _name, condition_id, provider_id, configuration in joined
        if condition_id is not None
    )
    # Joined on the policy rather than listing its ids: an IN list of hundreds of ids costs more
    # to build than the query costs to run.
    of_enabled = {"policy__realm_id": realm_id, "policy__enabled": True}
    refs = tuple(
        models.ClientPolicyProfile.objects.filter(**of_enabled)
        .exclude(policy__name="")
        .order_by("position", "id")
        .values_list("policy_id", "profile_name")
    )
    # A profile without executors does nothing, exactly like a missing one: one query suffices.
    wanted = {name for _policy, name in refs}
    executors = tuple(
        models.ClientProfileExecutor.objects.filter(profile__realm_id=realm_id, profile__name__in=wanted)
        .order_by("profile_id", "position", "id")
        .values_list("profile__name", "provider_id", _AS_TEXT)
    )
    return (policies, conditions, refs, executors)


def _policy_set_build(realm_id, rows: tuple) -> PolicySet:
    policy_rows, condition_rows, ref_rows, executor_rows = rows
    names = dict(policy_rows)
    conditions: dict[Any, list[ConditionType]] = {}
    for policy_id, provider_id, configuration in condition_rows:
        condition = _instantiate(CONDITIONS, provider_id, _parsed(configuration), "condition", names[policy_id])
        if condition is not None:
            conditions.setdefault(policy_id, []).append(condition)
    refs: dict[Any, list[str]] = {}
    for policy_id, profile_name in ref_rows:
        refs.setdefault(policy_id, []).append(profile_name)
    profiles: dict[str, list[ExecutorType]] = {}
    for profile_name, provider_id, configuration in executor_rows:
        executor = _instantiate(EXECUTORS, provider_id, _parsed(configuration), "executor", profile_name)
        if executor is not None:
            profiles.setdefault(profile_name, []).append(executor)
    return PolicySet(
        realm_id=realm_id,
        policies=tuple(
            LoadedPolicy(name=name, conditions=tuple(conditions.get(pk, ())), profile_names=tuple(refs.get(pk, ())))
            for pk, name in policy_rows
        ),
        profiles={name: tuple(executors) for name, executors in profiles.items()},
    )


# Per worker process: each realm's configuration version, the registries its set was built with,
# and the PolicySet built from it. Bounded like the other per-worker caches.
MAX_REALMS = 1000
_built_lock = threading.Lock()
_built: dict[Any, tuple[int, tuple, PolicySet]] = {}


def _registries() -> tuple:
    # A type registered or removed (tests, extensions) changes what the same rows build.
    return (tuple(CONDITIONS.items()), tuple(EXECUTORS.items()))


def policies_load(realm) -> PolicySet:
    """The realm's enabled policies with their conditions, and the profiles they name.

    One query (the realm's configuration version) when this worker built the set from that version
    already, or when the realm never had a policy or a profile; otherwise at most four (the
    version, then the rows), and the set is built, compiled and kept for that version.
    """
    realm_id = getattr(realm, "pk", realm)
    # The version first, then the rows, each query in its own snapshot at worst (READ COMMITTED, or
    # no transaction): a change committed between them shows in the rows but not in the version
    # read, so the set is kept under a version older than its rows and the next load, reading the
    # newer version, builds again. Read the other way round, rows older than the version could be
    # kept under it and served until the next change.
    version = _version_read(realm_id)
    if version is None:
        return PolicySet(realm_id=realm_id)
    registries = _registries()
    with _built_lock:
        known = _built.get(realm_id)
    if known is not None and known[0] == version and known[1] == registries:
        return known[2]
    loaded = _policy_set_build(realm_id, _configuration_read(realm_id))
    loaded.compiled  # noqa: B018  (compiled once here, not by the first trigger that needs it)
    with _built_lock:
        if len(_built) >= MAX_REALMS:
            _built.clear()
        _built[realm_id] = (version, registries, loaded)
    return loaded


# --------------------------------------------------------------------------------------------
# Compiling: what every trigger needs, resolved once per configuration version


@dataclass(frozen=True)
class CompiledPolicy:
    name: str
    # (group, position in the group, negative logic) of each condition, in the policy's order
    conditions: tuple[tuple[int, int, bool], ...]
    # By event: the executors of its profiles (listed order, missing names skipped) that handle it
    executors: Mapping[Event, tuple[ExecutorType, ...]]


@dataclass(frozen=True)
class CompiledPolicies:
    """A ``PolicySet`` ready to vote.

    Identical conditions (``ConditionType.group_key``) appear once, whatever their negative
    logic; the distinct ones are grouped by type, and each group is asked at once
    (``ConditionType.vote_all``), at most once per trigger. ``facts`` names the client facts some
    condition may read.
    """

    groups: tuple[Callable[[PolicyContext], Sequence[Vote]], ...] = ()
    policies: tuple[CompiledPolicy, ...] = ()
    facts: frozenset[str] = frozenset()
    distinct_conditions: int = 0


EVENTS = tuple(Event)


def policies_compile(loaded: PolicySet) -> CompiledPolicies:
    place: dict[tuple, tuple[int, int]] = {}  # group key -> (group, position)
    members: dict[type, list[ConditionType]] = {}  # by type, in order of first appearance
    executors_of: dict[tuple[str, ...], dict[Event, tuple[ExecutorType, ...]]] = {}
    policies = []
    for policy in loaded.policies:
        refs = []
        for condition in policy.conditions:
            key = condition.group_key()
            if key not in place:
                group = members.setdefault(type(condition), [])
                place[key] = (list(members).index(type(condition)), len(group))
                group.append(condition)
            refs.append((*place[key], condition.is_negative))
        by_event = executors_of.get(policy.profile_names)
        if by_event is None:  # many policies name the same profiles: resolved once
            executors = [executor for name in policy.profile_names for executor in loaded.executors_of(name)]
            by_event = executors_of[policy.profile_names] = {
                event: tuple(ex for ex in executors if event in ex.events) for event in EVENTS
            }
        policies.append(CompiledPolicy(name=policy.name, conditions=tuple(refs), executors=by_event))
    return CompiledPolicies(
        groups=tuple(kind.vote_all(tuple(group)) for kind, group in members.items()),
        policies=tuple(policies),
        facts=frozenset().union(*(kind.facts for kind in members)),
        distinct_conditions=len(place),
    )


# --------------------------------------------------------------------------------------------
# The per-request cache


class _Scope:
    """One request's loaded policies (by realm) and client facts (by client)."""

    __slots__ = ("policies", "facts")

    def __init__(self):
        self.policies: dict[Any, PolicySet] = {}
        self.facts: dict[Any, ClientFacts] = {}


_scope: ContextVar[_Scope | None] = ContextVar("client_policies_scope", default=None)


@contextmanager
def policies_request_scope():
    """Within this block each realm's policies are loaded, and each client's facts read, at most once."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def policies_cache_invalidate() -> None:
    """Forget the policies this request loaded (called after policies or profiles change)."""
    scope = _scope.get()
    if scope is not None:
        scope.policies.clear()


def client_facts_invalidate() -> None:
    """Forget the client facts this request read (called after a client role changes)."""
    scope = _scope.get()
    if scope is not None:
        scope.facts.clear()


def policies_for(realm) -> PolicySet:
    scope = _scope.get()
    if scope is None:
        return policies_load(realm)
    key = getattr(realm, "pk", realm)
    loaded = scope.policies.get(key)
    if loaded is None:
        loaded = scope.policies[key] = policies_load(realm)
    return loaded


def _facts_for(client) -> ClientFacts | None:
    """The request's facts about ``client`` (made on first use); None outside a request scope,
    where the trigger's context makes its own."""
    scope = _scope.get()
    if scope is None or client is None or client.pk is None:
        return None
    facts = scope.facts.get(client.pk)
    if facts is None:
        facts = scope.facts[client.pk] = ClientFacts(client)
    return facts


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
    if context.get("facts") is None:
        context["facts"] = _facts_for(context.get("client"))
    ctx = PolicyContext(event=event, **context)
    compiled = (policies if policies is not None else policies_for(ctx.realm)).compiled

    # Each group of conditions is asked at most once (policy_applies' rule, with shared votes).
    groups = compiled.groups
    votes: list[Sequence[Vote] | None] = [None] * len(groups)
    applied = []
    for policy in compiled.policies:
        satisfied = False
        for group, position, negated in policy.conditions:
            answers = votes[group]
            if answers is None:
                answers = votes[group] = groups[group](ctx)
            vote = answers[position]
            if vote.__class__ is not Vote:
                vote = Vote(vote)  # a provider may answer with the plain string
            if negated:
                vote = vote.negated()
            if vote is Vote.NO:
                break
            if vote is Vote.YES:
                satisfied = True
        else:
            if not satisfied:
                continue
            applied.append(policy.name)
            executors = policy.executors[event]
            for executor in executors:
                with ClientPolicyError.raised_on(event):
                    executor.execute(ctx)
            if executors:
                # An executor may amend the representation: later policies are judged afresh.
                votes = [None] * len(groups)
    return TriggerResult(rotation_enabled=ctx.rotation_enabled, applied_policies=tuple(applied))


__all__ = [
    "ABSTAIN",
    "Vote",
    "NO",
    "YES",
    "ClientPolicyError",
    "CompiledPolicies",
    "Event",
    "LoadedPolicy",
    "PolicyContext",
    "PolicySet",
    "TriggerResult",
    "client_facts_invalidate",
    "client_policies_trigger",
    "policies_cache_invalidate",
    "policies_compile",
    "policies_for",
    "policies_load",
    "policies_request_scope",
    "policy_applies",
]
