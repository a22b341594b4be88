"""Writes: webhook endpoints (create, update, delete, regenerate the secret, send a test event),
the outbox of deliveries for secret events, and Resend. Each write is one transaction with its
admin event; the delivery task is queued in the same transaction (a row of the database backend)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets

from django.db import transaction

from clients import crypto
from clients.signals import SECRET_EVENT_TYPES
from realms import clock
from realms.actor import Actor
from realms.errors import ApiError
from realms.events import admin_event_record
from realms.models import Realm
from webhooks import outbound, selectors, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint

RESOURCE_TYPE = "WEBHOOK"
TEST_EVENT = "webhook.test"
# The event types an endpoint can subscribe to, in the order the console lists them.
EVENT_TYPES = SECRET_EVENT_TYPES
# Everything a payload's ``data`` may hold: ids and times. Never a secret (clients.signals).
DATA_KEYS = frozenset({"realm", "clientId", "id", "expiresAt", "rotatedExpiresAt", "threshold"})
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class WebhookInvalid(ApiError):
    """Input a webhook cannot take: 400 ``{"errorMessage": ...}`` in the API, a form error in the
    console (``field`` names the form field)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(400, {"errorMessage": message})
        self.message = message
        self.field = field


def secret_generate() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _secret(value) -> str:
    if not isinstance(value, str) or not value.startswith(SECRET_PREFIX):
        raise WebhookInvalid("The secret must start with whsec_", field="secret")
    try:
        raw = base64.b64decode(value[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise WebhookInvalid("The secret must be whsec_ followed by base64", field="secret") from None
    if not 24 <= len(raw) <= 64:
        raise WebhookInvalid("The secret must hold 24 to 64 bytes", field="secret")
    return value


def _url(value) -> str:
    try:
        return outbound.url_check(value)
    except outbound.URLRefused as exc:
        raise WebhookInvalid(str(exc), field="url") from None


def _event_types(values) -> list[str]:
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise WebhookInvalid("Event types must be a list of event type names", field="event_types")
    unknown = [v for v in values if v not in EVENT_TYPES]
    if unknown:
        raise WebhookInvalid(f"Unknown event type {unknown[0][:64]!r}", field="event_types")
    if not values:
        raise WebhookInvalid("Choose at least one event type", field="event_types")
    return [t for t in EVENT_TYPES if t in values]


def _record(endpoint: WebhookEndpoint, operation: str, path: str, actor: Actor, representation=None) -> None:
    admin_event_record(
        realm=endpoint.realm, operation=operation, resource_type=RESOURCE_TYPE,
        resource_path=f"webhooks/{endpoint.id}{path}", actor=actor, representation=representation,
    )


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update(of=("self",)).select_related("realm").defer("realm__extras").get(pk=endpoint.pk)


def webhook_create(
    *, realm: Realm, url, event_types, enabled: bool = True, secret: str | None = None, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (the only time the secret leaves the service)."""
    url = _url(url)  # resolved in production mode: outside the transaction
    types = _event_types(event_types)
    secret = _secret(secret) if secret is not None else secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            realm=realm, url=url, enabled=bool(enabled), event_types=types, secret_encrypted=crypto.encrypt(secret)
        )
        _record(endpoint, "CREATE", "", actor, selectors.webhook_representation(endpoint))
    return endpoint, secret


def webhook_update(
    *, endpoint: WebhookEndpoint, actor: Actor, url=None, event_types=None, enabled: bool | None = None,
    secret: str | None = None,
) -> WebhookEndpoint:
    """Change what is given (``None`` keeps it)."""
    url = _url(url) if url is not None else None
    types = _event_types(event_types) if event_types is not None else None
    secret = _secret(secret) if secret is not None else None
    with transaction.atomic():
        endpoint = _lock(endpoint)
        if url is not None:
            endpoint.url = url
        if types is not None:
            endpoint.event_types = types
        if enabled is not None:
            endpoint.enabled = bool(enabled)
        if secret is not None:
            endpoint.secret_encrypted = crypto.encrypt(secret)
        endpoint.save()
        _record(endpoint, "UPDATE", "", actor, selectors.webhook_representation(endpoint))
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    """The endpoint and its deliveries; a queued attempt finds nothing and does nothing."""
    with transaction.atomic():
        endpoint = _lock(endpoint)
        _record(endpoint, "DELETE", "", actor)
        endpoint.delete()


def webhook_secret_regenerate(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """A new signing secret; attempts from now on are signed with it (retries included)."""
    secret = secret_generate()
    with transaction.atomic():
        endpoint = _lock(endpoint)
        endpoint.secret_encrypted = crypto.encrypt(secret)
        endpoint.save(update_fields=["secret_encrypted"])
        _record(endpoint, "ACTION", "/secret", actor)
    return secret


def payload_build(*, event_type: str, data: dict) -> str:
    """The body ``{"type", "timestamp", "data"}`` (timestamp ISO 8601 UTC), as sent on every attempt.
    ``data`` may hold only ``DATA_KEYS``: anything else is refused, so no secret can slip in."""
    extra = set(data) - DATA_KEYS
    if extra:
        raise ValueError(f"webhook data may not hold {sorted(extra)!r}")
    timestamp = clock.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data}, separators=(",", ":"))


def _message_id() -> str:
    return "msg_" + secrets.token_hex(16)


def _enqueue(delivery_ids: list[int]) -> None:
    """Queue the first attempts in the caller's transaction: the database backend writes a task
    row, so the attempt commits (or rolls back) with the delivery, and a failure to queue fails
    the change rather than a committed change losing its delivery."""
    for delivery_id in delivery_ids:
        tasks.delivery_enqueue(delivery_id=delivery_id, attempt=1)


def deliveries_create(*, realm: Realm, event_type: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per enabled endpoint of ``realm`` subscribed to ``event_type``, in the caller's
    transaction (an outbox); the first attempts are queued once it commits."""
    endpoints = selectors.webhooks_subscribed(realm=realm, event_type=event_type)
    if not endpoints:
        return []
    payload = payload_build(event_type=event_type, data=data)
    now = clock.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=e, message_id=_message_id(), event_type=event_type, payload=payload,
                            next_attempt_at=now, created_at=now)
            for e in endpoints
        ]
    )
    _enqueue([d.pk for d in deliveries])
    return deliveries


def webhook_test(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookDelivery:
    """A ``webhook.test`` delivery to this endpoint only, whatever it subscribes to."""
    with transaction.atomic():
        endpoint = _lock(endpoint)
        if not endpoint.enabled:
            raise WebhookInvalid("The webhook is disabled: enable it to send a test event")
        now = clock.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, message_id=_message_id(), event_type=TEST_EVENT,
            payload=payload_build(event_type=TEST_EVENT, data={"realm": endpoint.realm.name}),
            next_attempt_at=now, created_at=now,
        )
        _record(endpoint, "ACTION", "/test", actor, {"eventType": TEST_EVENT, "webhookId": delivery.message_id})
        _enqueue([delivery.pk])
    return delivery


def delivery_resend(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """A new attempt of the same message (same ``webhook-id`` and body), now. A resent delivery
    past its day of retries gets this one attempt."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint__realm").get(pk=delivery.pk)
        )
        if not delivery.endpoint.enabled:
            raise WebhookInvalid("The webhook is disabled: enable it to resend")
        delivery.status = WebhookDelivery.PENDING
        delivery.next_attempt_at = clock.now()
        delivery.save(update_fields=["status", "next_attempt_at"])
        _record(
            delivery.endpoint, "ACTION", f"/deliveries/{delivery.pk}/resend", actor,
            {"eventType": delivery.event_type, "webhookId": delivery.message_id, "attempt": delivery.attempts + 1},
        )
        tasks.delivery_enqueue(delivery_id=delivery.pk, attempt=delivery.attempts + 1)
    return delivery
