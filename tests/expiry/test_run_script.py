"""``make run`` (scripts/run) starts the web server and the worker, and stops both together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


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


def test_the_run_script_starts_and_stops_the_web_server_and_the_worker(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "CONSOLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "VENV": str(Path(sys.executable).parent.parent),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        script = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: login_page(port), timeout=60), log.read_text()
        assert wait_until(lambda: "Starting worker" in log.read_text(), timeout=60), log.read_text()
        text = log.read_text()
        assert "Secret-expiry sweep scheduled" in text
        web, worker = (int(pid) for pid in text.split("run: web server pid ", 1)[1].split("\n", 1)[0].split(", worker pid "))
        assert alive(web) and alive(worker)
        script.send_signal(signal.SIGTERM)
        assert script.wait(timeout=30) is not None
    finally:
        if script.poll() is None:
            script.kill()
    assert wait_until(lambda: not alive(web) and not alive(worker), timeout=30)
    assert not login_page(port)
    assert "run: web server and worker stopped" in log.read_text()
