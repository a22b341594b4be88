"""The app survives a PostgreSQL outage and restart under load (PostgreSQL pass only).

The app runs as `make run` runs it: gunicorn with several workers and persistent, health-checked
connections (CONN_MAX_AGE, CONN_HEALTH_CHECKS), against the test database. Requests made while the
database is unreachable get a clean 503 quickly; afterwards the same workers serve again by
themselves, without a restart.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = os.environ.get("PG_TEST_CLUSTER_DIR")
WORKERS = 2
# The load runs through the restart (which may take up to its 120 s timeout) and a little after.
LOAD_SECONDS = 180

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CLUSTER or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs the PostgreSQL test cluster (PG_TEST_CLUSTER_DIR), as in make test's PostgreSQL pass",
    ),
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the test database; its log is drained by a thread (no polling, no sleep)."""

    def __init__(self, tmp_path: Path):
        settings = connection.settings_dict
        db_url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
        env.update({"DATABASE_URL": db_url, "DATABASE_CONN_MAX_AGE": "600", "DATABASE_CONNECT_TIMEOUT": "3", "DEBUG": "0", "LOG_LEVEL": "WARNING"})
        self.log: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "adminconsole.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(WORKERS), "--timeout", "30", "--preload", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        booted = 0
        for line in self.process.stderr:
            self.log.append(line)
            if "Booting worker" in line:
                booted += 1
                if booted >= WORKERS:
                    self.ready.set()
        self.ready.set()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def fast_password_hashing():
    """The gunicorn subprocess reads the real settings, so the admin's hash must use them too."""


@pytest.fixture
def server(tmp_path, master, admin_user):
    master.access_token_lifespan = 600  # the bearer token below outlives the test
    master.save(update_fields=["access_token_lifespan"])
    srv = Server(tmp_path)
    try:
        assert srv.ready.wait(60), "gunicorn did not start:\n" + "".join(srv.log)
        assert srv.process.poll() is None, "".join(srv.log)
        yield srv
    finally:
        srv.stop()
        connection.close()  # the test's own connection did not survive the outage either


def signed_in_session(url: str):
    import requests

    from tests.conftest import ADMIN_PASSWORD

    session = requests.Session()
    login = session.get(f"{url}/login", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    response = session.post(
        f"{url}/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login"}, timeout=30, allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    token = session.post(
        f"{url}/realms/master/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": ADMIN_PASSWORD}, timeout=30,
    )
    assert token.status_code == 200, token.text
    # The console cookie for the console page, the bearer token for the Admin API (both need the database).
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return session


def targets(url: str) -> list[str]:
    """A console page (HTML) and an Admin API read (JSON); both read the database on every request."""
    return [f"{url}/admin/realms/master/admin-events?max=5", f"{url}/console/master/events"]


def fetch(session, target: str) -> tuple[int, str, str]:
    response = session.get(target, timeout=15, allow_redirects=False)
    return response.status_code, response.headers.get("Retry-After", ""), response.text[:400]


def admin_psql(sql: str) -> None:
    """Run SQL on the cluster's maintenance database (not the test database)."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres", autocommit=True) as conn:
        conn.execute(sql)


def assert_clean_unavailable(result: tuple[int, str, str]) -> None:
    status, retry_after, body = result
    assert status == 503, result
    assert retry_after == "5"
    assert "Traceback" not in body
    assert "temporarily_unavailable" in body or "cannot reach its database" in body


def test_requests_fail_cleanly_while_the_database_refuses_and_recover_by_themselves(server):
    session = signed_in_session(server.url)
    for target in targets(server.url) * 3:
        assert fetch(session, target)[0] == 200

    name = connection.settings_dict["NAME"]
    # An outage of the test database: new connections refused, the workers' open ones killed.
    admin_psql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    try:
        admin_psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        for target in targets(server.url) * 3:
            assert_clean_unavailable(fetch(session, target))
    finally:
        admin_psql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    # No restart of the app: the same workers reconnect on their own.
    for target in targets(server.url) * 4:
        assert fetch(session, target)[0] == 200
    assert server.process.poll() is None


def test_cluster_restart_under_load(server):
    session = signed_in_session(server.url)
    restarted = threading.Event()
    stop = threading.Event()
    results: list[tuple[bool, int, str, str]] = []  # (after restart?, status, retry-after, body)
    lock = threading.Lock()
    urls = targets(server.url)

    def load(worker: int) -> None:
        import requests

        own = requests.Session()
        own.cookies.update(session.cookies)
        own.headers.update(session.headers)
        after = 0
        deadline = time.monotonic() + LOAD_SECONDS
        for i in itertools.count():  # bounded by time and by the requests seen after the restart
            if stop.is_set() or after >= 15 or time.monotonic() > deadline:
                return
            was_restarted = restarted.is_set()
            status, retry_after, body = fetch(own, urls[(worker + i) % len(urls)])
            with lock:
                results.append((was_restarted, status, retry_after, body))
            after += was_restarted

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(load, n) for n in range(4)]
        try:
            subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "restart", CLUSTER], check=True, timeout=120)
        finally:
            restarted.set()
        for future in futures:
            future.result(timeout=120)  # re-raises a timeout or connection error of any request
        stop.set()

    statuses = {status for _, status, _, _ in results}
    assert statuses <= {200, 503}, [r for r in results if r[1] not in (200, 503)][:3]
    for result in results:
        if result[1] == 503:
            assert_clean_unavailable(result[1:])
    after = [status for was_restarted, status, _, _ in results if was_restarted]
    assert len(after) >= 4 * 15
    assert set(after) == {200}, "service did not resume by itself after the restart"
    print(f"restart under load: {len(results)} requests, {sum(1 for r in results if r[1] == 503)} answered 503")
