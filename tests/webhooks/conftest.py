"""A real HTTP receiver on a free local port, and a real worker of the webhooks queue."""

from __future__ import annotations

import collections
import datetime as dt
import signal
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.management import call_command
from standardwebhooks import Webhook

from clients import services as client_services
from realms.actor import Actor
from tests.factories import ClientFactory, rotation_policy_make

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
HOLD_LIMIT = 10.0  # real seconds a held request waits at most (the test releases it sooner)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: object  # the parsed body when the signature verified, else the exception


class Receiver:
    """Answers each POST with the next scripted answer (an int status, or ``"hold"`` to keep the
    request open past the sender's timeout), 200 once the script is used up; records each request
    and verifies it with ``standardwebhooks.Webhook(secret).verify`` at once (a receiver's check
    of the timestamp is against its own clock)."""

    def __init__(self):
        self.secret: str | None = None
        self.script: collections.deque = collections.deque()
        self.requests: list[Received] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verified = Webhook(receiver.secret).verify(body, headers) if receiver.secret else None
                except Exception as exc:  # noqa: BLE001 - recorded for the test to see
                    verified = exc
                receiver.requests.append(Received(self.path, headers, body, verified))
                answer = receiver.script.popleft() if receiver.script else 200
                if answer == "hold":
                    receiver.release.wait(HOLD_LIMIT)
                    answer = 200
                try:
                    self.send_response(answer)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def run_worker() -> None:
    """Run the webhooks queue's worker (django-tasks-db's own command) until nothing is due. The
    command installs its own signal handlers; the test process gets its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, queue_name="webhooks", interval=0, startup_delay=False, reload=False, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@pytest.fixture
def clock_at():
    """The app's clock stopped at T0 (moved with ``clock_at.shift``)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def app(master):
    """Client ``app`` of realm master, under a rotation policy that has set its secret's expiry."""
    rotation_policy_make(master)
    client = ClientFactory(realm=master, client_id="app")
    client_services.client_update(client=client, representation={}, actor=Actor())
    return client
