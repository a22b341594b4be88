"""Throttling of failed client authentications per presented client_id (realms.throttle)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from realms.models import ClientAuthFailure
from realms.throttle import (
    client_auth_throttle_check,
    client_auth_throttle_fail,
    client_auth_throttle_success,
)

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
LIMITS = {"CLIENT_AUTH_FAILURE_LIMIT": 3, "CLIENT_AUTH_FAILURE_WINDOW": 60, "CLIENT_AUTH_LOCKOUT_SECONDS": 120}


def at(seconds: int):
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


@pytest.fixture(autouse=True)
def limits(settings):
    for name, value in LIMITS.items():
        setattr(settings, name, value)


class TestThrottle:
    def test_locks_after_the_limit_and_says_for_how_long(self, master):
        with at(0):
            assert client_auth_throttle_fail(realm=master, client_id="app", ip="1.1.1.1") is None
            assert client_auth_throttle_fail(realm=master, client_id="app", ip="1.1.1.2") is None
            assert client_auth_throttle_check(realm=master, client_id="app") is None
            started = client_auth_throttle_fail(realm=master, client_id="app", ip="1.1.1.3")
            assert started is not None and started.retry_after == 120
        with at(30):
            blocked = client_auth_throttle_check(realm=master, client_id="app", ip="9.9.9.9")
            assert blocked is not None and blocked.retry_after == 90
            response = blocked.response()
            assert response.status_code == 429
            assert response["Retry-After"] == "90"
            assert response.content == b'{"error":"invalid_client","error_description":"Too many failed client authentications; try again later"}'
        with at(121):
            assert client_auth_throttle_check(realm=master, client_id="app") is None

    def test_failures_outside_the_window_do_not_add_up(self, master):
        with at(0):
            client_auth_throttle_fail(realm=master, client_id="app")
            client_auth_throttle_fail(realm=master, client_id="app")
        with at(61):
            assert client_auth_throttle_fail(realm=master, client_id="app") is None
            assert client_auth_throttle_check(realm=master, client_id="app") is None

    def test_unknown_client_ids_are_throttled_the_same_way(self, master):
        from clients.models import Client

        assert not Client.objects.filter(client_id="no-such-client").exists()
        with at(0):
            for _ in range(3):
                client_auth_throttle_fail(realm=master, client_id="no-such-client")
            blocked = client_auth_throttle_check(realm=master, client_id="no-such-client")
            assert blocked is not None and blocked.retry_after == 120

    def test_per_client_and_per_realm(self, master):
        from realms.services import realm_create

        other = realm_create(name="other")
        with at(0):
            for _ in range(3):
                client_auth_throttle_fail(realm=master, client_id="app")
            assert client_auth_throttle_check(realm=master, client_id="app")
            assert client_auth_throttle_check(realm=master, client_id="app2") is None
            assert client_auth_throttle_check(realm=other, client_id="app") is None
            assert client_auth_throttle_check(realm="master", client_id="app")  # by name too

    def test_success_forgets_failures_but_not_a_lockout_in_force(self, master):
        with at(0):
            client_auth_throttle_fail(realm=master, client_id="app")
            client_auth_throttle_fail(realm=master, client_id="app")
            client_auth_throttle_success(realm=master, client_id="app")
            assert client_auth_throttle_fail(realm=master, client_id="app") is None  # count restarted
            client_auth_throttle_fail(realm=master, client_id="app")
            client_auth_throttle_fail(realm=master, client_id="app")
            client_auth_throttle_success(realm=master, client_id="app")
            assert client_auth_throttle_check(realm=master, client_id="app")

    def test_failures_during_a_lockout_do_not_extend_it(self, master):
        with at(0):
            for _ in range(3):
                client_auth_throttle_fail(realm=master, client_id="app")
        with at(100):
            assert client_auth_throttle_fail(realm=master, client_id="app") is None
        with at(121):
            assert client_auth_throttle_check(realm=master, client_id="app") is None

    def test_stale_rows_are_swept_so_made_up_ids_cannot_pile_up(self, master):
        with at(0):
            for i in range(20):
                client_auth_throttle_fail(realm=master, client_id=f"made-up-{i}")
        assert ClientAuthFailure.objects.count() == 20
        with at(500):
            client_auth_throttle_fail(realm=master, client_id="one-more")
        assert list(ClientAuthFailure.objects.values_list("client_id", flat=True)) == ["one-more"]

    def test_absurd_client_ids_are_cut_not_errors(self, master):
        with at(0):
            for _ in range(3):
                client_auth_throttle_fail(realm=master, client_id="x" * 5000)
            assert client_auth_throttle_check(realm=master, client_id="x" * 5000)
            client_auth_throttle_fail(realm=master, client_id=None)
            client_auth_throttle_fail(realm=master, client_id="")


def test_reset_command_lifts_a_lockout(master):
    from io import StringIO

    from django.core.management import call_command

    with at(0):
        for client_id in ("app", "other"):
            for _ in range(3):
                client_auth_throttle_fail(realm=master, client_id=client_id)
        out = StringIO()
        call_command("client_auth_reset", "master", "app", stdout=out)
        assert "Reset 1" in out.getvalue()
        assert client_auth_throttle_check(realm=master, client_id="app") is None
        assert client_auth_throttle_check(realm=master, client_id="other") is not None
        call_command("client_auth_reset", "master", stdout=StringIO())
        assert client_auth_throttle_check(realm=master, client_id="other") is None
