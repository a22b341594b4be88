"""Shared by the secret-visibility and no-store tests: a realm whose client has every kind of secret."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from clients import secrets as secret_store
from clients.models import Client, ClientSecret
from clients.services import client_secret_regenerate
from oidc import keys
from oidc.services import initial_access_token_create
from realms.services import realm_create
from tests.conftest import ADMIN_PASSWORD, make_user
from tests.oidc.conftest import rotation_policy

DCR = "/realms/acme/clients-registrations/openid-connect"
API = "/admin/realms/acme"


@dataclass
class World:
    client: Client
    current: str
    rotated: str
    registration_token: str
    initial_token: str

    @property
    def secrets(self) -> dict[str, str]:
        return {"current secret": self.current, "rotated secret": self.rotated,
                "registration access token": self.registration_token, "initial access token": self.initial_token}


@pytest.fixture
def world(client, master, admin_user, django_user_model) -> World:
    """Realm acme with a rotation policy and one registered client that has a current and a
    rotated secret and a registration access token; a viewer and a manager in realm master."""
    realm = realm_create(name="acme", access_token_lifespan=300)
    rotation_policy(realm, expiration=3600, rotated=1800, remaining=600)
    initial_token, _ = initial_access_token_create(realm=realm, expiration=3600, count=5, actor=None)
    response = client.post(DCR, json.dumps({"client_name": "App", "grant_types": ["client_credentials"]}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {initial_token}")
    assert response.status_code == 201, response.content
    registered = response.json()
    registered_client = Client.objects.get(realm=realm, client_id=registered["client_id"])
    current = client_secret_regenerate(client=registered_client, actor=None)
    rotated = secret_store.secret_value(secret_store.secret_get(registered_client, ClientSecret.ROTATED))
    assert rotated == registered["client_secret"], "the rotation policy keeps the old secret as the rotated one"
    make_user(django_user_model, "viewer", ["view-realm", "view-clients"])
    make_user(django_user_model, "manager", ["view-realm", "manage-clients"])
    keys.cache_forget_realm(master.pk)
    return World(client=registered_client, current=current, rotated=rotated,
                 registration_token=registered["registration_access_token"], initial_token=initial_token)


def password_token(client, username: str) -> str:
    response = client.post("/realms/master/protocol/openid-connect/token",
                           {"grant_type": "password", "client_id": "admin-cli", "username": username, "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def call(client, method: str, path: str, token: str | None = None, body=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data, content_type="application/json", **headers, **extra)
