from __future__ import annotations

import pytest

WEEKLY = "Weekly Client Secret Rotation Profile"


@pytest.fixture
def weekly_profiles() -> dict:
    """The procedure's profile: one week / two days / one day (docs/keycloak.md §3.5)."""
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
def realm_manager_client(console_client):
    """manage-realm only (which implies view-realm)."""
    return console_client(["manage-realm"], username="realm-manager")
