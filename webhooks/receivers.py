"""Signal receivers of the webhooks app, connected in ``WebhooksConfig.ready()``."""

from __future__ import annotations

from webhooks import services


def secret_event_deliveries(sender, *, realm, client, event_type: str, data: dict, **kwargs) -> None:
    """``clients.signals.secret_event``: one delivery per enabled endpoint of the realm subscribed
    to ``event_type``, written in the sender's transaction (an outbox)."""
    services.deliveries_create(realm=realm, event_type=event_type, data=data)
