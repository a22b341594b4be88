"""Two workers at once (on PostgreSQL, two connections sweeping at the same moment): each
warning is sent once and each secret rotated once."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from clients import secrets as secret_store
from clients.models import ClientSecret
from expiry import services, tasks
from expiry.models import AutoRotation, SecretWarning
from realms.models import AdminEvent
from realms.services import realm_create
from tests.expiry.conftest import ACTOR, DAY, EXPIRES, at, run_worker
from tests.oidc.conftest import rotation_policy

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="row locks need PostgreSQL (runs in the PostgreSQL pass of make test)"),
    pytest.mark.django_db(transaction=True),
]
CLIENTS = 6


def in_threads(work, count: int = 2) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.fixture
def two_realms(realm, make_client):
    """acme warns only; rotating rotates automatically. Three clients each, expiring together."""
    rotating = realm_create(name="rotating", access_token_lifespan=300)
    rotation_policy(rotating, expiration=60 * DAY, rotated=2 * DAY, remaining=DAY)
    services.expiry_settings_update(
        realm=rotating, actor=ACTOR, warn_before=[DAY], auto_rotate=True, auto_rotate_before=2 * DAY, email_recipients=[]
    )
    warned = [make_client(f"warned-{n}") for n in range(CLIENTS // 2)]
    rotated = [make_client(f"rotated-{n}", realm_=rotating) for n in range(CLIENTS // 2)]
    for client in rotated:
        client.original = secret_store.secret_value(secret_store.secret_rows(client)[0])
    return warned, rotated


def assert_once_each(warned, rotated, sent):
    assert SecretWarning.objects.count() == len(warned)
    assert sorted(data["clientId"] for event_type, data in sent if event_type == "client.secret.expiring") == sorted(c.client_id for c in warned)
    assert AdminEvent.objects.filter(resource_type="CLIENT_SECRET_EXPIRY").count() == len(warned)
    assert AutoRotation.objects.filter(succeeded=True).count() == len(rotated)
    assert [event_type for event_type, _ in sent].count("client.secret.rotated") == len(rotated)
    for client in rotated:
        current, old = secret_store.secret_rows(client)
        assert secret_store.secret_value(old) == client.original  # rotated once: the rotated secret is the original
        assert current.created_time == EXPIRES - DAY
        regenerations = AdminEvent.objects.filter(resource_type="CLIENT", operation_type="ACTION", resource_path=f"clients/{client.pk}/client-secret")
        assert regenerations.count() == 1
    assert ClientSecret.objects.filter(kind="current").count() == CLIENTS


def test_two_sweeps_at_once_warn_once_and_rotate_once(two_realms, sent):
    warned, rotated = two_realms
    with at(EXPIRES - DAY):
        in_threads(services.sweep_run)
    assert_once_each(warned, rotated, sent)


def test_two_workers_with_two_pending_sweeps_do_the_work_once(two_realms, sent):
    warned, rotated = two_realms
    with at(EXPIRES - DAY):
        tasks.sweep_ensure_scheduled()
        tasks.expiry_sweep.enqueue()  # a second chain
        # Two workers in two threads: only the main thread may install signal handlers.
        with mock.patch.object(Worker, "configure_signals"):
            in_threads(run_worker)
    assert_once_each(warned, rotated, sent)


def test_two_sweeps_at_once_share_the_per_minute_limit(two_realms, sent, settings):
    settings.ROTATION_MAX_PER_MINUTE = 2
    _warned, rotated = two_realms
    with at(EXPIRES - DAY):
        in_threads(services.sweep_run)
    # Counted and written under one lock: two sweeps together rotate no more than one may.
    assert AutoRotation.objects.filter(succeeded=True).count() == 2
    assert [event_type for event_type, _ in sent].count("client.secret.rotated") == 2
