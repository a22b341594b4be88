"""What happened to a client's secrets, for whoever must be told (webhooks, the expiry worker).

``secret_event`` is sent inside the transaction that made the change, so a receiver that stores
something (a webhook delivery row, for example) commits or rolls back with it. Receivers get
``realm``, ``client``, ``event_type`` (one of ``SECRET_EVENT_TYPES``) and ``data``, the payload
every receiver may pass on: ids and times only, never a secret.
"""

from __future__ import annotations

from django.dispatch import Signal

from clients import secrets as secret_store
from clients.models import Client

SECRET_EXPIRING = "client.secret.expiring"
SECRET_EXPIRED = "client.secret.expired"
SECRET_ROTATED = "client.secret.rotated"
SECRET_ROTATED_INVALIDATED = "client.secret.rotated_invalidated"
SECRET_COMPROMISED = "client.secret.compromised"
SECRET_EVENT_TYPES = (
    SECRET_EXPIRING,
    SECRET_EXPIRED,
    SECRET_ROTATED,
    SECRET_ROTATED_INVALIDATED,
    SECRET_COMPROMISED,
)

secret_event = Signal()


def secret_event_data(*, client: Client, threshold: int | None = None) -> dict:
    """The payload for ``client``: realm, ids and the expiries as they are now (epoch seconds or
    ``None``); ``threshold`` (seconds before expiry) for a warning."""
    current, rotated = secret_store.secret_rows_fresh(client=client)
    data = {
        "realm": client.realm.name,
        "clientId": client.client_id,
        "id": str(client.id),
        "expiresAt": current.expiration_time if secret_store.secret_has_expiration(secret=current) else None,
        "rotatedExpiresAt": rotated.expiration_time if rotated is not None and rotated.expiration_time else None,
    }
    if threshold is not None:
        data["threshold"] = threshold
    return data


def secret_event_send(*, event_type: str, client: Client, threshold: int | None = None) -> None:
    """Tell the receivers that ``event_type`` happened to ``client``'s secrets. Call it inside the
    transaction that made the change, after the change."""
    if event_type not in SECRET_EVENT_TYPES:
        raise ValueError(f"unknown secret event type {event_type!r}")
    if not secret_event.receivers:
        return
    secret_event.send(
        sender=Client,
        realm=client.realm,
        client=client,
        event_type=event_type,
        data=secret_event_data(client=client, threshold=threshold),
    )
