"""Realm settings → Webhooks in Chromium, by its labels: add a webhook, copy its secret (shown
once), send a test event, see it delivered in the Deliveries list."""

from __future__ import annotations

import json

import pytest

from tests.webhooks.conftest import run_worker
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_webhook_see_its_secret_once_and_a_delivered_test_event(console_page, master, receiver):
    page = console_page
    page.get_by_role("link", name="Realm Settings").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("heading", name="No webhooks").wait_for()
    page.get_by_role("link", name="Add webhook").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("client.secret.rotated", exact=True).check()
    page.get_by_label("client.secret.compromised").check()
    assert page.get_by_label("Enabled").is_checked()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Webhook created").wait_for()
    secret = page.get_by_label("Secret", exact=True).input_value()
    assert secret.startswith("whsec_")
    receiver.secret = secret
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["client.secret.rotated", "client.secret.compromised"]

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("cell", name=receiver.url, exact=True).wait_for()
    assert secret not in page.content()

    page.get_by_role("button", name=f"Send test event to {receiver.url}").click()
    page.get_by_text("Test event queued").wait_for()
    page.get_by_role("heading", name="Deliveries").wait_for()
    run_worker()
    page.get_by_role("link", name="Refresh").click()
    row = page.get_by_role("row").filter(has_text="webhook.test")
    row.get_by_role("cell", name="Delivered").wait_for()
    row.get_by_role("cell", name="200", exact=True).wait_for()
    assert json.loads(receiver.requests[0].body)["type"] == "webhook.test"
    assert isinstance(receiver.requests[0].verified, dict)

    delivery = WebhookDelivery.objects.get()
    page.get_by_role("button", name=f"Resend {delivery.message_id}").click()
    page.get_by_text("Delivery queued again").wait_for()
    run_worker()
    assert receiver.ids() == [delivery.message_id, delivery.message_id]

    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("button", name=f"Regenerate secret of {receiver.url}").click()
    page.get_by_role("dialog").get_by_role("button", name="Regenerate").click()
    page.get_by_text("New secret generated").wait_for()
    assert page.get_by_label("Secret", exact=True).input_value() not in (secret, "")
