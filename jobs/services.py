"""Applying a client policy to the realm's existing clients: the dry run and the job's work.

Both run the real client update (``clients.services.client_update`` with an empty
representation, the administrator as actor): the same client policies, row lock, clean-up rule
and admin event as a console save. What the update did to the client's secrets is read back and
put in words (``Outcome``).

* The dry run runs each update inside a savepoint that is then rolled back, all inside one
  transaction that is rolled back as well: the admin event, the secret rows, webhook delivery
  rows and the change log are never committed, and the ``on_commit`` callbacks registered
  meanwhile (webhook enqueues, cache invalidation) are dropped with their savepoint.
* The job updates each client in its own transaction, which also writes the client's result row
  and the job's counters; a client that already has a result row for the job is skipped, so a
  job resumed after a restart never updates a client twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from clients import secrets as secret_store
from clients.models import Client
from clients.selectors import ClientAccessDenied, client_list
from clients.services import (
    ClientHasNoSecret,
    client_rotated_secret_invalidate,
    client_secret_regenerate,
    client_update,
)
from jobs import selectors
from jobs.models import Job, JobResult
from policies.errors import ClientPolicyError
from policies.models import ClientPolicy
from realms import clock
from realms.actor import Actor
from realms.models import Realm

EXPIRY_SET, ROTATED, UNCHANGED, REFUSED = "expiry-set", "rotated", "unchanged", "refused"
CHUNK = 50  # clients one task updates before it hands over to the next


class JobAlreadyRunning(Exception):
    message = "A job is already running for this realm; wait until it has finished."

    def __init__(self, job: Job | None = None):
        super().__init__(self.message)
        self.job = job


@dataclass(frozen=True)
class Outcome:
    id: str
    client_id: str
    outcome: str
    detail: str

    def as_dict(self) -> dict:
        return {"id": self.id, "clientId": self.client_id, "outcome": self.outcome, "detail": self.detail}


def _when(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _described(before: tuple, after: tuple, *, dry_run: bool) -> tuple[str, str]:
    will = "will " if dry_run else ""
    if before[0] is not None and after[0] != before[0]:
        kept = f"the old one stays valid until {_when(after[3])}" if after[2] and after[3] else "the old one is dropped at once"
        verb = "it will be rotated" if dry_run else "it was rotated"
        return ROTATED, f"secret has expired: {verb}, {kept}"
    if after[1] != before[1]:
        if after[1] is None:
            return EXPIRY_SET, f"secret {will}no longer expire{'' if dry_run else 's'} (no secret-rotation executor applies)"
        return EXPIRY_SET, f"secret {will}expire{'' if dry_run else 's'} on {_when(after[1])}"
    if after[2:] != before[2:]:
        return EXPIRY_SET, "the rotated secret " + ("will be removed" if dry_run else "was removed")
    return UNCHANGED, "no change"


def _update(client: Client, actor: Actor | None, *, dry_run: bool) -> tuple[str, str]:
    """Update ``client`` as a console save does; (outcome, detail). A refusal leaves it as it was."""
    before = secret_store.secret_rows_state(client=client)
    try:
        updated = client_update(client=client, representation={}, actor=actor)
    except ClientPolicyError as exc:
        return REFUSED, f"refused: {exc.error_description or exc.error}"
    except ClientAccessDenied as exc:
        return REFUSED, f"refused: {exc.message}"
    return _described(before, secret_store.secret_rows_state(client=updated), dry_run=dry_run)


def _clients(ids: Iterable[str]) -> dict[str, Client]:
    return {str(pk): client for pk, client in Client.objects.select_related("realm").defer("realm__extras").in_bulk(list(ids)).items()}


def policy_apply_preview(*, realm: Realm, policy: ClientPolicy, actor: Actor | None) -> list[Outcome]:
    """For each client ``policy`` selects now, what an update would do to it. Writes nothing."""
    matches = selectors.policy_matching_clients(realm=realm, policy=policy, actor=actor)
    outcomes = []
    with transaction.atomic():
        for start in range(0, len(matches), CHUNK):
            chunk = matches[start : start + CHUNK]
            clients = _clients(m.id for m in chunk)
            for match in chunk:
                client = clients.get(match.id)
                if client is None:
                    continue  # deleted meanwhile
                savepoint = transaction.savepoint()
                try:
                    outcome, detail = _update(client, actor, dry_run=True)
                finally:
                    transaction.savepoint_rollback(savepoint)
                outcomes.append(Outcome(match.id, match.client_id, outcome, detail))
        transaction.set_rollback(True)
    return outcomes


# --- the job ----------------------------------------------------------------------------------


def _actor_dict(actor: Actor | None) -> dict:
    if actor is None:
        return {}
    data = dataclasses.asdict(actor)
    data["roles"] = sorted(actor.roles) if actor.roles is not None else None
    return data


def job_actor(job: Job) -> Actor | None:
    if not job.actor:
        return None
    data = dict(job.actor)
    if data.get("roles") is not None:
        data["roles"] = frozenset(data["roles"])
    return Actor(**data)


def job_create(*, realm: Realm, policy: ClientPolicy, actor: Actor | None) -> Job:
    """A queued job for the clients ``policy`` selects now. ``JobAlreadyRunning`` when the realm
    has a job queued or running (the database's unique index decides, whatever the race)."""
    matches = selectors.policy_matching_clients(realm=realm, policy=policy, actor=actor)
    try:
        with transaction.atomic():
            return Job.objects.create(
                realm=realm,
                policy_name=policy.name,
                total=len(matches),
                targets=[m.id for m in matches],
                outcomes={EXPIRY_SET: 0, ROTATED: 0, UNCHANGED: 0, REFUSED: 0},
                actor=_actor_dict(actor),
                created_by=(actor.username or actor.client_id or "") if actor else "",
                created_at=clock.epoch(),
            )
    except IntegrityError as exc:
        raise JobAlreadyRunning(selectors.job_active(realm=realm)) from exc


def _job_locked(pk: int) -> Job:
    return Job.objects.select_for_update().get(pk=pk)


def _client_apply(job_pk: int, client_pk: str, actor: Actor | None) -> None:
    """One client, in one transaction with its result row and the job's counters."""
    with transaction.atomic():
        job = _job_locked(job_pk)
        if job.results.filter(client_pk=client_pk).exists():
            return  # already done by an earlier run of this job
        client = _clients([client_pk]).get(client_pk)
        if client is None:
            outcome, detail, client_id = UNCHANGED, "no change: the client was deleted", ""
        else:
            client_id = client.client_id
            outcome, detail = _update(client, actor, dry_run=False)
        JobResult.objects.create(job=job, client_pk=client_pk, client_id=client_id, outcome=outcome, detail=detail)
        job.done += 1
        job.outcomes = {**job.outcomes, outcome: job.outcomes.get(outcome, 0) + 1}
        job.save(update_fields=["done", "outcomes"])


def job_chunk_run(*, job_pk: int, enqueue_next: Callable[[], object], size: int = CHUNK) -> int:
    """Update the job's next ``size`` clients that have no result yet, and return how many were
    updated. When some remain, ``enqueue_next`` queues the task that carries on, before this one
    starts and in the same transaction that marks the job running: a worker that dies midway
    leaves that task waiting in the database, and it picks up whatever has no result. When none
    remain the job has finished."""
    with transaction.atomic():
        job = _job_locked(job_pk)
        if not job.active:
            return 0
        seen = set(job.results.values_list("client_pk", flat=True))
        pending = [pk for pk in job.targets if pk not in seen]
        if not pending:
            job.status, job.finished_at = Job.FINISHED, clock.epoch()
            job.save(update_fields=["status", "finished_at"])
            return 0
        if job.status == Job.QUEUED:
            job.status, job.started_at = Job.RUNNING, clock.epoch()
            job.save(update_fields=["status", "started_at"])
        enqueue_next()
    actor = job_actor(job)
    for client_pk in pending[:size]:
        _client_apply(job.pk, client_pk, actor)
    return min(size, len(pending))


def job_fail(*, job_pk: int, error: str) -> None:
    with transaction.atomic():
        Job.objects.filter(pk=job_pk, status__in=Job.ACTIVE).update(status=Job.FAILED, finished_at=clock.epoch(), error=error[:1000])


# --- bulk actions on the Clients list -------------------------------------------------------------

BULK_REGENERATE, BULK_INVALIDATE = "regenerate", "invalidate"
BULK_ACTIONS = {BULK_REGENERATE: "Re-generate secrets", BULK_INVALIDATE: "Invalidate rotated secrets"}
BULK_MAX = 1000  # clients one bulk action may name


def clients_selected(*, realm: Realm, ids: Iterable[str]) -> list[Client]:
    """The realm's clients among ``ids`` (anything that is not an id is ignored), by Client ID."""
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return list(Client.objects.filter(realm=realm, pk__in=wanted[:BULK_MAX]).select_related("realm").defer("realm__extras").order_by("client_id"))


def clients_searched(*, realm: Realm, search: str) -> QuerySet[Client]:
    """Every client of the realm that the Clients list's ``search`` finds (all of its pages, the
    list's own rule), by Client ID: what "select all results of the search" names."""
    return client_list(realm=realm, search=search).select_related("realm")


def _bulk_one(client: Client, action: str, actor: Actor | None) -> tuple[str, str]:
    try:
        if action == BULK_REGENERATE:
            client_secret_regenerate(client=client, actor=actor)  # the new value is never shown here
            current, rotated = secret_store.secret_rows_fresh(client=client)
            kept = f"; the old one stays valid until {_when(rotated.expiration_time)}" if rotated is not None and rotated.expiration_time else ""
            return "regenerated", f"new secret generated{kept}"
        removed = client_rotated_secret_invalidate(client=client, actor=actor)
        return ("invalidated", "rotated secret invalidated") if removed else (UNCHANGED, "no rotated secret")
    except ClientPolicyError as exc:
        return REFUSED, f"refused: {exc.error_description or exc.error}"
    except (ClientAccessDenied, ClientHasNoSecret) as exc:
        return REFUSED, f"refused: {exc.message}"


def clients_bulk_apply(*, clients: Iterable[Client], action: str, actor: Actor | None) -> list[Outcome]:
    """``action`` on each client through its own service (its lock, policies, admin event and
    webhook), one transaction per client: a refusal for one leaves the others done."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    outcomes = []
    for client in clients:
        outcome, detail = _bulk_one(client, action, actor)
        outcomes.append(Outcome(str(client.pk), client.client_id, outcome, detail))
    return outcomes
