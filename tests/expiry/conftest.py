"""Fixtures for the secret-expiry tests: a realm with a 60-day rotation policy, a client whose
secret expires at T0 + 60 days, and the worker run for real (django-tasks-db's worker, batch mode)."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.db import close_old_connections, connection

from clients.services import client_create
from clients.signals import secret_event
from realms.actor import Actor
from tests.api.conftest import anonymous, api, api_as  # noqa: F401  (the Admin API fixtures, for test_settings)

DAY = 86400
T0 = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)
EPOCH0 = int(T0.timestamp())
LIFETIME = 60 * DAY  # the policy's Secret Expiration
ROTATED = 2 * DAY  # its Rotated Secret Expiration
EXPIRES = EPOCH0 + LIFETIME  # the first client's secret expiry
ACTOR = Actor(source="console", username="admin")


def at(epoch: int):
    """Freeze the one clock at ``epoch`` (seconds)."""
    return time_machine.travel(dt.datetime.fromtimestamp(epoch, tz=dt.UTC), tick=False)


def run_worker(**options) -> str:
    """Run the background worker until nothing is due (the command ``make run`` starts), and
    return what it printed. ``options`` go to the command (``max_tasks=1``: a worker that stops
    after one task)."""
    out = io.StringIO()
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections", _close_outside_test_transaction):
        call_command("run_worker", batch=True, startup_delay=False, reload=False, verbosity=1, stdout=out, **options)
    return out.getvalue()


def _close_outside_test_transaction() -> None:
    """The worker closes stale connections between tasks; inside a test's transaction (which it
    sees as a connection in the wrong autocommit mode) that would end the test's transaction."""
    if not connection.in_atomic_block:
        close_old_connections()


@pytest.fixture
def realm(db):
    from realms.services import realm_create
    from tests.oidc.conftest import rotation_policy

    realm = realm_create(name="acme", access_token_lifespan=300)
    rotation_policy(realm, expiration=LIFETIME, rotated=ROTATED, remaining=DAY)
    return realm


@pytest.fixture
def make_client(realm):
    def make(client_id: str = "svc", *, when: int = EPOCH0, realm_=None):
        with at(when):
            return client_create(
                realm=realm_ or realm, representation={"clientId": client_id, "serviceAccountsEnabled": True}, actor=ACTOR
            )

    return make


@pytest.fixture
def sent():
    """Every ``secret_event`` sent while the test runs: (event_type, data)."""
    events = []

    def receiver(sender, event_type, data, **kwargs):
        events.append((event_type, data))

    secret_event.connect(receiver, dispatch_uid="tests.expiry.sent")
    yield events
    secret_event.disconnect(dispatch_uid="tests.expiry.sent")
