"""One delivery attempt: claim it under a row lock, POST it signed (Standard Webhooks), record
the outcome with an admin event, and schedule the next attempt with exponential backoff.

The attempt number travels with the task. An attempt is claimed only when the row is still
pending and has made exactly the attempts before it, under ``select_for_update(skip_locked=True)``
(PostgreSQL; SQLite has one writer at a time): so two workers, or a task queued twice, never send
the same attempt twice. The HTTP request runs between two short transactions, never inside one,
so no database lock waits on a receiver. The claim also queues the next attempt as a lease, so a
worker that dies mid-attempt leaves no delivery pending for ever.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from standardwebhooks import Webhook

from clients import crypto
from realms import clock
from realms.events import admin_event_record
from webhooks import outbound
from webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

# Seconds to wait after a failed attempt n (the n-th entry), then RETRY_EVERY; a delivery is tried
# for RETRY_FOR from its creation (the last try lands at that limit), then it has failed.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600)
RETRY_EVERY = 3 * 3600
RETRY_FOR = dt.timedelta(hours=24)

Schedule = Callable[..., None]


def retry_delay(attempt: int) -> dt.timedelta:
    seconds = RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else RETRY_EVERY
    return dt.timedelta(seconds=seconds)


def signed_headers(*, secret: str, message_id: str, payload: str) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt: the same id every time, this attempt's time."""
    now = clock.now()
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, payload),
    }


def _locked(delivery_id: int, *, skip_locked: bool = False) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("endpoint__realm")
        .filter(pk=delivery_id)
        .first()
    )


def _event(delivery: WebhookDelivery, attempt: int) -> None:
    """The attempt's outcome in the Events page, by the system actor: ids, codes, never a secret or the body."""
    admin_event_record(
        realm=delivery.endpoint.realm,
        operation="ACTION",
        resource_type="WEBHOOK",
        resource_path=f"webhooks/{delivery.endpoint_id}/deliveries/{delivery.pk}",
        actor=None,
        representation={
            "eventType": delivery.event_type,
            "webhookId": delivery.message_id,
            "attempt": attempt,
            "status": delivery.status,
            "statusCode": delivery.last_status_code,
            "error": delivery.last_error or None,
            "nextAttemptAt": int(delivery.next_attempt_at.timestamp()) if delivery.next_attempt_at else None,
        },
    )


def delivery_attempt(*, delivery_id: int, attempt: int, schedule: Schedule) -> str:
    """Make attempt ``attempt`` of delivery ``delivery_id``; ``schedule(delivery_id=, attempt=,
    run_after=)`` queues the next one inside the transaction that records this one. Returns the
    delivery's status afterwards, or ``"skipped"`` when this attempt is not (or no longer) due."""
    with transaction.atomic():
        delivery = _locked(delivery_id, skip_locked=True)
        if delivery is None or delivery.status != WebhookDelivery.PENDING or delivery.attempts != attempt - 1:
            return "skipped"
        endpoint = delivery.endpoint
        now = clock.now()
        delivery.attempts = attempt
        delivery.last_attempt_at = now
        delivery.next_attempt_at = None
        if not endpoint.enabled:
            # Disabling a webhook stops what it still had pending, too.
            delivery.status = WebhookDelivery.FAILED
            delivery.last_status_code = None
            delivery.last_error = "Webhook disabled"
            delivery.save()
            _event(delivery, attempt)
            return delivery.status
        # A lease: the next attempt, queued now for after this one can have ended (the POST's
        # deadline) plus its retry delay. If this worker dies or the POST raises before the outcome
        # is recorded, it still comes; if this attempt ends, the claim guard above makes it a no-op.
        delivery.next_attempt_at = now + dt.timedelta(seconds=float(settings.WEBHOOK_TIMEOUT)) + retry_delay(attempt)
        schedule(delivery_id=delivery.pk, attempt=attempt + 1, run_after=delivery.next_attempt_at)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        url, message_id, payload = endpoint.url, delivery.message_id, delivery.payload
        secret = crypto.decrypt(endpoint.secret_encrypted)

    outcome = outbound.post(url, payload.encode(), signed_headers(secret=secret, message_id=message_id, payload=payload))

    with transaction.atomic():
        delivery = _locked(delivery_id)
        if delivery is None:  # the webhook was deleted meanwhile
            return "deleted"
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.delivered:
            delivery.status = WebhookDelivery.DELIVERED
            delivery.next_attempt_at = None
        elif delivery.status == WebhookDelivery.PENDING and delivery.attempts == attempt:
            now = clock.now()
            deadline = delivery.created_at + RETRY_FOR
            if now >= deadline:
                delivery.status = WebhookDelivery.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = min(now + retry_delay(attempt), deadline)
                schedule(delivery_id=delivery.pk, attempt=attempt + 1, run_after=delivery.next_attempt_at)
        delivery.save()
        _event(delivery, attempt)
    logger.info(
        "Webhook delivery %s attempt %d: %s (%s)", message_id, attempt, delivery.status,
        outcome.status_code if outcome.status_code is not None else outcome.error,
    )
    return delivery.status
