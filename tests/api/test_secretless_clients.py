"""Public and bearer-only clients: no secret to regenerate, and no password or refresh grants for bearer-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients import secrets as secret_store
from clients.models import ClientSecret
from clients.services import client_create
from realms import clock
from realms.models import AdminEvent
from tests.api.conftest import compact
from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

BASE = "/admin/realms/master/clients"
TOKEN = "/realms/master/protocol/openid-connect/token"
NO_SECRET = compact({"errorMessage": "Public and bearer-only clients have no client secret"})
BEARER_ONLY = compact({"error": "invalid_client", "error_description": "Bearer-only not allowed"})
SECRET = "bearer-only-secret-of-32-chars!!"


@pytest.fixture
def secretless(master):
    return [
        client_create(realm=master, representation={"clientId": "spa", "publicClient": True}, actor=None),
        client_create(realm=master, representation={"clientId": "resource", "bearerOnly": True}, actor=None),
    ]


def test_admin_api_refuses_to_regenerate_a_secret_it_has_no_use_for(api, secretless):
    for client in secretless:
        response = api.post(f"{BASE}/{client.pk}/client-secret")
        assert response.status_code == 400
        assert response.content == NO_SECRET
        assert not ClientSecret.objects.filter(client=client).exists()
    assert not AdminEvent.objects.filter(resource_path__endswith="/client-secret").exists()


def test_console_hides_and_refuses_regenerate_for_bearer_only(admin_client, secretless):
    resource = secretless[1]
    kwargs = {"realm": "master", "id": resource.pk}
    page = admin_client.get(reverse("client-credentials", kwargs=kwargs)).content.decode()
    assert "Re-generate" not in page.split('id="credentials"', 1)[1].split("Registration access token", 1)[0]
    response = admin_client.post(reverse("client-secret-regenerate", kwargs=kwargs))
    assert response.status_code == 400
    assert "Public and bearer-only clients have no client secret" in response.content.decode()
    assert not ClientSecret.objects.filter(client=resource).exists()


class TestBearerOnlyGrants:
    @pytest.fixture
    def resource(self, master, admin_user):
        """A bearer-only client that somehow holds a secret and has direct access grants on."""
        client = ClientFactory(realm=master, client_id="resource", bearer_only=True, direct_access_grants_enabled=True)
        secret_store.secret_set_current(client, SECRET, now=clock.epoch())
        return client

    def test_password_grant_is_refused(self, client, resource):
        response = client.post(TOKEN, {"grant_type": "password", "client_id": "resource", "client_secret": SECRET,
                                       "username": "admin", "password": ADMIN_PASSWORD})
        assert response.status_code == 400
        assert response.content == BEARER_ONLY

    def test_refresh_grant_is_refused(self, client, resource):
        resource.bearer_only = False
        resource.save()
        tokens = client.post(TOKEN, {"grant_type": "password", "client_id": "resource", "client_secret": SECRET,
                                     "username": "admin", "password": ADMIN_PASSWORD}).json()
        resource.bearer_only = True
        resource.save()
        response = client.post(TOKEN, {"grant_type": "refresh_token", "client_id": "resource", "client_secret": SECRET,
                                       "refresh_token": tokens["refresh_token"]})
        assert response.status_code == 400
        assert response.content == BEARER_ONLY
