"""Throttling of failed client authentications per (client, source) and per client (realms.throttle)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from realms.models import ClientAuthFailure
from realms.throttle import (
    client_auth_failure_record,
    client_auth_lock_read,
    client_auth_source,
    client_auth_success,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)
LIMITS = {
    "CLIENT_AUTH_FAILURE_LIMIT": 3,
    "CLIENT_AUTH_CLIENT_CEILING": 5,
    "CLIENT_AUTH_FAILURE_WINDOW": 60,
    "CLIENT_AUTH_LOCKOUT_SECONDS": 120,
}
A, B = "198.51.100.1", "198.51.100.2"


def at(seconds: int):
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


@pytest.fixture(autouse=True)
def limits(settings):
    for name, value in LIMITS.items():
        setattr(settings, name, value)


def fail(realm, client_id="app", source=A, times=1):
    results = [client_auth_failure_record(realm=realm, client_id=client_id, source=source) for _ in range(times)]
    return results[-1]


def locked(realm, client_id="app", source=A):
    return client_auth_lock_read(realm=realm, client_id=client_id, source=source)


class TestThrottle:
    def test_locks_the_source_after_the_limit_and_says_for_how_long(self, master):
        with at(0):
            assert fail(master, times=2) is None
            assert locked(master) is None
            assert fail(master) is None  # the failure reaching the limit is answered as usual...
        with at(30):
            blocked = locked(master)  # ...and starts the lock
            assert blocked is not None and blocked.retry_after == 90
            assert fail(master).retry_after == 90  # a failure during the lock is answered 429
            response = blocked.response()
            assert response.status_code == 429
            assert response["Retry-After"] == "90"
            assert response.content == b'{"error":"invalid_client","error_description":"Too many failed client authentications; try again later"}'
        with at(121):
            assert locked(master) is None

    def test_another_source_is_not_locked(self, master):
        with at(0):
            fail(master, source=A, times=3)
            assert locked(master, source=A)
            assert locked(master, source=B) is None

    def test_the_ceiling_locks_every_source(self, master):
        with at(0):
            for i in range(5):  # 5 sources, one failure each: no source reaches its limit
                fail(master, source=f"203.0.113.{i}")
            blocked = locked(master, source=B)
            assert blocked is not None and blocked.retry_after == 120
            assert locked(master, client_id="other", source=B) is None

    def test_failures_outside_the_window_do_not_add_up(self, master):
        with at(0):
            fail(master, times=2)
        with at(61):
            assert fail(master) is None
            assert locked(master) is None

    def test_unknown_client_ids_count_per_source_in_one_row(self, master):
        with at(0):
            for _ in range(3):
                fail(master, client_id=None, source=A)
            assert ClientAuthFailure.objects.count() == 1
            assert locked(master, client_id=None, source=A).retry_after == 120
            assert locked(master, client_id=None, source=B) is None
            assert locked(master, client_id="app", source=A) is None  # real clients are not affected

    def test_per_client_and_per_realm(self, master):
        from realms.services import realm_create

        other = realm_create(name="other")
        with at(0):
            fail(master, times=3)
            assert locked(master)
            assert locked(master, client_id="app2") is None
            assert locked(other) is None
            assert client_auth_lock_read(realm="master", client_id="app", source=A)  # by name too

    def test_success_forgets_the_sources_failures_but_not_a_lockout_in_force(self, master):
        with at(0):
            fail(master, times=2)
            client_auth_success(realm=master, client_id="app", source=A)
            fail(master, times=2)
            assert locked(master) is None  # count restarted
            fail(master)
            client_auth_success(realm=master, client_id="app", source=A)
            assert locked(master)

    def test_failures_during_a_lockout_do_not_extend_it(self, master):
        with at(0):
            fail(master, times=3)
        with at(100):
            assert fail(master) is not None
        with at(121):
            assert locked(master) is None

    def test_stale_rows_are_swept(self, master):
        with at(0):
            for i in range(20):
                fail(master, source=f"203.0.113.{i}", client_id=f"app-{i}")
        assert ClientAuthFailure.objects.count() == 40  # per source, and each client's ceiling
        with at(500):
            fail(master, client_id=None, source=B)
        assert list(ClientAuthFailure.objects.values_list("client_id", "source")) == [("", B)]

    def test_absurd_client_ids_are_cut_not_errors(self, master):
        with at(0):
            fail(master, client_id="x" * 5000, times=3)
            assert locked(master, client_id="x" * 5000)


@pytest.mark.parametrize(
    ("ip", "source"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # one host owns its /64
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_source_key(ip, source):
    assert client_auth_source(ip) == source


def test_reset_command_lifts_a_lockout(master):
    from io import StringIO

    from django.core.management import call_command

    with at(0):
        for client_id in ("app", "other"):
            fail(master, client_id=client_id, times=3)
        out = StringIO()
        call_command("client_auth_reset", "master", "app", stdout=out)
        assert "Reset 2" in out.getvalue()  # the source's row and the client's ceiling
        assert locked(master, client_id="app") is None
        assert locked(master, client_id="other") is not None
        call_command("client_auth_reset", "master", stdout=StringIO())
        assert locked(master, client_id="other") is None
