"""Two workers of the webhooks queue on one PostgreSQL: each attempt is sent once, even when its
task was queued twice (a Resend racing a retry, or a duplicate enqueue)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from clients.signals import SECRET_ROTATED
from realms.actor import Actor
from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.tasks import delivery_enqueue

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DELIVERIES = 20


def _work(name: str, errors: list) -> None:
    try:
        Worker(
            queue_names=["webhooks"], interval=0, batch=True, backend_name="default", startup_delay=False,
            max_tasks=None, worker_id=name, excluded_queue_names=[],
        ).run()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="row locks need PostgreSQL (runs in the PostgreSQL pass of make test)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_attempt_once(master, receiver):
    endpoint, receiver.secret = services.webhook_create(realm=master, url=receiver.url, event_types=[SECRET_ROTATED], actor=Actor())
    for _ in range(DELIVERIES):
        services.deliveries_create(realm=master, event_type=SECRET_ROTATED, data={"realm": "master"})
    for delivery_id in WebhookDelivery.objects.values_list("pk", flat=True):
        delivery_enqueue(delivery_id=delivery_id, attempt=1)  # every first attempt queued twice

    errors: list = []
    workers = [threading.Thread(target=_work, args=(f"worker-{i}", errors)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors and not any(w.is_alive() for w in workers)

    ids = receiver.ids()
    assert len(ids) == DELIVERIES and len(set(ids)) == DELIVERIES
    assert all(isinstance(r.verified, dict) for r in receiver.requests)
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
