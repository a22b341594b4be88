"""Client authentication at the token and introspection endpoints: throttling and login events."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import time_machine

from realms.models import LoginEvent

pytestmark = pytest.mark.django_db

TOKEN = "/realms/master/protocol/openid-connect/token"
INTROSPECT = "/realms/master/protocol/openid-connect/token/introspect"
RIGHT = "right-secret-0123456789abcdefghij"
ROTATED = "rotated-secret-0123456789abcdefgh"
WRONG = "wrong-secret-guess-000000000000000"
T0 = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.CLIENT_AUTH_FAILURE_LIMIT = 3
    settings.CLIENT_AUTH_FAILURE_WINDOW = 60
    settings.CLIENT_AUTH_LOCKOUT_SECONDS = 120


@pytest.fixture
def app(master):
    from clients.services import client_create

    with time_machine.travel(T0, tick=False):
        client = client_create(
            realm=master,
            representation={"clientId": "app", "secret": RIGHT, "publicClient": False, "serviceAccountsEnabled": True},
            actor=None,
        )
    from oidc import keys

    keys.cache_forget_realm(master.pk)
    return client


def token(client, client_id="app", secret=RIGHT, basic=False, ip="192.0.2.10"):
    data = {"grant_type": "client_credentials"}
    headers = {"REMOTE_ADDR": ip}
    if basic:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    else:
        data.update(client_id=client_id, client_secret=secret)
    return client.post(TOKEN, data, **headers)


def at(seconds):
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


def test_lockout_after_failures_refuses_even_the_right_secret_then_ends(client, app):
    with at(10):
        for _ in range(3):
            assert token(client, secret=WRONG).status_code == 401
        locked = token(client, secret=RIGHT)
        assert locked.status_code == 429
        assert locked["Retry-After"] == "120"
        assert locked.json() == {"error": "invalid_client", "error_description": "Too many failed client authentications; try again later"}
        assert token(client, secret=RIGHT, basic=True).status_code == 429  # Basic auth: same client id, same lock
    with at(10 + 121):
        assert token(client, secret=RIGHT).status_code == 200


def test_unknown_client_id_is_throttled_alike(client, app):
    """The throttle adds nothing that tells an existing client from a made-up one: the lockout
    starts after as many failures and answers byte for byte the same. (The 401 bodies before it
    are Keycloak's: ``unauthorized_client`` for a wrong secret, ``invalid_client`` for an unknown
    client, keycloak-behaviour.md §2.1.)"""
    with at(10):
        existing = [token(client, client_id="app", secret=WRONG) for _ in range(4)]
        unknown = [token(client, client_id="ghost", secret=WRONG) for _ in range(4)]
    assert [r.status_code for r in existing] == [r.status_code for r in unknown] == [401, 401, 401, 429]
    assert existing[-1].content == unknown[-1].content
    assert existing[-1]["Retry-After"] == unknown[-1]["Retry-After"] == "120"


def test_introspection_counts_and_is_locked_too(client, app):
    with at(10):
        for _ in range(3):
            response = client.post(INTROSPECT, {"token": "x", "client_id": "app", "client_secret": WRONG})
            assert response.status_code == 401
        assert client.post(INTROSPECT, {"token": "x", "client_id": "app", "client_secret": RIGHT}).status_code == 429
        assert token(client).status_code == 429  # one lock per client id, whatever the endpoint


def test_lock_is_per_client_id(client, app, master):
    from clients.services import client_create

    with at(0):
        client_create(realm=master, representation={"clientId": "other", "secret": RIGHT, "serviceAccountsEnabled": True}, actor=None)
    with at(10):
        for _ in range(3):
            token(client, secret=WRONG)
        assert token(client).status_code == 429
        assert token(client, client_id="other").status_code == 200


def test_login_events_record_failures_and_which_secret_matched(client, app):
    from realms.clock import epoch
    from clients.secrets import secret_store_rotated

    with at(10):
        assert token(client, secret=WRONG, ip="192.0.2.1").status_code == 401
        assert token(client, secret=RIGHT, ip="192.0.2.2").status_code == 200
        secret_store_rotated(app, ROTATED, now=epoch(), expiration_time=epoch() + 3600)
        assert token(client, secret=ROTATED, ip="192.0.2.3").status_code == 200
    events = list(LoginEvent.objects.order_by("time", "id"))
    assert [(e.type, e.client_id, e.secret_used, e.ip_address) for e in events] == [
        ("CLIENT_LOGIN_ERROR", "app", "", "192.0.2.1"),
        ("CLIENT_LOGIN", "app", "current", "192.0.2.2"),
        ("CLIENT_LOGIN", "app", "rotated", "192.0.2.3"),
    ]
    assert events[0].error
    assert events[0].details["endpoint"] == "token"
    stored = repr(list(LoginEvent.objects.values()))
    for secret in (RIGHT, ROTATED, WRONG):
        assert secret not in stored


def test_throttle_state_is_in_the_database(client, app):
    from realms.models import ClientAuthFailure

    with at(10):
        for _ in range(3):
            token(client, secret=WRONG)
    row = ClientAuthFailure.objects.get(realm_name="master", client_id="app")
    assert row.locked_until == int((T0 + dt.timedelta(seconds=10 + 120)).timestamp())
