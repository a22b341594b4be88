"""Console sign-in throttling: django-axes, database handler, username + address, 15 minutes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.utils.module_loading import import_string

from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db



LOCKED_TEXT = "Too many failed sign-in attempts"


def sign_in(client, password, username="admin", ip="203.0.113.5"):
    return client.post("/login", {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, times, **kwargs):
    for _ in range(times):
        response = sign_in(client, "wrong-password", **kwargs)
        assert response.status_code in (200, 429)
    return response


def test_configuration_is_database_backed_and_keyed_on_username_and_address():
    # The database handler, storing failed forms with their credentials masked (test_no_secret_at_rest).
    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_wrong_password_shows_the_normal_error_before_the_limit(client, admin_user, master):
    response = fail(client, 4)
    assert response.status_code == 200
    assert LOCKED_TEXT not in response.content.decode()
    assert "Please enter a correct username and password" in response.content.decode()


def test_fifth_failure_locks_out_even_the_right_password(client, admin_user, master):
    response = fail(client, 5)
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED_TEXT in body and "15 minutes" in body
    assert 'name="username"' in body and 'value="admin"' in body  # the sign-in form is still there
    assert int(response["Retry-After"]) == 15 * 60

    response = sign_in(client, ADMIN_PASSWORD)
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/console/master/realm-settings/").status_code == 302  # still signed out


def test_state_is_in_the_database_so_every_worker_sees_it(client, admin_user, master):
    fail(client, 5)
    attempt = AccessAttempt.objects.get(username="admin", ip_address="203.0.113.5")
    assert attempt.failures_since_start >= 5
    # A second test client is a different "worker": no shared memory, same database.
    from django.test import Client

    other = Client()
    assert sign_in(other, ADMIN_PASSWORD).status_code == 429


def test_lockout_is_per_username_and_address(client, admin_user, master, django_user_model):
    from tests.conftest import make_user

    make_user(django_user_model, "operator", ["view-realm"])
    fail(client, 5)
    # Same user from another address signs in.
    from django.test import Client

    elsewhere = Client()
    assert sign_in(elsewhere, ADMIN_PASSWORD, ip="198.51.100.9").status_code == 302
    # Another user from the locked address signs in.
    neighbour = Client()
    assert sign_in(neighbour, ADMIN_PASSWORD, username="operator").status_code == 302


def test_lockout_ends_after_fifteen_minutes(client, admin_user, master):
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        fail(client, 5)
        assert sign_in(client, ADMIN_PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert sign_in(client, ADMIN_PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = sign_in(client, ADMIN_PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_success_resets_the_count(client, admin_user, master):
    fail(client, 4)
    assert sign_in(client, ADMIN_PASSWORD).status_code == 302
    client.logout()
    response = fail(client, 4)
    assert response.status_code == 200  # 4 fresh failures, not 8


def test_test_client_login_without_request_still_works(client, admin_user, master):
    # authenticate() without a request (Django's test client, scripts) passes through the lockout check.
    assert client.login(username="admin", password=ADMIN_PASSWORD)


def test_password_grant_shares_the_lockout_and_answers_like_wrong_credentials(client, admin_user, master):
    from oidc import keys

    keys.cache_forget_realm(master.pk)

    def grant(password):
        return client.post(
            "/realms/master/protocol/openid-connect/token",
            {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": password},
            REMOTE_ADDR="203.0.113.5",
        )

    wrong = [grant("wrong-password") for _ in range(5)]
    assert [r.status_code for r in wrong] == [401] * 5
    locked = grant(ADMIN_PASSWORD)
    assert locked.status_code == 401
    assert locked.content == wrong[0].content == b'{"error":"invalid_grant","error_description":"Invalid user credentials"}'
    # The console sign-in from the same address is locked too: one count per username and address.
    assert sign_in(client, ADMIN_PASSWORD).status_code == 429
