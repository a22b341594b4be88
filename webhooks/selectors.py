"""Reads: a realm's webhooks, an endpoint's deliveries, and their representations (never a secret)."""

from __future__ import annotations

import uuid

from realms.models import Realm
from realms.selectors import page_of
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERIES_MAX = 100


def webhooks_list(*, realm: Realm, first: int | None = None, max_: int | None = None) -> list[WebhookEndpoint]:
    """The realm's endpoints, oldest first: a page (``first``/``max``), at most MAX_RESULTS also without ``max``."""
    return list(page_of(WebhookEndpoint.objects.filter(realm=realm).order_by("created_at", "id"), first, max_))


def webhooks_subscribed(*, realm: Realm, event_type: str) -> list[WebhookEndpoint]:
    """Every enabled endpoint of the realm that receives ``event_type`` (uncapped: each gets its delivery)."""
    endpoints = WebhookEndpoint.objects.filter(realm=realm, enabled=True).order_by("created_at", "id")
    return [e for e in endpoints if event_type in e.event_types]


def webhook_get(*, realm: Realm, id: str) -> WebhookEndpoint:  # noqa: A002 - the API's name
    """The realm's endpoint ``id``; ``WebhookEndpoint.DoesNotExist`` for any other value."""
    try:
        pk = uuid.UUID(str(id))
    except ValueError:
        raise WebhookEndpoint.DoesNotExist from None
    return WebhookEndpoint.objects.select_related("realm").defer("realm__extras").get(realm=realm, pk=pk)


def deliveries_list(*, endpoint: WebhookEndpoint, limit: int = DELIVERIES_MAX) -> list[WebhookDelivery]:
    """The endpoint's newest deliveries first (index ``webhooks_delivery_list_idx``)."""
    return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[:limit])


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint__realm").get(endpoint=endpoint, pk=delivery_id)


def webhook_representation(endpoint: WebhookEndpoint) -> dict:
    """``{"id", "url", "enabled", "eventTypes"}``; the secret is added only by the answers that create or regenerate it."""
    return {"id": str(endpoint.id), "url": endpoint.url, "enabled": endpoint.enabled, "eventTypes": list(endpoint.event_types)}


def _epoch(value) -> int | None:
    return int(value.timestamp()) if value is not None else None


def delivery_representation(delivery: WebhookDelivery) -> dict:
    """A delivery as the Admin API answers it; times in epoch seconds (``null`` when absent)."""
    return {
        "id": delivery.pk,
        "messageId": delivery.message_id,
        "eventType": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error or None,
        "lastAttemptAt": _epoch(delivery.last_attempt_at),
        "nextAttemptAt": _epoch(delivery.next_attempt_at),
        "createdAt": _epoch(delivery.created_at),
    }
