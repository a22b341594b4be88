"""The worker and the webhooks together: the expiry sweep's warnings and its automatic rotation
reach a real receiver as signed Standard Webhooks, one per threshold, never with a secret."""

from __future__ import annotations

import json

import pytest

from clients.crypto import decrypt
from clients.models import ClientSecret
from clients.secrets import secret_value
from expiry.services import expiry_settings_update
from tests.expiry.conftest import ACTOR, DAY, EXPIRES, at
from tests.expiry.conftest import run_worker as run_all_queues
from tests.webhooks.conftest import receiver  # noqa: F401, F811  (a real local HTTP receiver)
from webhooks import services

pytestmark = pytest.mark.django_db(transaction=True)


def bodies(hook_receiver) -> list[dict]:
    return [json.loads(request.body) for request in hook_receiver.requests]


def test_each_threshold_and_the_automatic_rotation_arrive_once_signed_and_without_a_secret(realm, make_client, receiver):  # noqa: F811
    svc = make_client()
    endpoint, receiver.secret = services.webhook_create(
        realm=realm,
        url=receiver.url,
        event_types=["client.secret.expiring", "client.secret.expired", "client.secret.rotated"],
        actor=ACTOR,
    )
    values = {row.kind: row.value_encrypted for row in ClientSecret.objects.filter(client=svc)}

    for when in (EXPIRES - 30 * DAY, EXPIRES - 30 * DAY + 60, EXPIRES - 7 * DAY, EXPIRES - 7 * DAY + 60):
        with at(when):
            run_all_queues()
    received = bodies(receiver)
    assert [(body["type"], body["data"]["threshold"]) for body in received] == [
        ("client.secret.expiring", 30 * DAY),
        ("client.secret.expiring", 7 * DAY),
    ]
    # Every request verified with the endpoint's secret (the receiver checks with standardwebhooks).
    assert all(isinstance(request.verified, dict) for request in receiver.requests)
    assert received[0]["data"] == {
        "realm": realm.name, "clientId": "svc", "id": str(svc.id), "expiresAt": EXPIRES, "rotatedExpiresAt": None,
        "threshold": 30 * DAY,
    }

    # Automatic rotation two days ahead: one `client.secret.rotated`, the old secret's expiry named.
    expiry_settings_update(
        realm=realm, actor=ACTOR, warn_before=[30 * DAY, 7 * DAY, DAY], auto_rotate=True, auto_rotate_before=2 * DAY,
        email_recipients=[],
    )
    for when in (EXPIRES - 2 * DAY, EXPIRES - 2 * DAY + 60):
        with at(when):
            run_all_queues()
    rotated = [body for body in bodies(receiver) if body["type"] == "client.secret.rotated"]
    assert len(rotated) == 1
    assert rotated[0]["data"]["rotatedExpiresAt"] is not None and rotated[0]["data"]["expiresAt"] > EXPIRES
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == len(receiver.requests)
    # No secret in any body: neither the old ones nor the one the rotation made.
    new_secret = secret_value(ClientSecret.objects.get(client=svc, kind=ClientSecret.CURRENT))
    assert new_secret not in [decrypt(stored) for stored in values.values()]
    sent = b"".join(request.body for request in receiver.requests)
    for secret in [*(decrypt(stored) for stored in values.values()), new_secret]:
        assert secret.encode() not in sent
