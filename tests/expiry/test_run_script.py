"""``make run`` (scripts/run) starts the web server and a worker per queue, and stops them together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]

# The script's processes run on a SQLite file of their own whatever DATABASE_URL says: the
# PostgreSQL pass of make test would run the very same thing again.
pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL", "").startswith("postgres")),
                                reason="runs on its own SQLite file: once, in the SQLite pass of make test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login_page(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _env(tmp_path, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "CONSOLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "VENV": str(Path(sys.executable).parent.parent),
        "PYTHONUNBUFFERED": "1",
    }


def _started(tmp_path):
    """``scripts/run`` started on a migrated database and up: (the script, its log, the pids of
    the web server, the default queue's worker and the webhooks queue's worker)."""
    port = free_port()
    env = _env(tmp_path, port)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        script = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    assert wait_until(lambda: login_page(port), timeout=60), log.read_text()
    # Two workers: one per queue.
    assert wait_until(lambda: log.read_text().count("Starting worker") == 2, timeout=60), log.read_text()
    text = log.read_text()
    assert "Secret-expiry sweep scheduled" in text
    line = text.split("run: web server pid ", 1)[1].split("\n", 1)[0]
    web, rest = line.split(", worker pid ")
    worker, hooks = rest.split(", webhooks worker pid ")
    return script, log, port, (int(web), int(worker), int(hooks))


def _queues(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_the_run_script_starts_and_stops_the_web_server_and_a_worker_per_queue(tmp_path):
    script, log, port, pids = _started(tmp_path)
    try:
        assert all(alive(pid) for pid in pids)
        assert "run_worker --queue-name default" in _queues(pids[1])
        assert "db_worker --queue-name webhooks" in _queues(pids[2])
        script.send_signal(signal.SIGTERM)
        assert script.wait(timeout=30) == 0  # a requested stop is a clean one
    finally:
        if script.poll() is None:
            script.kill()
    assert wait_until(lambda: not any(alive(pid) for pid in pids), timeout=30)
    assert not login_page(port)
    assert "run: web server and workers stopped" in log.read_text()


def test_a_worker_that_dies_stops_everything_with_its_status(tmp_path):
    script, log, port, (web, worker, hooks) = _started(tmp_path)
    try:
        os.kill(hooks, signal.SIGKILL)
        assert script.wait(timeout=30) == 128 + signal.SIGKILL
    finally:
        if script.poll() is None:
            script.kill()
    assert wait_until(lambda: not alive(web) and not alive(worker), timeout=30)
    assert not login_page(port)
