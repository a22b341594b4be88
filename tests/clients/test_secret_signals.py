"""clients.signals: what a receiver (webhooks, the expiry worker) learns about secret changes."""

import pytest
from django.db import transaction

from clients import services
from clients.signals import (
    SECRET_COMPROMISED,
    SECRET_ROTATED,
    SECRET_ROTATED_INVALIDATED,
    secret_event,
    secret_event_send,
)
from realms.actor import Actor
from tests.factories import ClientFactory, rotation_policy_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    seen = []

    def receiver(sender, **kwargs):
        # Receivers run inside the writing transaction.
        seen.append({**kwargs, "in_atomic": transaction.get_connection().in_atomic_block})

    secret_event.connect(receiver, weak=False)
    yield seen
    secret_event.disconnect(receiver)


def test_regenerate_invalidate_and_compromised_are_sent_with_ids_and_times_never_a_secret(master, received):
    rotation_policy_make(master)
    client = ClientFactory(realm=master, client_id="app")
    services.client_update(client=client, representation={}, actor=Actor())
    new_secret = services.client_secret_regenerate(client=client, actor=Actor())
    services.client_rotated_secret_invalidate(client=client, actor=Actor())
    services.client_rotated_secret_invalidate(client=client, actor=Actor())  # nothing left: no event
    compromised_secret = services.client_secret_compromised(client=client, actor=Actor())

    assert [event["event_type"] for event in received] == [SECRET_ROTATED, SECRET_ROTATED_INVALIDATED, SECRET_COMPROMISED]
    rotated = received[0]["data"]
    assert rotated["realm"] == "master" and rotated["clientId"] == "app" and rotated["id"] == str(client.id)
    assert isinstance(rotated["expiresAt"], int) and isinstance(rotated["rotatedExpiresAt"], int)
    assert received[1]["data"]["rotatedExpiresAt"] is None
    assert all(event["in_atomic"] for event in received)
    for event in received:
        assert new_secret not in repr(event["data"]) and compromised_secret not in repr(event["data"])
        assert "threshold" not in event["data"]


def test_a_warning_carries_its_threshold_and_unknown_types_are_refused(master, received):
    client = ClientFactory(realm=master, client_id="app")
    secret_event_send(event_type="client.secret.expiring", client=client, threshold=86400)
    assert received[0]["data"]["threshold"] == 86400
    with pytest.raises(ValueError):
        secret_event_send(event_type="client.secret.leaked", client=client)
