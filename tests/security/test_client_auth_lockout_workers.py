"""A client-authentication lock holds in every worker, not only in the one that saw the failures.

PostgreSQL only: there every worker keeps client rows in memory (``oidc.client_cache``), and
the lock must still be read. The failures are made in this test process; the right secret is then
sent to workers that never saw a failure: first this process's own cache, then a gunicorn server
with several workers (a separate set of processes, as ``make run`` starts them).
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from clients import secrets as secret_store
from clients.models import ClientSecret
from oidc import client_cache
from realms.actor import Actor
from tests.waiting import NOTIFIED

TOKEN = "/realms/acme/protocol/openid-connect/token"
WRONG = "wrong-secret-guess-000000000000000"
ACTOR = Actor(source="console", username="admin")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def svc(db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the per-worker client cache needs PostgreSQL (LISTEN/NOTIFY)")
    from clients.services import client_create
    from realms.services import realm_create

    settings.CLIENT_AUTH_FAILURE_LIMIT = 3
    client_cache.clear()
    realm = realm_create(name="acme")
    yield client_create(realm=realm, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)
    client_cache.clear()


def secret_of(svc) -> str:
    return secret_store.secret_value(secret_store.secret_get(svc, ClientSecret.CURRENT))


def grant(client, secret: str, ip: str = "127.0.0.1"):
    return client.post(TOKEN, {"grant_type": "client_credentials", "client_id": "svc", "client_secret": secret}, REMOTE_ADDR=ip)


def test_a_worker_with_the_client_cached_reads_a_lock_it_did_not_see(client, svc):
    from clients.authentication import client_auth_failures_mark
    from clients.models import Client
    from realms.throttle import client_auth_failure_record, client_auth_horizon

    secret = secret_of(svc)
    assert grant(client, secret).status_code == 200
    client_cache.sync(timeout=NOTIFIED)  # the last_used_time write notifies too
    assert grant(client, secret).status_code == 200  # answered from the cache
    # Another worker records three failures from 127.0.0.1 (what its failure path writes).
    client_auth_failures_mark(Client.objects.get(pk=svc.pk), until=client_auth_horizon())
    for _ in range(3):
        client_auth_failure_record(realm="acme", client_id="svc", source="127.0.0.1")
    assert client_cache.sync()
    assert grant(client, secret).status_code == 429
    assert grant(client, secret, ip="192.0.2.44").status_code == 200


@pytest.fixture
def fast_password_hashing():
    """The gunicorn subprocess reads the real settings; no password is checked here anyway."""


@pytest.mark.skipif(
    not os.environ.get("PG_TEST_CLUSTER_DIR") or "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="needs the PostgreSQL test cluster (PG_TEST_CLUSTER_DIR), as in make test's PostgreSQL pass",
)
def test_gunicorn_workers_that_saw_no_failure_refuse_the_locked_address(client, svc, tmp_path):
    import requests

    from tests.security.test_db_restart import WORKERS, Server

    secret = secret_of(svc)
    server = Server(tmp_path)
    try:
        assert server.ready.wait(60), "gunicorn did not start:\n" + "".join(server.log)
        url = f"{server.url}{TOKEN}"
        form = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": secret}
        for _ in range(4 * WORKERS):  # every worker has the client in its cache
            assert requests.post(url, data=form, timeout=30).status_code == 200
        for _ in range(3):  # the failures happen in this process, never in a gunicorn worker
            assert grant(client, WRONG).status_code == 401
        statuses = [requests.post(url, data=form, timeout=30).status_code for _ in range(4 * WORKERS)]
        assert statuses == [429] * len(statuses)
    finally:
        server.stop()
