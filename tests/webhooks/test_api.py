"""Admin REST API: /admin/realms/{realm}/webhooks. view-realm reads, manage-realm writes; the
secret is answered by the create and the regenerate only; bad input is Keycloak's 400 shape."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from clients.signals import SECRET_COMPROMISED, SECRET_ROTATED
from realms.models import AdminEvent
from tests.api.conftest import Api, password_token
from tests.conftest import make_user
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

BASE = "/admin/realms/master/webhooks"
BODY = {"url": "http://127.0.0.1:9/hook", "eventTypes": [SECRET_ROTATED, SECRET_COMPROMISED]}


@pytest.fixture
def api(client, master, admin_user):
    return Api(client, password_token(client, admin_user.username))


@pytest.fixture
def api_as(client, master, django_user_model):
    def build(*roles: str) -> Api:
        user = make_user(django_user_model, "-".join(roles), list(roles))
        return Api(client, password_token(client, user.username))

    return build


def _create(api, body=None):
    response = api.post(BASE, body or BODY)
    assert response.status_code == 201, response.content
    return response


def test_create_answers_the_secret_once_and_reads_never_show_it(api):
    created = _create(api)
    rep = created.json()
    assert set(rep) == {"id", "url", "enabled", "eventTypes", "secret"}
    assert rep["url"] == BODY["url"] and rep["enabled"] is True and rep["eventTypes"] == [SECRET_ROTATED, SECRET_COMPROMISED]
    assert rep["secret"].startswith("whsec_")
    Webhook(rep["secret"])  # a valid Standard Webhooks secret
    assert created["Location"].endswith(f"{BASE}/{rep['id']}")

    listed = api.get(BASE).json()
    assert listed == [{"id": rep["id"], "url": BODY["url"], "enabled": True, "eventTypes": rep["eventTypes"]}]
    assert api.get(f"{BASE}/{rep['id']}").json() == listed[0]
    assert rep["secret"] not in WebhookEndpoint.objects.get().secret_encrypted  # encrypted at rest
    assert rep["secret"].removeprefix("whsec_") not in "".join(AdminEvent.objects.values_list("representation", flat=True))


def test_update_merges_and_delete_removes(api):
    rep = _create(api).json()
    assert api.put(f"{BASE}/{rep['id']}", {"enabled": False}).status_code == 204
    assert api.put(f"{BASE}/{rep['id']}", {"eventTypes": [SECRET_COMPROMISED]}).status_code == 204
    got = api.get(f"{BASE}/{rep['id']}").json()
    assert got["enabled"] is False and got["eventTypes"] == [SECRET_COMPROMISED] and got["url"] == BODY["url"]
    assert api.delete(f"{BASE}/{rep['id']}").status_code == 204
    assert api.get(f"{BASE}/{rep['id']}").status_code == 404
    assert list(AdminEvent.objects.filter(resource_type="WEBHOOK").values_list("operation_type", flat=True).order_by("id")) == [
        "CREATE", "UPDATE", "UPDATE", "DELETE"
    ]


def test_regenerate_answers_a_new_secret(api):
    rep = _create(api).json()
    response = api.post(f"{BASE}/{rep['id']}/secret")
    assert response.status_code == 200
    assert set(response.json()) == {"secret"} and response.json()["secret"] != rep["secret"]


def test_a_given_secret_is_taken_and_never_echoed(api):
    secret = "whsec_" + "A" * 44
    rep = _create(api, {**BODY, "secret": secret}).json()
    assert rep["secret"] == secret
    assert api.put(f"{BASE}/{rep['id']}", {"secret": "whsec_" + "B" * 44}).status_code == 204
    assert "secret" not in api.get(f"{BASE}/{rep['id']}").json()


def test_test_event_and_deliveries(api):
    rep = _create(api).json()
    queued = api.post(f"{BASE}/{rep['id']}/test")
    assert queued.status_code == 202
    assert queued.json()["eventType"] == "webhook.test" and queued.json()["status"] == "pending"
    deliveries = api.get(f"{BASE}/{rep['id']}/deliveries").json()
    assert [set(d) for d in deliveries] == [{
        "id", "messageId", "eventType", "status", "attempts", "lastStatusCode", "lastError", "lastAttemptAt",
        "nextAttemptAt", "createdAt",
    }]
    assert deliveries[0]["messageId"].startswith("msg_")
    resent = api.post(f"{BASE}/{rep['id']}/deliveries/{deliveries[0]['id']}/resend")
    assert resent.status_code == 202 and resent.json()["messageId"] == deliveries[0]["messageId"]
    assert api.post(f"{BASE}/{rep['id']}/deliveries/999999/resend").status_code == 404


def test_view_realm_reads_without_secrets_and_cannot_write(api, api_as):
    rep = _create(api).json()
    viewer = api_as("view-realm")
    assert viewer.get(BASE).status_code == 200
    assert viewer.get(f"{BASE}/{rep['id']}/deliveries").status_code == 200
    assert viewer.post(BASE, BODY).status_code == 403
    assert viewer.put(f"{BASE}/{rep['id']}", {"enabled": False}).status_code == 403
    assert viewer.delete(f"{BASE}/{rep['id']}").status_code == 403
    assert viewer.post(f"{BASE}/{rep['id']}/secret").status_code == 403
    assert viewer.post(f"{BASE}/{rep['id']}/test").status_code == 403
    clients_only = api_as("view-clients", "manage-clients")
    assert clients_only.get(BASE).status_code == 403
    assert clients_only.post(BASE, BODY).status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_anonymous_is_401(client, master):
    assert Api(client, None).get(BASE).status_code == 401


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"url": "ftp://x/hook", "eventTypes": [SECRET_ROTATED]}, {"errorMessage": "Only http and https URLs are allowed"}),
        ({"url": "http://127.0.0.1/", "eventTypes": ["client.secret.leaked"]}, {"errorMessage": "Unknown event type 'client.secret.leaked'"}),
        ({"url": "http://127.0.0.1/", "eventTypes": []}, {"errorMessage": "Choose at least one event type"}),
        ({"url": "http://127.0.0.1/", "eventTypes": "client.secret.rotated"}, {"errorMessage": "Event types must be a list of event type names"}),
        ({"eventTypes": [SECRET_ROTATED]}, {"errorMessage": "url is required"}),
        ({"url": "http://127.0.0.1/"}, {"errorMessage": "eventTypes is required"}),
        ({**BODY, "secret": "plain"}, {"errorMessage": "The secret must start with whsec_"}),
        ({**BODY, "secret": "whsec_AAAA"}, {"errorMessage": "The secret must hold 24 to 64 bytes"}),
        ({**BODY, "colour": "red"}, {"error": 'Invalid json representation for WebhookRepresentation. Unrecognized field "colour" (class WebhookRepresentation), not marked as ignorable.'}),
        ({**BODY, "enabled": "yes"}, {"error": 'Invalid json representation for WebhookRepresentation. Cannot deserialize value of type `java.lang.Boolean` from String value (field "enabled").'}),
    ],
)
def test_bad_input_is_a_400_in_keycloaks_shape_and_creates_nothing(api, body, expected):
    response = api.post(BASE, body)
    assert response.status_code == 400
    assert response.json() == expected
    assert not WebhookEndpoint.objects.exists()


def test_unknown_realm_and_webhook_are_404(api):
    assert api.get("/admin/realms/nope/webhooks").status_code == 404
    assert api.get(f"{BASE}/not-a-uuid").status_code == 404
    assert api.get(f"{BASE}/00000000-0000-0000-0000-000000000000/deliveries").status_code == 404
    assert api.post(BASE, "[1]").status_code == 400


def test_the_openapi_description_lists_the_webhook_paths(api):
    paths = api.get("/admin/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/admin/realms/{realm}/webhooks"])
    assert {"get", "put", "delete"} <= set(paths["/admin/realms/{realm}/webhooks/{id}"])
    assert "post" in paths["/admin/realms/{realm}/webhooks/{id}/secret"]
    assert "get" in paths["/admin/realms/{realm}/webhooks/{id}/deliveries"]
