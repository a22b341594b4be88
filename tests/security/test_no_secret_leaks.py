"""No secret value appears in admin events, login events, logs or exports.

One flow touches every credential path: create (console and API), regenerate (console and API)
with a rotation policy so a rotated secret exists, read both secrets, invalidate the rotated one,
regenerate the registration access token, dynamic registration with an initial access token,
and token/introspection requests with right and wrong secrets. Every secret value seen on the
wire is collected; then the audit trail, every log record and the exports are searched for them.
"""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command

from realms.models import AdminEvent, LoginEvent
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

PROFILES = {"profiles": [{"name": "rotate", "executors": [{"executor": "secret-rotation", "configuration": {
    "expiration-period": "3600", "rotated-expiration-period": "1800", "remaining-rotation-period": "600"}}]}]}
POLICIES = {"policies": [{"name": "rotate-confidential", "enabled": True, "profiles": ["rotate"], "conditions": [
    {"condition": "client-access-type", "configuration": {"type": ["confidential"]}}]}]}
GIVEN_SECRET = "given-secret-value-000111222333444555"
WRONG_SECRET = "wrong-secret-value-999888777666555444"


@pytest.fixture
def admin_api(client, admin_user, master):
    from oidc import keys

    keys.cache_forget_realm(master.pk)
    response = client.post("/realms/master/protocol/openid-connect/token",
                           {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}

    def call(method, path, body=None):
        data = json.dumps(body) if body is not None else ""
        return getattr(client, method)(path, data, content_type="application/json", **auth)

    return call


def test_no_secret_in_events_logs_or_exports(client, admin_api, admin_user, master, caplog):
    caplog.set_level(logging.DEBUG)  # everything that reaches the root logger, at every level
    seen: set[str] = {GIVEN_SECRET, WRONG_SECRET, ADMIN_PASSWORD}
    base = "/admin/realms/master"

    assert admin_api("put", f"{base}/client-policies/profiles", PROFILES).status_code == 204
    assert admin_api("put", f"{base}/client-policies/policies", POLICIES).status_code == 204

    # Create through the API with a given secret; regenerate twice so a rotated secret exists.
    created = admin_api("post", f"{base}/clients", {"clientId": "leaky", "secret": GIVEN_SECRET, "publicClient": False,
                                                    "serviceAccountsEnabled": True, "directAccessGrantsEnabled": True})
    assert created.status_code == 201, created.content
    uuid = created["Location"].rsplit("/", 1)[1]
    for _ in range(2):
        regenerated = admin_api("post", f"{base}/clients/{uuid}/client-secret")
        assert regenerated.status_code == 200
        seen.add(regenerated.json()["value"])
    current = admin_api("get", f"{base}/clients/{uuid}/client-secret").json()["value"]
    rotated = admin_api("get", f"{base}/clients/{uuid}/client-secret/rotated")
    assert rotated.status_code == 200, "the rotation policy should have kept a rotated secret"
    seen |= {current, rotated.json()["value"]}
    seen.add(admin_api("get", f"{base}/clients/{uuid}").json().get("secret", GIVEN_SECRET))

    # Token and introspection: right, rotated and wrong secrets.
    token_url = "/realms/master/protocol/openid-connect/token"
    ok = client.post(token_url, {"grant_type": "client_credentials", "client_id": "leaky", "client_secret": current})
    assert ok.status_code == 200
    seen.add(ok.json()["access_token"])
    assert client.post(token_url, {"grant_type": "client_credentials", "client_id": "leaky", "client_secret": rotated.json()["value"]}).status_code == 200
    assert client.post(token_url, {"grant_type": "client_credentials", "client_id": "leaky", "client_secret": WRONG_SECRET}).status_code == 401
    client.post(f"{token_url}/introspect", {"token": ok.json()["access_token"], "client_id": "leaky", "client_secret": WRONG_SECRET})

    # Invalidate the rotated secret; regenerate the registration access token.
    assert admin_api("delete", f"{base}/clients/{uuid}/client-secret/rotated").status_code == 204
    rat = admin_api("post", f"{base}/clients/{uuid}/registration-access-token")
    assert rat.status_code == 200
    seen.add(rat.json().get("registrationAccessToken") or "")

    # Dynamic registration with an initial access token.
    initial = admin_api("post", f"{base}/clients-initial-access", {"count": 1, "expiration": 600})
    assert initial.status_code in (200, 201), initial.content
    iat = initial.json()["token"]
    seen.add(iat)
    registered = client.post("/realms/master/clients-registrations/openid-connect",
                             json.dumps({"client_name": "dcr-app", "redirect_uris": ["https://app.example/cb"]}),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {iat}")
    assert registered.status_code == 201, registered.content
    dcr = registered.json()
    assert dcr["client_secret"] and dcr["registration_access_token"]
    seen |= {dcr["client_secret"], dcr["registration_access_token"]}
    updated = client.put(f"/realms/master/clients-registrations/openid-connect/{dcr['client_id']}",
                         json.dumps({**dcr, "client_name": "dcr-app-2"}), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {dcr['registration_access_token']}")
    assert updated.status_code == 200, updated.content
    seen |= {updated.json().get("client_secret") or "", updated.json().get("registration_access_token") or ""}

    # The console: create a client, regenerate its secret.
    from clients.models import Client
    from clients.secrets import secret_get, secret_value

    client.force_login(admin_user)
    page = client.post("/console/master/clients/add-client",
                       {"client_id": "console-app", "protocol": "openid-connect", "client_authentication": "on", "enabled": "on"})
    assert page.status_code == 302, page.content.decode()[:2000]
    console_client = Client.objects.get(realm=master, client_id="console-app")
    seen.add(secret_value(secret_get(console_client, "current")) or "")
    assert client.post(f"/console/master/clients/{console_client.pk}/credentials/client-secret").status_code in (200, 302)
    seen.add(secret_value(secret_get(console_client, "current")) or "")
    client.post(f"/console/master/clients/{uuid}/credentials/client-secret")
    seen.add(secret_value(secret_get(Client.objects.get(pk=uuid), "current")) or "")

    secrets = {s for s in seen if s and len(s) >= 12}
    assert len(secrets) >= 12

    # 1. The audit trail.
    events = list(AdminEvent.objects.values_list("representation", flat=True))
    assert len(events) >= 8
    assert any('"**********"' in rep for rep in events), "secrets are masked, not left out"
    trail = "\n".join(events) + json.dumps(list(LoginEvent.objects.values("client_id", "error", "details", "secret_used")))
    assert LoginEvent.objects.filter(type="CLIENT_LOGIN_ERROR").exists()
    for secret in secrets:
        assert secret not in trail

    # 2. Every log record: message, arguments and exception text.
    assert caplog.records, "the flow logs something (e.g. the 401s)"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "") + repr(getattr(record, "request", ""))
        for secret in secrets:
            assert secret not in text, f"secret logged by {record.name}: {record.getMessage()[:200]}"

    # 3. Exports: the realm representation and the client-policies export.
    realm_rep = admin_api("get", base).content.decode()
    out = StringIO()
    call_command("export_client_policies", "master", stdout=out)
    for secret in secrets:
        assert secret not in realm_rep
        assert secret not in out.getvalue()
    assert "rotate-confidential" in out.getvalue()


def test_view_only_callers_see_the_secret_masked(client, master, admin_user, django_user_model):
    """A client representation read without manage-clients shows the mask, never the value."""
    from clients.services import client_create
    from tests.conftest import make_user

    client_create(realm=master, representation={"clientId": "masked", "secret": GIVEN_SECRET}, actor=None)
    make_user(django_user_model, "reader", ["view-clients"])
    from oidc import keys

    keys.cache_forget_realm(master.pk)
    token = client.post("/realms/master/protocol/openid-connect/token",
                        {"grant_type": "password", "client_id": "admin-cli", "username": "reader", "password": ADMIN_PASSWORD}).json()["access_token"]
    listing = client.get("/admin/realms/master/clients", {"clientId": "masked"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert listing.status_code == 200
    assert GIVEN_SECRET not in listing.content.decode()
