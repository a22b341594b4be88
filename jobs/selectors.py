"""Reads for the jobs: which clients a client policy selects now (or a client profile reaches,
through the realm's enabled policies that name it), and a job with its results.

Matching uses the engine's own rule (``policies.engine.policy_applies``) on the context of a
client update (``UPDATE``, the stored client, the administrator as actor), one client at a time
over a streamed queryset: the clients are read in chunks with the facts the conditions need
prefetched (their roles, one query per chunk), so the number of queries grows with the number
of chunks, never per client, and never per policy: however many policies are judged, each
chunk of clients is read once. A policy is judged whether it is enabled or not (the policy's page
shows what it *would* select); a profile is reached only through enabled policies, as an update
runs them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from clients.models import Client
from jobs.models import Job, JobResult
from policies.engine import LoadedPolicy, policies_load, policy_applies
from policies.models import ClientPolicy, ClientProfile
from policies.providers import CONDITIONS
from policies.providers.base import ClientFacts, ConditionType, Event, PolicyContext, Vote
from realms import clock
from realms.actor import Actor
from realms.models import Realm

logger = logging.getLogger(__name__)

CHUNK = 500  # clients read (and facts prefetched) per query when matching
# Facts a condition may ask for that are a relation of the client, prefetched per chunk (the
# fact loader uses the prefetched rows: ``policies.providers.conditions.client_role_names``).
PREFETCHED_FACTS = {"roles": "roles"}


@dataclass(frozen=True)
class Match:
    """A client the policies select: the conditions that voted yes (after negative logic), and
    per selecting policy its name with its own conditions that voted yes (in the policies' order)."""

    id: str
    client_id: str
    reasons: tuple[str, ...]
    policies: tuple[tuple[str, tuple[str, ...]], ...] = ()


def policy_loaded(policy: ClientPolicy) -> LoadedPolicy:
    """The policy as the engine evaluates it (its stored conditions, in order); a condition whose
    type is gone or whose configuration no longer validates is skipped, as the engine does."""
    conditions = []
    for row in policy.conditions.order_by("position", "id"):
        kind = CONDITIONS.get(row.provider_id)
        if kind is None:
            continue
        try:
            conditions.append(kind(row.configuration))
        except ValueError:
            logger.warning("client policies: condition %r of %r is invalid; skipped", row.provider_id, policy.name)
    return LoadedPolicy(name=policy.name, conditions=tuple(conditions), profile_names=())


def _yes(condition: ConditionType, context: PolicyContext) -> bool:
    vote = Vote(condition.vote(context))
    return (vote.negated() if condition.is_negative else vote) == Vote.YES


def _clients(realm: Realm, policies: Sequence[LoadedPolicy], search: str) -> Iterator[Client]:
    clients: QuerySet[Client] = Client.objects.filter(realm=realm).order_by("client_id", "id")
    if search:
        clients = clients.filter(client_id__icontains=search)
    facts = {name for policy in policies for condition in policy.conditions for name in type(condition).facts}
    related = [PREFETCHED_FACTS[name] for name in sorted(facts) if name in PREFETCHED_FACTS]
    if related:
        clients = clients.prefetch_related(*related)
    for client in clients.iterator(chunk_size=CHUNK):
        client.realm = realm  # the realm is known: no query per client
        yield client


def policies_matching_clients(
    *, realm: Realm, policies: Sequence[LoadedPolicy], actor: Actor | None, search: str = ""
) -> list[Match]:
    """The realm's clients (by clientId) that at least one of ``policies`` selects for a client
    update made by ``actor``, with which policies and conditions said yes; ``search`` filters by
    clientId. The clients are read once for all the policies."""
    policies = [policy for policy in policies if policy.conditions]
    if not policies:
        return []  # default-deny: no query at all
    now = clock.epoch()
    matches = []
    for client in _clients(realm, policies, search):
        context = PolicyContext(
            event=Event.UPDATE, realm=realm, client=client, representation={}, actor=actor, now=now, facts=ClientFacts(client)
        )
        selecting = tuple(
            (policy.name, tuple(c.provider_id for c in policy.conditions if _yes(c, context)))
            for policy in policies
            if policy_applies(policy, context)
        )
        if selecting:
            reasons = tuple(dict.fromkeys(reason for _name, yes in selecting for reason in yes))
            matches.append(Match(id=str(client.pk), client_id=client.client_id, reasons=reasons, policies=selecting))
    return matches


def policy_matching_clients(*, realm: Realm, policy: ClientPolicy, actor: Actor | None, search: str = "") -> list[Match]:
    """The realm's clients (by clientId) that ``policy``'s conditions select for a client update
    made by ``actor``; ``search`` filters by clientId."""
    return policies_matching_clients(realm=realm, policies=[policy_loaded(policy)], actor=actor, search=search)


def profile_policies(*, realm: Realm, profile: ClientProfile) -> list[LoadedPolicy]:
    """The realm's enabled policies that name ``profile``, in their order, as the engine loads
    them for an update (a fixed number of queries, whatever the number of policies)."""
    return [policy for policy in policies_load(realm).policies if profile.name in policy.profile_names]


def profile_matching_clients(*, realm: Realm, profile: ClientProfile, actor: Actor | None, search: str = "") -> list[Match]:
    """The realm's clients (by clientId) that a client update made by ``actor`` would give
    ``profile``: those that one of the enabled policies naming it selects, each with those
    policies (``Match.policies``); ``search`` filters by clientId."""
    policies = profile_policies(realm=realm, profile=profile)
    return policies_matching_clients(realm=realm, policies=policies, actor=actor, search=search)


def profile_by_name(*, realm: Realm, name: str) -> ClientProfile:
    """The realm's profile named ``name``; ``ClientProfile.DoesNotExist`` otherwise."""
    return ClientProfile.objects.get(realm=realm, name=name)


def policy_by_name(*, realm: Realm, name: str) -> ClientPolicy:
    """The realm's policy named ``name``; ``ClientPolicy.DoesNotExist`` otherwise."""
    return ClientPolicy.objects.get(realm=realm, name=name)


def policy_by_name_or_none(*, realm: Realm, name: str) -> ClientPolicy | None:
    return ClientPolicy.objects.filter(realm=realm, name=name).first()


def job_get(*, realm: Realm, pk: int | str) -> Job:
    """The realm's job ``pk``; ``Job.DoesNotExist`` otherwise, also for a bad ``pk``."""
    try:
        return Job.objects.get(realm=realm, pk=int(pk))
    except (ValueError, TypeError):
        raise Job.DoesNotExist from None


def job_active(*, realm: Realm) -> Job | None:
    return Job.objects.filter(realm=realm, status__in=Job.ACTIVE).first()


def job_results(*, job: Job, first: int = 0, max_results: int = 100) -> list[JobResult]:
    return list(job.results.all()[first : first + max_results])
