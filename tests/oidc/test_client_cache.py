"""The per-worker client cache of the token endpoint (PostgreSQL LISTEN/NOTIFY, SQLite change log).

These tests need committed transactions, since changes are told at commit. Those about the
LISTEN connection (killed, silent, heartbeat) need PostgreSQL (make test's second pass); the
SQLite change log has its own in test_client_cache_sqlite.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from django.db import connection, transaction

from clients import secrets as secret_store
from clients.models import ClientRole, ClientSecret
from clients.services import (
    client_create,
    client_role_create,
    client_role_delete,
    client_rotated_secret_invalidate,
    client_secret_regenerate,
    client_update,
)
from oidc import client_cache
from realms.actor import Actor
from tests.factories import policy_make, profile_make
from tests.oidc.conftest import at, rotation_policy
from tests.waiting import NOTIFIED, wait_until

ACTOR = Actor(source="console", username="admin")
TOKEN = "/realms/acme/protocol/openid-connect/token"


def grant(client, secret: str, client_id: str = "svc"):
    return client.post(TOKEN, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def current(svc) -> str:
    return secret_store.secret_value(secret_store.secret_get(svc, ClientSecret.CURRENT))


@pytest.fixture
def cached(db):
    client_cache.clear()
    yield
    client_cache.clear()
    client_cache.close()  # the next test's database must not see this one's listener


@pytest.mark.django_db(transaction=True)
class TestCommittedChanges:
    @pytest.fixture
    def svc(self, cached):
        from realms.services import realm_create

        realm = realm_create(name="acme")
        rotation_policy(realm, expiration=3600, rotated=600, remaining=60)
        return client_create(realm=realm, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)

    def test_second_grant_is_answered_from_the_cache(self, client, svc):
        from django.test.utils import CaptureQueriesContext

        secret = current(svc)
        assert grant(client, secret).status_code == 200
        client_cache.sync(timeout=NOTIFIED)  # the last_used_time write notifies too
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
        stale = client_cache._state.entries[key]
        new = client_secret_regenerate(client=svc, actor=ACTOR)
        client_cache.sync()
        # As if the notification were still in flight: the cache holds the rows from before.
        client_cache._state.entries[key] = stale
        assert grant(client, new).status_code == 200
        assert client_cache._state.entries.get(key) is not stale

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


def test_cache_on_postgresql_and_sqlite(settings):
    assert connection.vendor in ("postgresql", "sqlite")
    assert client_cache.enabled()


def terminate(pid: int) -> None:
    """End a server process from another connection, and wait (up to 5 s) until it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@pytest.fixture
def acme(cached):
    from realms.services import realm_create

    return realm_create(name="acme")


@pytest.fixture
def acme_svc(acme):
    return client_create(realm=acme, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)


@pytest.mark.django_db(transaction=True)
class TestListenerFailures:
    """The LISTEN connection dies: a revoked secret is refused within the bound, and the listener comes back."""

    @pytest.fixture
    def svc(self, acme_svc):
        if connection.vendor != "postgresql":
            pytest.skip("the LISTEN connection is PostgreSQL's (SQLite: test_client_cache_sqlite.py)")
        return acme_svc

    def warm(self, client, svc) -> str:
        """Grant with the current secret until the cache answers; returns that secret."""
        secret = current(svc)
        assert grant(client, secret).status_code == 200
        client_cache.sync(timeout=NOTIFIED)  # the last_used_time write notifies too
        assert grant(client, secret).status_code == 200
        assert (svc.realm_id, "svc") in client_cache._state.entries
        return secret

    def test_killed_listener_is_replaced_and_the_predecessor_is_refused(self, client, svc):
        with at(0):
            old = self.warm(client, svc)
            killed = client_cache.listener_backend_pid()
            terminate(killed)
            new = client_secret_regenerate(client=svc, actor=ACTOR)  # nobody hears its notification

            refused = grant(client, old)
            assert refused.status_code == 401
            assert json.loads(refused.content)["error"] == "unauthorized_client"
            assert grant(client, new).status_code == 200
            assert client_cache.listener_backend_pid() not in (None, killed)

            # Invalidation by NOTIFY works again, without the clock moving.
            assert grant(client, new).status_code == 200
            assert (svc.realm_id, "svc") in client_cache._state.entries
            client_update(client=svc, representation={"enabled": False}, actor=ACTOR)
            assert client_cache.sync()
            assert grant(client, new).status_code == 401

    def test_silent_listener_cannot_keep_a_revoked_secret_past_the_bound(self, client, svc, settings):
        """A connection that stops delivering without an error (a dropped route, a middlebox).

        ``UNLISTEN`` gives exactly that: the socket stays open and nothing arrives any more.
        """
        settings.CLIENT_CACHE_MAX_AGE = 5
        with at(0) as clock:
            old = self.warm(client, svc)
            silent = client_cache.listener_backend_pid()
            with client_cache._lock:
                client_cache._state.conn.execute("UNLISTEN *")
            client_secret_regenerate(client=svc, actor=ACTOR)

            clock.shift(5)  # the bound
            refused = grant(client, old)
            assert refused.status_code == 401
            assert client_cache.listener_backend_pid() == silent  # its heartbeat has just been sent

            clock.shift(5)  # the heartbeat did not come back within the bound: replaced
            new = current(svc)
            assert grant(client, new).status_code == 200
            assert client_cache.listener_backend_pid() not in (None, silent)

            assert grant(client, new).status_code == 200
            assert (svc.realm_id, "svc") in client_cache._state.entries
            client_update(client=svc, representation={"enabled": False}, actor=ACTOR)
            assert client_cache.sync()
            assert grant(client, new).status_code == 401

    def test_live_listener_answers_its_heartbeat_and_is_kept(self, client, svc, settings):
        settings.CLIENT_CACHE_MAX_AGE = 5
        with at(0) as clock:
            secret = self.warm(client, svc)
            listener = client_cache.listener_backend_pid()
            clock.shift(5)
            assert grant(client, secret).status_code == 200  # sends the heartbeat
            assert client_cache._state.heartbeat is not None
            # Its echo: sync() waits for a change, not a heartbeat, so wait for the echo itself.
            wait_until(lambda: client_cache._state.heartbeat is None, between=lambda: client_cache.sync(timeout=0.1))
            assert client_cache._state.heartbeat is None
            clock.shift(5)
            assert grant(client, secret).status_code == 200
            assert client_cache.listener_backend_pid() == listener


@pytest.mark.django_db(transaction=True)
class TestConcurrentInvalidation:
    @pytest.fixture
    def svc(self, acme_svc):
        return acme_svc

    @pytest.fixture
    def realm(self, acme):
        return acme

    def test_rows_read_while_an_invalidation_arrives_are_not_kept(self, client, svc, monkeypatch):
        """Thread A reads the old rows; the change commits and thread B drains its notification; A must not store."""
        read, resume, found = threading.Event(), threading.Event(), []

        def pause_after_the_rows_are_read(**kwargs):
            # Once the rows are fetched (an open SQLite statement would lock the table for the writer).
            rows = secret_store.client_with_secrets(**kwargs)
            if threading.current_thread().name == "reader" and not read.is_set():
                read.set()
                resume.wait(10)
            return rows

        def thread_a():
            try:
                found.append(client_cache.CachedLookup()(realm=svc.realm, client_id="svc"))
            finally:
                connection.close()

        monkeypatch.setattr(client_cache, "client_with_secrets", pause_after_the_rows_are_read)

        with at(0):
            old = current(svc)
            assert grant(client, old).status_code == 200
            client_cache.sync(timeout=NOTIFIED)  # the last_used_time write notifies too
            client_cache.clear()
            reader = threading.Thread(target=thread_a, name="reader")
            reader.start()
            assert read.wait(10)
            client_secret_regenerate(client=svc, actor=ACTOR)
            assert client_cache.sync()  # this thread drains the notification while A holds the old rows
            resume.set()
            reader.join(10)
            assert found and found[0][0].pk == svc.pk
            assert grant(client, old).status_code == 401

    def test_threads_hammering_lookups_while_invalidations_arrive(self, realm):
        if connection.vendor == "sqlite":
            # Not the cache's limit: the in-memory test database (shared cache) locks a whole table
            # against other threads while one writes, so the readers' own queries fail.
            pytest.skip("concurrent readers and a writer need a database file or PostgreSQL")
        names = ["svc-a", "svc-b", "svc-c"]
        made = [client_create(realm=realm, representation={"clientId": n, "serviceAccountsEnabled": True}, actor=ACTOR)
                for n in names]
        stop, errors, lookups = threading.Event(), [], [0]

        def hammer():
            lookup = client_cache.CachedLookup()
            try:
                while not stop.is_set():
                    for made_client in made:
                        found, current_row, rotated_row = lookup(realm=realm, client_id=made_client.client_id)
                        assert found.pk == made_client.pk and found.client_id == made_client.client_id
                        assert current_row is not None and current_row.client_id == made_client.pk
                        assert rotated_row is None
                        lookups[0] += 1
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                connection.close()

        with at(0):
            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for thread in threads:
                thread.start()
            for i in range(12):
                client_secret_regenerate(client=made[i % 3], actor=ACTOR)
                if i == 6 and (pid := client_cache.listener_backend_pid()) is not None:
                    terminate(pid)
            stop.set()
            for thread in threads:
                thread.join(30)
            assert not errors, errors
            assert lookups[0] > 0

            # Nothing corrupt, and nothing stale kept: every client converges on its stored secret.
            with client_cache._lock:
                for client_uuid, keys in client_cache._state.keys_by_uuid.items():
                    for key in keys:
                        assert key not in client_cache._state.entries or str(client_cache._state.entries[key][1][0].pk) == client_uuid
            for made_client in made:
                stored = current(made_client)

                def cached_secret(made_client=made_client):
                    _, current_row, _ = client_cache.CachedLookup()(realm=realm, client_id=made_client.client_id)
                    return secret_store.secret_value(current_row)

                # A notification may still be on its way.
                wait_until(lambda stored=stored: cached_secret() == stored, between=lambda: client_cache.sync(timeout=0.2))
                assert cached_secret() == stored


@pytest.mark.django_db
def test_max_age_zero_turns_the_cache_off(cached, settings):
    settings.CLIENT_CACHE_MAX_AGE = 0
    assert not client_cache.enabled()


def other_connection(sql: str, params=()) -> None:
    """Run ``sql`` committed on a connection of its own (as another worker or a script would):
    no Django signal or service of this process sees it."""
    if connection.vendor == "sqlite":
        conn = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None, timeout=5)
        try:
            conn.execute(sql.replace("%s", "?"), params)
        finally:
            conn.close()
        return
    conn = connection.get_new_connection(connection.get_connection_params())
    try:
        conn.autocommit = True
        conn.execute(sql, params)
    finally:
        conn.close()


def introspect(client, token: str, secret: str):
    return client.post(f"{TOKEN}/introspect", {"token": token, "client_id": "svc", "client_secret": secret})


ROLE_POLICIES = 200


@pytest.mark.django_db(transaction=True)
class TestClientRoles:
    """The entry carries the client's role names; a role change anywhere drops it like a secret change.

    The policy ``locked`` (one of 200 client-roles policies) refuses introspection to clients with
    the role ``locked`` (secure-client-authenticator allows only client-jwt): whether the next
    request is refused shows which role names it was judged by.
    """

    @pytest.fixture
    def svc(self, acme_svc):
        realm = acme_svc.realm
        profile_make(realm, "jwt-only", [("secure-client-authenticator", {"allowed-client-authenticators": ["client-jwt"]})])
        policy_make(realm, "locked", [("client-roles", {"roles": ["locked"]})], ["jwt-only"])
        for i in range(ROLE_POLICIES - 1):
            policy_make(realm, f"miss-{i}", [("client-roles", {"roles": [f"role-{i}"]})], ["jwt-only"])
        return acme_svc

    def warm(self, client, secret: str) -> str:
        """A token, with the client's entry (rows and roles) cached."""
        response = grant(client, secret)
        assert response.status_code == 200
        client_cache.sync(timeout=NOTIFIED)  # the last_used_time write notifies too
        assert grant(client, secret).status_code == 200
        return json.loads(response.content)["access_token"]

    def seen(self, client, token: str, secret: str) -> str:
        """Whether the next request of this worker was judged with the role ``locked``."""
        client_cache.sync(timeout=NOTIFIED)  # PostgreSQL: the notification's flight; SQLite: at once
        response = introspect(client, token, secret)
        if response.status_code == 200:
            return "unlocked"
        assert json.loads(response.content)["error"] == "invalid_request", response.content
        return "locked"

    def test_a_steady_grant_makes_no_query_with_client_roles_policies(self, client, svc, django_assert_num_queries):
        secret = current(svc)
        with at(0):
            self.warm(client, secret)
            with django_assert_num_queries(0):
                assert grant(client, secret).status_code == 200
            assert self.seen(client, self.warm(client, secret), secret) == "unlocked"
            with django_assert_num_queries(0):
                assert introspect(client, "not-a-token", secret).status_code == 200

    def test_a_role_added_or_removed_through_the_service_is_seen_by_the_next_request(self, client, svc):
        secret = current(svc)
        with at(0):
            token = self.warm(client, secret)
            assert self.seen(client, token, secret) == "unlocked"
            role = client_role_create(client=svc, name="locked", actor=ACTOR)
            assert self.seen(client, token, secret) == "locked"
            client_role_delete(role=role, actor=ACTOR)
            assert self.seen(client, token, secret) == "unlocked"

    def test_a_role_written_by_another_connection_is_seen_by_the_next_request(self, client, svc):
        client_pk = svc.pk.hex if connection.vendor == "sqlite" else str(svc.pk)
        secret = current(svc)
        with at(0):
            token = self.warm(client, secret)
            assert self.seen(client, token, secret) == "unlocked"
            other_connection("INSERT INTO clients_clientrole (client_id, name, description, attributes) "
                             "VALUES (%s, 'other', '', '{}')", [client_pk])
            assert self.seen(client, token, secret) == "unlocked"
            other_connection("UPDATE clients_clientrole SET name = 'locked' WHERE client_id = %s", [client_pk])
            assert self.seen(client, token, secret) == "locked"
            other_connection("DELETE FROM clients_clientrole WHERE client_id = %s", [client_pk])
            assert self.seen(client, token, secret) == "unlocked"
            assert not ClientRole.objects.filter(client=svc).exists()


def test_role_triggers_exist_after_all_migrations(transactional_db):
    """A later migration that rebuilds clients_clientrole (SQLite) or drops the triggers fails this."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clients_clientrole'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'clients_clientrole'::regclass AND NOT tgisinternal")
        names = sorted(row[0] for row in cursor.fetchall())
    if connection.vendor == "sqlite":
        assert names == ["clients_clientrole_changed_delete", "clients_clientrole_changed_insert", "clients_clientrole_changed_update"]
    else:
        assert names == ["oidc_clientrole_changed_row", "oidc_clientrole_changed_truncate"]
