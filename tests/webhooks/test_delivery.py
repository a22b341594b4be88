"""Deliveries end to end: secret events write deliveries in their transaction, a real worker of
the webhooks queue posts them to a real local receiver that verifies each one with the
standardwebhooks package; retries after failures and timeouts keep the webhook-id; time is moved
with time-machine."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from clients import services as client_services
from clients.signals import SECRET_COMPROMISED, SECRET_EVENT_TYPES, SECRET_ROTATED, SECRET_ROTATED_INVALIDATED
from realms import clock
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import RealmFactory
from tests.webhooks.conftest import T0, run_worker
from webhooks import sending, services
from webhooks.models import WebhookDelivery
from webhooks.tasks import delivery_enqueue

pytestmark = pytest.mark.django_db(transaction=True)

def _webhook(realm, receiver, event_types=SECRET_EVENT_TYPES, **kwargs):
    endpoint, secret = services.webhook_create(realm=realm, url=receiver.url, event_types=list(event_types), actor=Actor(), **kwargs)
    receiver.secret = secret
    return endpoint, secret


def _delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.get()


def test_regenerate_invalidate_and_compromised_are_delivered_signed_and_verified(clock_at, master, app, receiver):
    endpoint, whsec = _webhook(master, receiver)
    new_secret = client_services.client_secret_regenerate(client=app, actor=Actor())
    client_services.client_rotated_secret_invalidate(client=app, actor=Actor())
    leaked_replacement = client_services.client_secret_compromised(client=app, actor=Actor())

    assert WebhookDelivery.objects.filter(status="pending").count() == 3
    run_worker()

    assert [json.loads(r.body)["type"] for r in receiver.requests] == [SECRET_ROTATED, SECRET_ROTATED_INVALIDATED, SECRET_COMPROMISED]
    for request in receiver.requests:
        assert isinstance(request.verified, dict), request.verified  # the standardwebhooks package verified it
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"].startswith("msg_")
        assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
        assert request.path == "/hook"
        body = json.loads(request.body)
        assert set(body) == {"type", "timestamp", "data"}
        assert body["timestamp"] == "2026-03-01T12:00:00Z"
        assert set(body["data"]) == {"realm", "clientId", "id", "expiresAt", "rotatedExpiresAt"}
        assert body["data"]["realm"] == "master" and body["data"]["clientId"] == "app" and body["data"]["id"] == str(app.id)
        for secret in (new_secret, leaked_replacement, whsec):
            assert secret not in request.body.decode()
    assert json.loads(receiver.requests[0].body)["data"]["rotatedExpiresAt"] is not None
    assert json.loads(receiver.requests[1].body)["data"]["rotatedExpiresAt"] is None
    assert set(WebhookDelivery.objects.values_list("status", "attempts", "last_status_code")) == {("delivered", 1, 200)}
    events = AdminEvent.objects.filter(resource_type="WEBHOOK", operation_type="ACTION", resource_path__contains="/deliveries/")
    assert events.count() == 3
    first = json.loads(events.order_by("id").first().representation)
    assert first["eventType"] == SECRET_ROTATED and first["attempt"] == 1 and first["status"] == "delivered" and first["statusCode"] == 200
    assert events.first().auth_username == "" and events.first().source == "system"


def test_only_enabled_endpoints_of_the_realm_subscribed_to_the_type_get_a_delivery(clock_at, master, app, receiver):
    _webhook(master, receiver, event_types=[SECRET_COMPROMISED])
    services.webhook_create(realm=master, url=receiver.url, event_types=[SECRET_ROTATED], enabled=False, actor=Actor())
    services.webhook_create(realm=RealmFactory(name="other"), url=receiver.url, event_types=[SECRET_ROTATED], actor=Actor())

    client_services.client_secret_regenerate(client=app, actor=Actor())
    assert not WebhookDelivery.objects.exists()
    client_services.client_secret_compromised(client=app, actor=Actor())
    assert WebhookDelivery.objects.get().event_type == SECRET_COMPROMISED
    run_worker()
    assert [json.loads(r.body)["type"] for r in receiver.requests] == [SECRET_COMPROMISED]


def test_a_rolled_back_change_leaves_no_delivery_and_no_task(clock_at, master, app, receiver):
    _webhook(master, receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        client_services.client_secret_regenerate(client=app, actor=Actor())
        assert WebhookDelivery.objects.count() == 1  # written in the change's own transaction
        raise RuntimeError("the change fails after the event")
    assert not WebhookDelivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_failing_receiver_is_retried_with_the_same_webhook_id_after_the_backoff(clock_at, master, app, receiver):
    _webhook(master, receiver)
    receiver.script.extend([500])
    client_services.client_secret_regenerate(client=app, actor=Actor())

    run_worker()
    delivery = _delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == ("pending", 1, 500, "HTTP 500")
    assert delivery.next_attempt_at == T0 + dt.timedelta(seconds=5)

    run_worker()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    clock_at.move_to(T0 + dt.timedelta(seconds=5))
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == ("delivered", 2, 200, None)
    assert len(set(receiver.ids())) == 1 and len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[1].headers["webhook-timestamp"] == str(int(T0.timestamp()) + 5)
    assert all(isinstance(r.verified, dict) for r in receiver.requests)
    outcomes = [json.loads(e.representation) for e in AdminEvent.objects.filter(resource_type="WEBHOOK", resource_path__contains="/deliveries/").order_by("id")]
    assert [(o["attempt"], o["status"], o["statusCode"]) for o in outcomes] == [(1, "pending", 500), (2, "delivered", 200)]


def test_a_receiver_slower_than_the_timeout_is_retried(clock_at, settings, master, app, receiver):
    settings.WEBHOOK_TIMEOUT = 0.3
    _webhook(master, receiver)
    receiver.script.extend(["hold"])
    client_services.client_secret_regenerate(client=app, actor=Actor())

    run_worker()
    delivery = _delivery()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_status_code is None and delivery.last_error == "Timed out after 0.3 s"
    receiver.release.set()

    clock_at.move_to(delivery.next_attempt_at)
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(set(receiver.ids())) == 1


def test_it_gives_up_after_a_day_of_retries(clock_at, master, app, receiver):
    _webhook(master, receiver)
    receiver.script.extend([503] * 100)
    client_services.client_secret_regenerate(client=app, actor=Actor())

    attempts_at = []
    while True:
        run_worker()
        delivery = _delivery()
        attempts_at.append(delivery.last_attempt_at)
        if delivery.status != "pending":
            break
        assert delivery.next_attempt_at <= T0 + sending.RETRY_FOR
        clock_at.move_to(delivery.next_attempt_at)

    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert attempts_at[-1] == T0 + dt.timedelta(hours=24)
    delays = [(b - a).total_seconds() for a, b in zip(attempts_at, attempts_at[1:], strict=False)]
    assert delays[:6] == [5, 30, 120, 600, 1800, 3600]
    assert delivery.attempts == len(receiver.requests) == len(attempts_at)
    assert len(set(receiver.ids())) == 1
    clock_at.move_to(T0 + dt.timedelta(days=3))
    run_worker()
    assert len(receiver.requests) == delivery.attempts  # nothing more after it failed


def test_resend_makes_a_new_attempt_of_the_same_message(clock_at, master, app, receiver):
    endpoint, _ = _webhook(master, receiver)
    client_services.client_secret_regenerate(client=app, actor=Actor())
    run_worker()
    delivery = services.delivery_resend(delivery=_delivery(), actor=Actor())
    assert delivery.status == "pending"
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(receiver.requests) == 2 and len(set(receiver.ids())) == 1


def test_a_task_queued_twice_sends_its_attempt_once(clock_at, master, app, receiver):
    _webhook(master, receiver)
    client_services.client_secret_regenerate(client=app, actor=Actor())
    delivery_enqueue(delivery_id=_delivery().pk, attempt=1)
    run_worker()
    assert len(receiver.requests) == 1 and _delivery().attempts == 1


def test_a_regenerated_secret_signs_the_next_attempts(clock_at, master, app, receiver):
    endpoint, old = _webhook(master, receiver)
    receiver.script.extend([500])
    client_services.client_secret_regenerate(client=app, actor=Actor())
    run_worker()
    new = services.webhook_secret_regenerate(endpoint=endpoint, actor=Actor())
    assert new != old and new.startswith("whsec_")
    receiver.secret = new
    clock_at.move_to(_delivery().next_attempt_at)
    run_worker()
    assert isinstance(receiver.requests[-1].verified, dict)


def test_disabling_or_deleting_a_webhook_stops_its_pending_deliveries(clock_at, master, app, receiver):
    endpoint, _ = _webhook(master, receiver)
    client_services.client_secret_regenerate(client=app, actor=Actor())
    services.webhook_update(endpoint=endpoint, enabled=False, actor=Actor())
    run_worker()
    assert not receiver.requests
    assert _delivery().status == "failed" and _delivery().last_error == "Webhook disabled"

    services.webhook_update(endpoint=endpoint, enabled=True, actor=Actor())
    client_services.client_secret_regenerate(client=app, actor=Actor())
    services.webhook_delete(endpoint=endpoint, actor=Actor())
    run_worker()
    assert not receiver.requests and not WebhookDelivery.objects.exists()


def test_a_test_event_goes_to_one_webhook_with_the_realm_only(clock_at, master, receiver):
    endpoint, _ = _webhook(master, receiver, event_types=[SECRET_ROTATED])
    services.webhook_test(endpoint=endpoint, actor=Actor())
    run_worker()
    body = json.loads(receiver.requests[0].body)
    assert body == {"type": "webhook.test", "timestamp": "2026-03-01T12:00:00Z", "data": {"realm": "master"}}
    assert isinstance(receiver.requests[0].verified, dict)


def test_no_secret_value_in_a_body_an_event_or_a_log(clock_at, caplog, master, app, receiver):
    caplog.set_level(logging.DEBUG)
    endpoint, whsec = _webhook(master, receiver)
    receiver.script.extend([500])
    secrets = [client_services.client_secret_regenerate(client=app, actor=Actor())]
    secrets.append(client_services.client_secret_compromised(client=app, actor=Actor()))
    secrets.append(services.webhook_secret_regenerate(endpoint=endpoint, actor=Actor()))
    receiver.secret = secrets[-1]
    run_worker()
    clock_at.move_to(clock.now() + dt.timedelta(minutes=1))
    run_worker()
    assert receiver.requests and all(isinstance(r.verified, dict) for r in receiver.requests)
    stored = [e.representation for e in AdminEvent.objects.all()] + list(WebhookDelivery.objects.values_list("payload", "last_error"))
    for secret in [*secrets, whsec]:
        raw = secret.removeprefix("whsec_")
        for request in receiver.requests:
            assert raw not in request.body.decode() and raw not in json.dumps({k: v for k, v in request.headers.items()})
        assert raw not in repr(stored)
        assert raw not in caplog.text
    assert "Webhook delivery msg_" in caplog.text


def test_data_outside_the_allowlist_is_refused():
    with pytest.raises(ValueError, match="secret"):
        services.payload_build(event_type=SECRET_ROTATED, data={"realm": "master", "secret": "x"})
