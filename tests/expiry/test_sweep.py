"""The sweep, run by the real worker: one warning per secret and threshold as time crosses each,
never repeated; fresh warnings for a new secret; events for the console; batched reads; the
sweep's single chain."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from clients.models import ClientSecret
from clients.secrets import secret_value
from clients.services import client_secret_regenerate
from expiry import services, tasks
from expiry.models import SecretWarning
from realms.models import AdminEvent
from tests.expiry.conftest import ACTOR, DAY, EPOCH0, EXPIRES, LIFETIME, at, run_worker
from tests.factories import RealmFactory

pytestmark = pytest.mark.django_db

EXPIRING, EXPIRED = "client.secret.expiring", "client.secret.expired"


def warnings_of(sent) -> list[tuple[str, int | None]]:
    return [(event_type, data.get("threshold")) for event_type, data in sent if event_type in (EXPIRING, EXPIRED)]


class TestWarnings:
    def test_one_warning_per_threshold_as_time_crosses_each_never_repeated(self, make_client, sent):
        svc = make_client()
        steps = [
            (EPOCH0, []),
            (EXPIRES - 30 * DAY - 60, []),  # sweeps run ROTATION_SWEEP_INTERVAL (60 s) apart
            (EXPIRES - 30 * DAY, [(EXPIRING, 30 * DAY)]),
            (EXPIRES - 30 * DAY + 60, []),
            (EXPIRES - 8 * DAY, []),
            (EXPIRES - 7 * DAY + 30, [(EXPIRING, 7 * DAY)]),
            (EXPIRES - 7 * DAY + 90, []),
            (EXPIRES - DAY + 5, [(EXPIRING, DAY)]),
            (EXPIRES - 60, []),
            (EXPIRES, []),  # still valid at its expiry's exact second
            (EXPIRES + 60, [(EXPIRED, None)]),
            (EXPIRES + 120, []),
            (EXPIRES + 10 * DAY, []),
        ]
        everything = []
        for when, expected in steps:
            sent.clear()
            with at(when):
                run_worker()
            assert warnings_of(sent) == expected, when
            everything.extend(sent)
        assert SecretWarning.objects.filter(client=svc).count() == 4
        # The payload names the secret's expiry, never a secret.
        assert len(everything) == 4
        assert all(data["expiresAt"] == EXPIRES and data["clientId"] == "svc" for _, data in everything)

    def test_each_warning_is_an_admin_event_by_the_system_without_a_secret(self, make_client, sent):
        svc = make_client()
        value = secret_value(ClientSecret.objects.get(client=svc, kind="current"))
        for when in (EXPIRES - 7 * DAY, EXPIRES + 1):
            with at(when):
                run_worker()
        events = list(AdminEvent.objects.filter(resource_type="CLIENT_SECRET_EXPIRY").order_by("time"))
        assert [(e.operation_type, e.resource_path, e.source, json.loads(e.representation)) for e in events] == [
            ("ACTION", f"clients/{svc.pk}/client-secret", "system", {"warning": "expiring", "expiresAt": EXPIRES, "threshold": 7 * DAY}),
            ("ACTION", f"clients/{svc.pk}/client-secret", "system", {"warning": "expired", "expiresAt": EXPIRES}),
        ]
        assert all(value not in e.representation for e in events)
        assert all(e.auth_username == "" for e in events)

    def test_warnings_show_on_the_console_events_page(self, make_client, admin_client):
        make_client()
        with at(EXPIRES - 7 * DAY):
            run_worker()
        page = admin_client.get("/console/acme/events", {"resource_types": "CLIENT_SECRET_EXPIRY"})
        assert page.status_code == 200
        assert b"CLIENT_SECRET_EXPIRY" in page.content and b"expiring" in page.content

    def test_a_sweep_that_finds_several_thresholds_crossed_sends_the_nearest_only(self, make_client, sent):
        make_client()
        with at(EXPIRES - 2 * DAY):
            run_worker()
        assert warnings_of(sent) == [(EXPIRING, 7 * DAY)]
        sent.clear()
        with at(EXPIRES - 5 * DAY):  # the 30-day one, skipped, is never sent late
            run_worker()
        assert warnings_of(sent) == []

    def test_a_new_secret_after_regenerate_gets_fresh_warnings(self, make_client, sent):
        svc = make_client()
        with at(EXPIRES - 7 * DAY):
            run_worker()
        assert warnings_of(sent) == [(EXPIRING, 7 * DAY)]
        regenerated = EXPIRES - 5 * DAY
        with at(regenerated):
            client_secret_regenerate(client=svc, actor=ACTOR)
        sent.clear()
        with at(regenerated + 60):
            run_worker()
        assert warnings_of(sent) == []  # the new secret expires in 60 days
        new_expiry = regenerated + LIFETIME
        with at(new_expiry - 30 * DAY):
            run_worker()
        assert warnings_of(sent) == [(EXPIRING, 30 * DAY)]
        assert sent[-1][1]["expiresAt"] == new_expiry

    def test_thresholds_are_the_realms(self, realm, make_client, sent):
        services.expiry_settings_update(
            realm=realm, actor=ACTOR, warn_before=[3600], auto_rotate=False, auto_rotate_before=DAY, email_recipients=[]
        )
        make_client()
        for when in (EXPIRES - 30 * DAY, EXPIRES - DAY, EXPIRES - 3600):
            with at(when):
                run_worker()
        assert warnings_of(sent) == [(EXPIRING, 3600)]

    def test_secrets_without_expiry_and_public_clients_get_nothing(self, realm, sent):
        from clients.services import client_create

        with at(EPOCH0):
            other = RealmFactory(name="no-policy")
            client_create(realm=other, representation={"clientId": "plain"}, actor=ACTOR)
            client_create(realm=realm, representation={"clientId": "spa", "publicClient": True}, actor=ACTOR)
        with at(EPOCH0 + 400 * DAY):
            run_worker()
        assert warnings_of(sent) == []


class TestBatchedReads:
    @pytest.mark.parametrize("count", [5, 50])
    def test_a_sweep_reads_the_same_number_of_queries_whatever_the_number_of_quiet_clients(self, make_client, count):
        for number in range(count):
            make_client(f"app-{number}")
        with at(EXPIRES - 30 * DAY):
            assert services.sweep_run().warnings == count
        # Already warned, or not due: nothing to write, and the reads do not grow with the clients.
        with at(EXPIRES - 30 * DAY + 60), CaptureQueriesContext(connection) as queries:
            report = services.sweep_run()
        assert report.warnings == 0
        assert len(queries) == 2  # settings, the candidates (one joined query); the limit is counted per rotation


def sweeps_run() -> int:
    return DBTaskResult.objects.filter(task_path="expiry.tasks.expiry_sweep", status="SUCCESSFUL").count()


class TestSchedule:
    def test_the_worker_schedules_one_sweep_per_interval(self, make_client, settings):
        settings.ROTATION_SWEEP_INTERVAL = 60
        make_client()
        with at(EPOCH0):
            assert "Secret-expiry sweep scheduled" in run_worker()
        pending = DBTaskResult.objects.filter(task_path="expiry.tasks.expiry_sweep", status="READY")
        assert pending.count() == 1
        assert pending.get().run_after.timestamp() == EPOCH0 + 60
        assert sweeps_run() == 1
        with at(EPOCH0 + 30):  # not due yet: nothing runs
            run_worker()
        assert sweeps_run() == 1
        with at(EPOCH0 + 60):
            run_worker()
        assert sweeps_run() == 2
        assert pending.count() == 1 and pending.get().run_after.timestamp() == EPOCH0 + 120

    def test_a_second_chain_steps_aside_and_dies_out(self, make_client):
        make_client()
        with at(EPOCH0):
            run_worker()
            tasks.expiry_sweep.enqueue()  # a stray chain (a second scheduler, an old deploy)
        with at(EPOCH0 + 60):
            run_worker()
        finished = DBTaskResult.objects.filter(task_path="expiry.tasks.expiry_sweep", status="SUCCESSFUL").order_by("finished_at")
        assert [r.return_value.get("skipped", False) for r in finished][-2:].count(True) == 1
        assert DBTaskResult.objects.filter(task_path="expiry.tasks.expiry_sweep", status="READY").count() == 1

    def test_pending_sweeps_survive_a_restart(self, make_client):
        """The pending sweep is a row: a worker started later (another process) runs it."""
        make_client()
        with at(EPOCH0):
            run_worker()
        assert tasks.sweep_ensure_scheduled() is False  # already waiting: nothing added
        waiting = DBTaskResult.objects.get(task_path="expiry.tasks.expiry_sweep", status="READY")
        with at(EXPIRES - 30 * DAY):
            assert "Secret-expiry sweep scheduled" not in run_worker()
        waiting.refresh_from_db()
        assert waiting.status == "SUCCESSFUL"
        assert SecretWarning.objects.count() == 1


def test_finished_sweeps_are_removed_after_a_day(make_client):
    with at(EPOCH0):
        run_worker()
    with at(EPOCH0 + 60):
        run_worker()
    assert sweeps_run() == 2
    with at(EPOCH0 + DAY + 120):
        run_worker()
    assert sweeps_run() == 1  # the two of the day before are gone; this one stays
