"""Fixtures for the OIDC endpoint tests: a realm with a signing key, clients with known secrets."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import time_machine

from tests.factories import ClientFactory, PublicClientFactory

SECRET = "S3cretValueOfThirtyTwoCharacters"
T0 = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)
TOKEN = "/realms/{realm}/protocol/openid-connect/token"


def at(seconds: int = 0):
    """Freeze the one clock at T0 + seconds."""
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def realm(db):
    from realms.services import realm_create

    return realm_create(name="acme", access_token_lifespan=300)


@pytest.fixture
def svc(realm):
    """A confidential client with a service account and a known secret."""
    return ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret=SECRET)


@pytest.fixture
def public_app(realm):
    return PublicClientFactory(realm=realm, client_id="spa", direct_access_grants_enabled=True)


@pytest.fixture
def token_post(client):
    """POST the token endpoint of ``realm`` (a name) with form ``data``."""

    def post(realm: str, data: dict, path: str = TOKEN, **headers):
        return client.post(path.format(realm=realm), data, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})

    return post


def rotation_policy(realm, *, expiration: int, rotated: int, remaining: int, condition: dict | None = None) -> None:
    """A realm policy applying ``secret-rotation`` to confidential clients (the procedure's setup)."""
    from policies.services import policies_replace, profiles_replace

    profiles_replace(realm=realm, representation={"profiles": [{
        "name": "Weekly Client Secret Rotation Profile",
        "executors": [{"executor": "secret-rotation", "configuration": {
            "expiration-period": str(expiration), "rotated-expiration-period": str(rotated),
            "remaining-rotation-period": str(remaining)}}],
    }]})
    policies_replace(realm=realm, representation={"policies": [{
        "name": "Weekly Client Secret Rotation Policy",
        "enabled": True,
        "conditions": [condition or {"condition": "client-access-type", "configuration": {"type": ["confidential"]}}],
        "profiles": ["Weekly Client Secret Rotation Profile"],
    }]})
