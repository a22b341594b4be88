"""The sweep as a django-tasks task on the database backend: a chain that re-enqueues itself
every ``ROTATION_SWEEP_INTERVAL`` seconds.

One row (``SweepSchedule``) names the pending sweep task. A sweep task locks it first (a row
lock on PostgreSQL; on SQLite the transaction's write lock) and goes on only if it is that task,
or if that task is no longer waiting; it then enqueues the next one and records its id, all in
the same transaction, before it sweeps. So however many workers run and however many chains were
started, one sweep runs per interval, and a sweep that fails midway still has its successor.
Everything is in the database: pending sweeps survive a restart. ``sweep_ensure_scheduled`` (run
when a worker starts) enqueues one when none is waiting.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from expiry import services
from expiry.models import SweepSchedule
from realms import clock
from realms.services import login_events_expire

READY = "READY"
FINISHED = ("SUCCESSFUL", "FAILED")
# Finished sweeps are kept this long (for the record), then removed: one sweep a minute would
# otherwise leave half a million rows a year.
KEEP_FINISHED = dt.timedelta(days=1)
# Every other finished task result (webhook attempts, job chunks) is kept ``TASK_RESULT_RETENTION``
# seconds, then removed a batch at a time: short statements that never hold a lock on the whole
# table, however large the backlog (the first sweep after an upgrade). What a sweep leaves over,
# the next one takes.
PRUNE_BATCH = 1000
PRUNE_MAX_BATCHES = 20


def _schedule_locked() -> SweepSchedule:
    schedule, _ = SweepSchedule.objects.select_for_update().get_or_create(pk=1)
    return schedule


def _waiting(task_id: str) -> bool:
    return bool(task_id) and DBTaskResult.objects.filter(id=task_id, status=READY).exists()


def _enqueue_next(schedule: SweepSchedule, *, delay: int) -> str:
    task_ = expiry_sweep.using(run_after=clock.now() + dt.timedelta(seconds=delay)) if delay else expiry_sweep
    result = task_.enqueue()
    schedule.task_id = str(result.id)
    return schedule.task_id


def sweep_ensure_scheduled() -> bool:
    """Enqueue a sweep to run now unless one is already waiting. ``True`` when one was enqueued."""
    with transaction.atomic():
        schedule = _schedule_locked()
        if _waiting(schedule.task_id):
            return False
        _enqueue_next(schedule, delay=0)
        schedule.save(update_fields=["task_id"])
    return True


def sweep_claim(task_id: str) -> bool:
    """May the sweep task ``task_id`` run? If so its successor is enqueued (committed) first."""
    with transaction.atomic():
        schedule = _schedule_locked()
        if schedule.task_id != task_id and _waiting(schedule.task_id):
            return False  # a duplicate chain: the pending sweep will run; this one ends here
        _enqueue_next(schedule, delay=settings.ROTATION_SWEEP_INTERVAL)
        schedule.last_run = clock.epoch()
        schedule.save(update_fields=["task_id", "last_run"])
    DBTaskResult.objects.filter(
        task_path=expiry_sweep.module_path, status__in=FINISHED, finished_at__lt=clock.now() - KEEP_FINISHED
    ).delete()
    return True


def task_results_prune() -> int:
    """Delete finished (succeeded or failed) task results older than ``TASK_RESULT_RETENTION``,
    at most ``PRUNE_MAX_BATCHES`` batches of ``PRUNE_BATCH`` rows; queued and running ones stay.

    django-tasks-db's ``prune_db_task_results`` command selects the same rows (its ``finished()``)
    but deletes them in one statement, whatever their number; this is its bounded form.
    """
    cutoff = clock.now() - dt.timedelta(seconds=settings.TASK_RESULT_RETENTION)
    old = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).order_by()
    deleted = 0
    for _ in range(PRUNE_MAX_BATCHES):
        ids = list(old.values_list("pk", flat=True)[:PRUNE_BATCH])
        if ids:
            deleted += old.filter(pk__in=ids).delete()[0]
        if len(ids) < PRUNE_BATCH:
            break
    return deleted


@task(queue_name="default", takes_context=True)
def expiry_sweep(context) -> dict:
    """Warn before client secrets expire, rotate them automatically, email each realm; then
    delete the login events older than each realm's ``eventsExpiration`` and the finished task
    results older than ``TASK_RESULT_RETENTION``."""
    if not sweep_claim(str(context.task_result.id)):
        return {"skipped": True}
    result = services.sweep_run().as_dict()
    result["login_events_expired"] = login_events_expire()
    result["task_results_pruned"] = task_results_prune()
    return result
