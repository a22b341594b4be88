"""Realm settings → Webhooks in the console: who may do what, the secret shown once, htmx fragments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.signals import SECRET_COMPROMISED, SECRET_ROTATED
from realms.actor import Actor
from tests.permissions import HTMX, TO_LOGIN, get, post
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

LIST = "/console/master/realm-settings/webhooks/"
ADD = LIST + "add"
FORM = {"url": "http://127.0.0.1:9/hook", "event_types": [SECRET_ROTATED, SECRET_COMPROMISED], "enabled": "on"}


@pytest.fixture
def endpoint(master):
    return services.webhook_create(realm=master, url="http://127.0.0.1:9/hook", event_types=[SECRET_ROTATED], actor=Actor())[0]


def test_the_tab_is_listed_in_realm_settings(admin_client, master):
    page = admin_client.get("/console/master/realm-settings/").content.decode()
    assert f'href="{LIST}">Webhooks</a>' in page


def test_view_realm_reads_and_manage_realm_writes(permission_matrix, endpoint):
    base = f"{LIST}{endpoint.id}/"
    permission_matrix(
        [get(LIST), get(base + "deliveries")],
        anonymous=TO_LOGIN, outsider=403, viewer=200, manager=200,
        outsider_roles=["view-clients"], viewer_roles=["view-realm"], manager_roles=["manage-realm"],
    )
    writes = [
        get(ADD), post(ADD, FORM), get(base + "edit"), post(base + "enabled", {"enabled": "0"}), post(base + "test"),
        post(base + "secret"),
    ]
    permission_matrix(writes, anonymous=TO_LOGIN, outsider=403, viewer=403,
                      outsider_roles=["view-clients"], viewer_roles=["view-realm"])
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().enabled


def test_add_webhook_shows_the_secret_once(console_client, master):
    manager = console_client(["manage-realm"])
    created = manager.post(ADD, FORM)
    assert created.status_code == 201
    page = created.content.decode()
    secret_start = page.index('value="whsec_') + len('value="')
    secret = page[secret_start:page.index('"', secret_start)]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == FORM["url"] and endpoint.event_types == [SECRET_ROTATED, SECRET_COMPROMISED] and endpoint.enabled
    assert "can not be retrieved later" in page
    assert secret not in manager.get(LIST).content.decode()
    assert secret not in console_client(["view-realm"]).get(LIST).content.decode()


def test_a_refused_url_is_a_form_error(console_client, settings, master):
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    manager = console_client(["manage-realm"])
    refused = manager.post(ADD, FORM)
    assert refused.status_code == 400
    assert "loopback, private, link-local, multicast or reserved address" in refused.content.decode()
    assert manager.post(ADD, {**FORM, "url": "gopher://x"}).status_code == 400
    missing = manager.post(ADD, {"url": "https://93.184.215.14/", "enabled": "on"})
    assert missing.status_code == 400 and "Choose at least one event type" in missing.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_disable_and_delete(console_client, endpoint):
    manager = console_client(["manage-realm"])
    base = f"{LIST}{endpoint.id}/"
    assert manager.post(base + "edit", {**FORM, "url": "http://127.0.0.1:10/other"}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:10/other" and endpoint.event_types == [SECRET_ROTATED, SECRET_COMPROMISED]

    fragment = manager.post(base + "enabled", {"enabled": "0"}, **HTMX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="webhook-table">') and "Webhook disabled" in body and ">Enable</button>" in body
    endpoint.refresh_from_db()
    assert not endpoint.enabled

    deleted = manager.post(base + "delete", **HTMX)
    assert deleted.status_code == 200 and "No webhooks" in deleted.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_send_test_event_and_resend_in_the_deliveries_list(console_client, endpoint):
    manager = console_client(["manage-realm"])
    base = f"{LIST}{endpoint.id}/"
    queued = manager.post(base + "test")
    assert queued.status_code == 302 and queued["Location"] == base + "deliveries"
    delivery = WebhookDelivery.objects.get()
    page = manager.get(base + "deliveries").content.decode()
    assert "webhook.test" in page and delivery.message_id in page and "Resend" in page
    resent = manager.post(f"{base}deliveries/{delivery.pk}/resend", **HTMX)
    assert resent.status_code == 200 and resent.content.decode().lstrip().startswith('<div id="delivery-table">')
    assert "Resend" not in console_client(["view-realm"]).get(base + "deliveries").content.decode()


def test_regenerate_secret_shows_the_new_one_once(console_client, endpoint):
    manager = console_client(["manage-realm"])
    answer = manager.post(f"{LIST}{endpoint.id}/secret").content.decode()
    assert 'value="whsec_' in answer and "can not be retrieved later" in answer


def test_the_deliveries_page_costs_the_same_queries_for_5_or_50_deliveries(console_client, endpoint):
    manager = console_client(["view-realm"])
    url = f"{LIST}{endpoint.id}/deliveries"

    def fill(n):
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(endpoint=endpoint, message_id=f"msg_{n}_{i}", event_type=SECRET_ROTATED, payload="{}") for i in range(n)]
        )

    fill(5)
    with CaptureQueriesContext(connection) as few:
        assert manager.get(url).status_code == 200
    fill(45)
    with CaptureQueriesContext(connection) as many:
        assert manager.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
