"""The per-worker client cache of the token endpoint (PostgreSQL LISTEN/NOTIFY).

On SQLite the cache is off and every lookup queries; these tests need PostgreSQL (make test's
second pass) and committed transactions, since notifications are sent at commit.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from adminconsole.actor import Actor
from clients import secrets as secret_store
from clients.models import ClientSecret
from clients.oidc import client_cache
from clients.services import client_rotated_secret_invalidate, client_secret_regenerate, client_update
from tests.oidc.conftest import rotation_policy

ACTOR = Actor(source="console", username="admin")
TOKEN = "/realms/acme/protocol/openid-connect/token"


def grant(client, secret: str, client_id: str = "svc"):
    return client.post(TOKEN, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def current(svc) -> str:
    return secret_store.secret_value(secret_store.secret_get(svc, ClientSecret.CURRENT))


@pytest.fixture
def cached(db):
    if connection.vendor != "postgresql":
        pytest.skip("the client cache needs PostgreSQL (LISTEN/NOTIFY)")
    client_cache.clear()
    yield
    client_cache.clear()


@pytest.mark.django_db(transaction=True)
class TestCommittedChanges:
    @pytest.fixture
    def svc(self, cached):
        from adminconsole.services import realm_create
        from clients.services import client_create

        realm = realm_create(name="acme")
        rotation_policy(realm, expiration=3600, rotated=600, remaining=60)
        return client_create(realm=realm, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)

    def test_second_grant_is_answered_from_the_cache(self, client, svc):
        from django.test.utils import CaptureQueriesContext

        secret = current(svc)
        assert grant(client, secret).status_code == 200
        client_cache.sync(timeout=0.5)  # the last_used_time write notifies too
        assert grant(client, secret).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert grant(client, secret).status_code == 200
        assert not [q for q in ctx.captured_queries if "clients_clientsecret" in q["sql"]]

    def test_invalidated_rotated_secret_is_refused_in_every_worker(self, client, svc):
        old = current(svc)
        new = client_secret_regenerate(client=svc, actor=ACTOR)
        assert grant(client, old).status_code == 200  # rotated, still valid: now cached
        assert grant(client, new).status_code == 200
        client_rotated_secret_invalidate(client=svc, actor=ACTOR)
        assert client_cache.sync()
        refused = grant(client, old)
        assert refused.status_code == 401
        assert json.loads(refused.content)["error"] == "unauthorized_client"
        assert grant(client, new).status_code == 200

    def test_disabled_client_is_refused(self, client, svc):
        secret = current(svc)
        assert grant(client, secret).status_code == 200
        client_update(client=svc, representation={"enabled": False}, actor=ACTOR)
        assert client_cache.sync()
        assert grant(client, secret).status_code == 401

    def test_a_new_secret_works_before_its_notification_arrives(self, client, svc):
        """A refusal is never decided from cached rows: it is checked against the database."""
        old = current(svc)
        assert grant(client, old).status_code == 200
        key = (svc.realm_id, "svc")
        stale = client_cache._entries[key]
        new = client_secret_regenerate(client=svc, actor=ACTOR)
        client_cache.sync()
        # As if the notification were still in flight: the cache holds the rows from before.
        client_cache._entries[key] = stale
        assert grant(client, new).status_code == 200
        assert client_cache._entries.get(key) is not stale

    def test_wrong_secret_is_still_refused(self, client, svc):
        assert grant(client, current(svc)).status_code == 200
        assert grant(client, "wrong").status_code == 401


@pytest.mark.django_db
def test_cache_is_bypassed_inside_a_transaction(cached, realm):
    from tests.factories import ClientFactory

    ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret="S3cretValueOfThirtyTwoCharacters")
    lookup = client_cache.CachedLookup()
    assert connection.in_atomic_block  # pytest-django's test transaction
    for _ in range(2):
        client, current_row, _ = lookup(realm=realm, client_id="svc")
        assert client is not None and current_row is not None
        assert lookup.hit is False
    with transaction.atomic():
        lookup(realm=realm, client_id="svc")
        assert lookup.hit is False


def test_no_cache_without_postgresql(settings):
    if connection.vendor == "postgresql":
        assert client_cache.enabled()
    else:
        assert not client_cache.enabled()
