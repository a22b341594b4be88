"""The client cache on SQLite: the change log (``clients.0008``) that every worker reads.

A change is seen by the next lookup of every worker once committed, whoever made it: another
worker, a script with its own connection, a statement typed into ``sqlite3``. The "other
worker" here is a second connection to the same database that writes rows directly, so no
Django signal or service of this process can have told the cache.
"""

from __future__ import annotations

import importlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from clients import crypto
from clients import secrets as secret_store
from clients.models import ClientSecret
from clients.services import client_create, client_secret_regenerate
from oidc import client_cache
from realms.actor import Actor
from realms.throttle import client_auth_failure_record, client_auth_horizon, client_auth_source
from tests.oidc.conftest import at
from tests.security.test_db_restart import WORKERS, free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's change log (PostgreSQL: test_client_cache.py)")

ACTOR = Actor(source="console", username="admin")
TOKEN = "/realms/acme/protocol/openid-connect/token"
ROOT = Path(__file__).resolve().parents[2]
MIGRATION = importlib.import_module("clients.migrations.0008_sqlite_change_counter")
ROLE_MIGRATION = importlib.import_module("clients.migrations.0010_role_change_triggers")


def grant(client, secret: str, client_id: str = "svc"):
    return client.post(TOKEN, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def current(svc) -> str:
    return secret_store.secret_value(secret_store.secret_get(svc, ClientSecret.CURRENT))


def other_worker(sql: str, params=()) -> None:
    """Run ``sql`` on a connection of its own, committed, as another process would."""
    conn = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None, timeout=5)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


@pytest.fixture
def svc(transactional_db):
    from realms.services import realm_create

    client_cache.close()
    realm = realm_create(name="acme", access_token_lifespan=300)
    made = client_create(realm=realm, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)
    yield made
    client_cache.close()


def warm(client, svc) -> str:
    secret = current(svc)
    assert grant(client, secret).status_code == 200
    assert grant(client, secret).status_code == 200  # the first one's last_used_time write dropped it
    assert (svc.realm_id, "svc") in client_cache._state.entries
    return secret


def test_migrations_leave_the_triggers_in_place(transactional_db):
    """A later migration that rebuilds a clients table on SQLite drops its triggers: this fails then."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'clients_%_changed_%'")
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(MIGRATION.TRIGGERS + ROLE_MIGRATION.SQLITE_TRIGGERS)
    assert len(MIGRATION.TRIGGERS + ROLE_MIGRATION.SQLITE_TRIGGERS) == client_cache.CHANGE_TRIGGERS


def test_a_steady_grant_makes_no_query(client, svc, django_assert_num_queries):
    with at(0):
        secret = warm(client, svc)
        with django_assert_num_queries(0):
            assert grant(client, secret).status_code == 200


def test_a_secret_regenerated_by_another_worker_is_refused_at_once(client, svc):
    with at(0):
        old = warm(client, svc)
        # Another worker's Re-generate (with no rotation policy the old secret is gone at once).
        other_worker("UPDATE clients_clientsecret SET value_encrypted = ? WHERE client_id = ? AND kind = 'current'",
                     [crypto.encrypt("AnotherSecretOfThirtyTwoCharacter"), svc.pk.hex])
        refused = grant(client, old)
        assert refused.status_code == 401
        assert json.loads(refused.content)["error"] == "unauthorized_client"
        assert grant(client, "AnotherSecretOfThirtyTwoCharacter").status_code == 200


def test_a_client_disabled_or_deleted_by_another_worker_is_refused_at_once(client, svc):
    with at(0):
        secret = warm(client, svc)
        other_worker("UPDATE clients_client SET enabled = 0 WHERE id = ?", [svc.pk.hex])
        assert grant(client, secret).status_code == 401
        other_worker("UPDATE clients_client SET enabled = 1 WHERE id = ?", [svc.pk.hex])
        secret = warm(client, svc)
        other_worker("DELETE FROM clients_clientsecret WHERE client_id = ?", [svc.pk.hex])
        other_worker("DELETE FROM clients_client WHERE id = ?", [svc.pk.hex])
        assert json.loads(grant(client, secret).content)["error"] == "invalid_client"


def test_a_lockout_set_by_another_worker_is_seen_at_once(client, svc, settings):
    """The mark on the client row tells every worker to read the lockout state (realms.throttle)."""
    settings.CLIENT_AUTH_FAILURE_LIMIT = 2
    with at(0):
        secret = warm(client, svc)
        # Another worker counted two wrong secrets from this address and marked the client row.
        for _ in range(2):
            client_auth_failure_record(realm=svc.realm, client_id="svc", source=client_auth_source("127.0.0.1"))
        other_worker("UPDATE clients_client SET auth_failures_until = ? WHERE id = ?", [client_auth_horizon(), svc.pk.hex])
        assert grant(client, secret).status_code == 429


def test_the_service_path_invalidates_too(client, svc):
    with at(0):
        old = warm(client, svc)
        new = client_secret_regenerate(client=svc, actor=ACTOR)
        assert grant(client, old).status_code == 401
        assert grant(client, new).status_code == 200


def test_unrelated_writes_keep_the_cache(client, svc, django_assert_num_queries):
    """Events, lockout rows, sessions: nothing but client and secret rows drops a client."""
    with at(0):
        secret = warm(client, svc)
        other_worker("UPDATE realms_realm SET display_name = 'x'")
        other_worker("DELETE FROM realms_clientauthfailure")
        with django_assert_num_queries(0):
            assert grant(client, secret).status_code == 200


def test_a_pruned_log_drops_the_whole_cache(client, svc):
    with at(0):
        warm(client, svc)
        seen = client_cache._state.seen
        # Enough changes of other rows to push the row seen last out of the log.
        other_worker(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MIGRATION.KEEP + 5}) "
                     "INSERT INTO clients_clientchange (client) SELECT 'not-a-client' FROM n")
        other_worker(f"DELETE FROM clients_clientchange WHERE seq <= {seen}")
        lookup = client_cache.CachedLookup()
        lookup(realm=svc.realm, client_id="svc")
        assert lookup.hit is False
        assert client_cache._state.seen > seen + MIGRATION.KEEP


def test_missing_triggers_turn_the_cache_off(client, svc):
    other_worker("DROP TRIGGER clients_clientsecret_changed_update")
    try:
        client_cache.close()
        with at(0):
            secret = current(svc)
            for _ in range(3):
                assert grant(client, secret).status_code == 200
            assert not client_cache.enabled()
            assert not client_cache._state.entries
    finally:
        other_worker(next(s for s in MIGRATION.CREATE if "clients_clientsecret_changed_update" in s))
        client_cache.close()
    assert client_cache.enabled()


def manage(env: dict, code: str) -> str:
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


def test_gunicorn_workers_on_one_file_refuse_a_regenerated_secret_at_once(tmp_path):
    """`make run`'s setup: several gunicorn workers on one SQLite file, each with its cache warm.

    The Re-generate and the disabling happen in another process (``manage.py shell``); the very
    next request to any worker sees them, with no clock moved and nothing waited for.
    """
    import requests

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CONSOLE_VAR_DIR": str(tmp_path / "var"),
                "DEBUG": "0", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    prelude = ("from realms.models import Realm; from clients.models import Client; from clients import secrets as s; "
               "from clients.services import client_create, client_secret_regenerate, client_update; ")
    old = manage(env, prelude + (
        "from realms.services import realm_create; r = realm_create(name='acme'); "
        "c = client_create(realm=r, actor=None, representation={'clientId': 'svc', 'serviceAccountsEnabled': True}); "
        "print(s.secret_value(s.secret_get(c, 'current')))"))
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "adminconsole.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{TOKEN}"

    def statuses(secret: str) -> list[int]:
        form = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": secret}
        return [requests.post(url, data=form, timeout=30).status_code for _ in range(4 * WORKERS)]

    try:
        wait_until(lambda: _answers(url), timeout=60)
        assert statuses(old) == [200] * 4 * WORKERS  # every worker has the client cached
        new = manage(env, prelude + "c = Client.objects.get(client_id='svc'); print(client_secret_regenerate(client=c, actor=None))")
        assert statuses(old) == [401] * 4 * WORKERS
        assert statuses(new) == [200] * 4 * WORKERS
        manage(env, prelude + "c = Client.objects.get(client_id='svc'); client_update(client=c, actor=None, representation={'enabled': False}); print('ok')")
        assert statuses(new) == [401] * 4 * WORKERS
    finally:
        server.terminate()
        server.wait(timeout=20)


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.post(url, data={}, timeout=30).status_code == 400
    except requests.ConnectionError:  # not listening yet
        return False


def test_missing_role_triggers_turn_the_cache_off(client, svc):
    """Cached role names would go stale without the role triggers: the cache stays off then."""
    other_worker("DROP TRIGGER clients_clientrole_changed_delete")
    try:
        client_cache.close()
        with at(0):
            assert grant(client, current(svc)).status_code == 200
            assert not client_cache.enabled()
    finally:
        other_worker(next(s for s in ROLE_MIGRATION.SQLITE_CREATE if "clients_clientrole_changed_delete" in s))
        client_cache.close()
    assert client_cache.enabled()
