"""``eventsExpiration`` applied by the worker: each realm's login events older than its setting are
deleted with every sweep; admin events and realms without a setting keep theirs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realms.events import admin_event_record, login_event_record
from realms.models import AdminEvent, LoginEvent
from realms.services import login_events_expire
from tests.expiry.conftest import EPOCH0, at, run_worker
from tests.factories import RealmFactory

pytestmark = pytest.mark.django_db

HOUR = 3600


def login(realm, client_id):
    return login_event_record(realm=realm, client_id=client_id, success=False, error="invalid_client")


def test_the_worker_deletes_login_events_past_each_realms_expiration(master):
    short = RealmFactory(name="short", events_expiration=HOUR)
    keep = RealmFactory(name="keep")  # 0: for ever, as Keycloak
    with at(EPOCH0):
        login(short, "old")
        login(keep, "old")
        admin_event_record(realm=short, operation="UPDATE", resource_type="REALM", resource_path="", actor=None)
    with at(EPOCH0 + HOUR - 60):
        login(short, "recent")
    with at(EPOCH0 + HOUR - 1):
        run_worker()
    assert LoginEvent.objects.filter(realm=short).count() == 2  # not yet an hour old
    with at(EPOCH0 + HOUR + 60):  # the next sweep (one a minute)
        run_worker()
    assert list(LoginEvent.objects.filter(realm=short).values_list("client_id", flat=True)) == ["recent"]
    assert LoginEvent.objects.filter(realm=keep).count() == 1
    assert AdminEvent.objects.filter(realm=short).count() == 1  # eventsExpiration is for login events only


def test_one_read_and_one_delete_per_realm_with_a_setting(master):
    realms = [RealmFactory(name=f"r{i}", events_expiration=60) for i in range(3)]
    RealmFactory.create_batch(5)  # no setting: not even read per realm
    with at(EPOCH0):
        for realm in realms:
            login(realm, "old")
            login(realm, "old")
    with at(EPOCH0 + 61), CaptureQueriesContext(connection) as queries:
        assert login_events_expire() == 6
    assert len(queries) == 1 + len(realms)
    assert not LoginEvent.objects.exists()
