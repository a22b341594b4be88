"""No delivery is lost or stuck: the first attempt is queued in the change's own transaction, each
attempt queues the next one ahead as a lease (a worker that dies mid-attempt leaves nothing
pending for ever), ``WEBHOOK_TIMEOUT`` bounds a whole attempt even against a receiver that
trickles its answer, and a URL that is not ASCII is sent percent-encoded."""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import threading
from unittest import mock

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from clients import secrets as secret_store
from clients import services as client_services
from clients.models import ClientSecret
from clients.signals import SECRET_EVENT_TYPES, SECRET_ROTATED
from realms.actor import Actor
from tests.webhooks.conftest import T0, run_worker
from webhooks import outbound, sending, services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

def _webhook(realm, url, event_types=SECRET_EVENT_TYPES):
    endpoint, _ = services.webhook_create(realm=realm, url=url, event_types=list(event_types), actor=Actor())
    return endpoint


def _attempt_tasks() -> list[list]:
    return sorted(row.args_kwargs["args"] for row in DBTaskResult.objects.filter(task_path=tasks.webhook_deliver.module_path))


class TestQueuedInTheTransaction:
    def test_the_first_attempt_is_queued_before_the_change_commits(self, clock_at, master, app, receiver):
        _webhook(master, receiver.url)
        with transaction.atomic():
            client_services.client_secret_regenerate(client=app, actor=Actor())
            # Written in the change's transaction: a crash right after the commit loses nothing.
            assert _attempt_tasks() == [[WebhookDelivery.objects.get().pk, 1]]

    def test_a_failure_to_queue_rolls_the_change_back(self, clock_at, master, app, receiver):
        _webhook(master, receiver.url)
        before = secret_store.secret_value(secret_store.secret_get(app, ClientSecret.CURRENT))
        with mock.patch.object(tasks, "delivery_enqueue", side_effect=RuntimeError("queue down")), pytest.raises(RuntimeError):
            client_services.client_secret_regenerate(client=app, actor=Actor())
        assert secret_store.secret_value(secret_store.secret_get(app, ClientSecret.CURRENT)) == before
        assert not WebhookDelivery.objects.exists()


class TestLease:
    def test_an_attempt_that_dies_before_its_outcome_is_retried(self, clock_at, settings, master, app, receiver):
        settings.WEBHOOK_TIMEOUT = 5
        _webhook(master, receiver.url)
        client_services.client_secret_regenerate(client=app, actor=Actor())
        with mock.patch.object(outbound, "post", side_effect=RuntimeError("the worker dies")):
            run_worker()
        delivery = WebhookDelivery.objects.get()
        lease = T0 + dt.timedelta(seconds=5) + sending.retry_delay(1)
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, lease)
        assert not receiver.requests
        clock_at.move_to(lease)
        run_worker()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        assert len(receiver.requests) == 1

    def test_the_lease_of_a_finished_attempt_sends_nothing(self, clock_at, master, app, receiver):
        _webhook(master, receiver.url)
        client_services.client_secret_regenerate(client=app, actor=Actor())
        run_worker()
        assert WebhookDelivery.objects.get().status == "delivered"
        clock_at.move_to(T0 + dt.timedelta(minutes=10))
        run_worker()
        assert len(receiver.requests) == 1 and WebhookDelivery.objects.get().attempts == 1


class Trickler:
    """A receiver that reads the request, then sends a valid 200 answer one byte every 0.3 s
    (about 12 s in all): each read is quick, the whole is slow."""

    ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def _serve(self):
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for byte in self.ANSWER:
                if self.stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self.stop.set()
        self.server.close()
        self.thread.join(5)


def test_a_trickling_receiver_is_cut_off_at_the_timeout(clock_at, settings, master):
    settings.WEBHOOK_TIMEOUT = 1
    trickler = Trickler()
    try:
        endpoint = _webhook(master, trickler.url, [SECRET_ROTATED])
        services.webhook_test(endpoint=endpoint, actor=Actor())
        run_worker()
    finally:
        trickler.close()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("pending", None, "Timed out after 1 s")


class TestNonAsciiUrls:
    def test_a_path_and_query_that_are_not_ascii_are_saved_percent_encoded_and_delivered(self, clock_at, master, receiver):
        base = receiver.url.rsplit("/", 1)[0]
        endpoint = _webhook(master, f"{base}/hé?q=ü", [SECRET_ROTATED])
        assert endpoint.url == f"{base}/h%C3%A9?q=%C3%BC"
        services.webhook_test(endpoint=endpoint, actor=Actor())
        run_worker()
        assert WebhookDelivery.objects.get().status == "delivered"
        assert [r.path for r in receiver.requests] == ["/h%C3%A9?q=%C3%BC"]

    def test_a_stored_url_that_is_not_ascii_is_still_delivered(self, clock_at, master, receiver):
        endpoint = _webhook(master, receiver.url, [SECRET_ROTATED])
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url + "/é")
        services.webhook_test(endpoint=endpoint, actor=Actor())
        run_worker()
        assert WebhookDelivery.objects.get().status == "delivered"
        assert [r.path for r in receiver.requests] == ["/hook/%C3%A9"]

    def test_an_unforeseen_error_of_the_request_is_a_failed_attempt_retried_later(self, clock_at, master, receiver):
        endpoint = _webhook(master, receiver.url, [SECRET_ROTATED])
        services.webhook_test(endpoint=endpoint, actor=Actor())
        with mock.patch.object(http.client.HTTPConnection, "request", side_effect=ValueError("bad request line")):
            run_worker()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "Request failed: ValueError")
        assert delivery.next_attempt_at == T0 + sending.retry_delay(1)
