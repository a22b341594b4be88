from __future__ import annotations

import pytest

from tests.conftest import make_user

WEEKLY = "Weekly Client Secret Rotation Profile"


@pytest.fixture
def weekly_profiles() -> dict:
    """The procedure's profile: one week / two days / one day (keycloak-behaviour.md §3.5)."""
    return {
        "profiles": [
            {
                "name": WEEKLY,
                "description": "Rotates confidential clients' secrets every week",
                "executors": [
                    {
                        "executor": "secret-rotation",
                        "configuration": {
                            "expiration-period": "604800",
                            "rotated-expiration-period": "172800",
                            "remaining-rotation-period": "86400",
                        },
                    }
                ],
            }
        ]
    }


@pytest.fixture
def weekly_policies() -> dict:
    return {
        "policies": [
            {
                "name": "Client Secret Rotation Policy",
                "description": "All confidential clients",
                "enabled": True,
                "conditions": [
                    {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
                ],
                "profiles": [WEEKLY],
            }
        ]
    }


@pytest.fixture
def manager_client(client, db, django_user_model):
    """manage-realm only (which implies view-realm)."""
    client.force_login(make_user(django_user_model, "realm-manager", ["manage-realm"]))
    return client


@pytest.fixture
def outsider_client(client, db, django_user_model):
    """Signed in, but may only view clients: no realm permission."""
    client.force_login(make_user(django_user_model, "outsider", ["view-clients"]))
    return client
