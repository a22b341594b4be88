"""Finished task results (webhook attempts above all) are deleted by the sweep once they are older
than ``TASK_RESULT_RETENTION``, a bounded batch at a time; queued and running ones stay."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from expiry import tasks
from tests.expiry.conftest import DAY, EPOCH0, at, run_worker
from webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db

WEEK = 7 * DAY


def attempt(when: int, state: str) -> str:
    """A webhook attempt enqueued at ``when`` and taken to ``state`` by the library's own steps."""
    with at(when):
        row = DBTaskResult.objects.get(id=webhook_deliver.enqueue(1, 1).id)
        if state != "READY":
            row.claim("worker-1")
        if state == "SUCCESSFUL":
            row.set_successful("delivered")
        elif state == "FAILED":
            row.set_failed(RuntimeError("receiver down"))
    return str(row.id)


def left(ids) -> set[str]:
    return {str(pk) for pk in DBTaskResult.objects.filter(id__in=ids).values_list("id", flat=True)}


def test_old_finished_results_go_recent_and_unfinished_ones_stay(settings):
    settings.TASK_RESULT_RETENTION = WEEK
    old_done, old_failed = attempt(EPOCH0, "SUCCESSFUL"), attempt(EPOCH0, "FAILED")
    old_waiting, old_running = attempt(EPOCH0, "READY"), attempt(EPOCH0, "RUNNING")
    recent_done, recent_failed = attempt(EPOCH0 + 2 * DAY, "SUCCESSFUL"), attempt(EPOCH0 + 2 * DAY, "FAILED")
    everything = [old_done, old_failed, old_waiting, old_running, recent_done, recent_failed]
    with at(EPOCH0 + WEEK - 60):
        assert tasks.task_results_prune() == 0  # not a week old yet
    with at(EPOCH0 + WEEK + 60):
        assert tasks.task_results_prune() == 2
    assert left(everything) == {old_waiting, old_running, recent_done, recent_failed}
    with at(EPOCH0 + 2 * DAY + WEEK + 60):
        assert tasks.task_results_prune() == 2
    assert left(everything) == {old_waiting, old_running}


def test_a_backlog_goes_in_bounded_batches_over_several_sweeps(settings, monkeypatch):
    settings.TASK_RESULT_RETENTION = WEEK
    monkeypatch.setattr(tasks, "PRUNE_BATCH", 2)
    monkeypatch.setattr(tasks, "PRUNE_MAX_BATCHES", 2)
    done = [attempt(EPOCH0, "SUCCESSFUL") for _ in range(5)]
    waiting = attempt(EPOCH0, "READY")
    with at(EPOCH0 + WEEK + 60), CaptureQueriesContext(connection) as queries:
        assert tasks.task_results_prune() == 4
    deletes = [q["sql"] for q in queries if q["sql"].upper().startswith("DELETE")]
    assert len(deletes) == 2 and len(queries) == 4  # two batches: the ids, then their DELETE
    assert len(left(done)) == 1
    with at(EPOCH0 + WEEK + 120):
        assert tasks.task_results_prune() == 1
    assert left([*done, waiting]) == {waiting}


def test_the_sweep_run_by_the_worker_prunes(settings, make_client):
    settings.TASK_RESULT_RETENTION = WEEK
    make_client()
    old, recent = attempt(EPOCH0 - WEEK - DAY, "FAILED"), attempt(EPOCH0 - DAY, "SUCCESSFUL")
    with at(EPOCH0):
        run_worker(queue_name="default")
    assert left([old, recent]) == {recent}
    [sweep] = DBTaskResult.objects.filter(task_path="expiry.tasks.expiry_sweep", status="SUCCESSFUL")
    assert sweep.return_value["task_results_pruned"] == 1


@pytest.mark.parametrize("value", ["-1", "a week"])
def test_a_bad_retention_stops_the_start(value):
    env = {**os.environ, "TASK_RESULT_RETENTION": value, "DJANGO_SETTINGS_MODULE": "adminconsole.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.TASK_RESULT_RETENTION)"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "TASK_RESULT_RETENTION must be a whole number of seconds, 0 or more" in result.stderr
