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


@task(queue_name="default", takes_context=True)
def expiry_sweep(context) -> dict:
    """Warn before client secrets expire, rotate them automatically, email each realm; then
    delete the login events older than each realm's ``eventsExpiration``."""
    if not sweep_claim(str(context.task_result.id)):
        return {"skipped": True}
    result = services.sweep_run().as_dict()
    result["login_events_expired"] = login_events_expire()
    return result
