"""Webhook endpoints of a realm and the deliveries made to them (an outbox: a delivery row is
written in the transaction of the change it reports, and the worker sends it afterwards)."""

from __future__ import annotations

import uuid

from django.db import models

from realms import clock
from realms.models import Realm


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=2048)
    enabled = models.BooleanField(default=True)
    # The event types this endpoint receives (a subset of clients.signals.SECRET_EVENT_TYPES).
    event_types = models.JSONField(default=list)
    # The ``whsec_`` signing secret, Fernet-encrypted (clients.crypto); shown once, never stored in clear.
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["realm", "created_at"], name="webhooks_endpoint_realm_idx")]


class WebhookDelivery(models.Model):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = [(PENDING, "Pending"), (DELIVERED, "Delivered"), (FAILED, "Failed")]

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The Standard Webhooks ``webhook-id``: fixed at creation, the same on every attempt, so a
    # receiver can drop a message it has already handled.
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64)
    # The JSON body exactly as signed and sent (text, not a JSON column: every attempt sends the
    # same bytes, whatever key order the database keeps).
    payload = models.TextField()
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [
            # The Deliveries list: one endpoint's deliveries, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_list_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["pending", "delivered", "failed"]), name="webhooks_delivery_status"),
        ]
