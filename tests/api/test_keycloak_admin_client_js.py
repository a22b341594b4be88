"""@keycloak/keycloak-admin-client 26.x, unmodified, run with the machine's Node.js against a live server.

``tests/js/admin-client.mjs`` does the calls and prints what they returned; this test asserts on it.
``make test`` installs the package from ``tests/js/package-lock.json`` first (``npm ci``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "admin-client.mjs"
PROFILE_NAME = "Weekly Client Secret Rotation Profile"


def run_admin_client(live_server, **env) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the admin-client test (Debian package nodejs)")
    if not (JS_DIR / "node_modules" / "@keycloak" / "keycloak-admin-client").is_dir():
        pytest.fail("tests/js has no node_modules: run `make node-deps` (npm ci in tests/js)")
    completed = subprocess.run(
        [node, str(SCRIPT)],
        cwd=JS_DIR,
        env={**os.environ, "KC_BASE_URL": live_server.url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"admin-client script printed no JSON (exit {completed.returncode}): {completed.stdout!r} {completed.stderr!r}")
    assert completed.returncode == 0, result
    return result


def check_flow(out: dict) -> None:
    assert out["tokenIsJwt"] is True
    client_uuid = out["created"]["id"]
    assert len(client_uuid) == 36
    assert [c["id"] for c in out["found"]] == [client_uuid]
    assert out["duplicate"]["ok"] is False
    assert out["duplicate"]["status"] == 409
    assert out["duplicate"]["data"] == {"errorMessage": f"Client {out['found'][0]['clientId']} already exists"}
    assert out["missing"] is None  # findOne turns our 404 into null
    assert out["updated"]["description"] == "updated by keycloak-admin-client"
    assert out["updated"]["attributes"]["app.owner"] == "js"
    assert out["updated"]["name"] == "Created by keycloak-admin-client"

    first_secret = out["secretBefore"]["value"]
    assert out["secretBefore"]["type"] == "secret" and len(first_secret) == 32

    assert out["profiles"]["globalProfiles"] == []
    assert [p["name"] for p in out["profiles"]["profiles"]] == [PROFILE_NAME]
    assert out["profiles"]["profiles"][0]["executors"][0]["configuration"] == {
        "expiration-period": "604800",
        "rotated-expiration-period": "172800",
        "remaining-rotation-period": "86400",
    }
    assert "globalProfiles" not in out["profilesRealmOnly"]
    assert out["policies"]["globalPolicies"] == []
    [policy] = out["policies"]["policies"]
    assert policy["enabled"] is True
    assert policy["conditions"] == [
        {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
    ]
    assert policy["profiles"] == [PROFILE_NAME]
    assert out["badProfiles"]["status"] == 400
    assert out["badProfiles"]["data"] == {
        "errorMessage": "proposed client profile contains the executor, which does not have valid provider, "
        "or has invalid configuration."
    }

    new_secret = out["regenerated"]["value"]
    assert new_secret != first_secret
    assert out["secretAfter"] == {"type": "secret", "value": new_secret}
    # Under the procedure's policy the old secret is kept as the rotated secret for two days.
    attributes = out["afterRegenerate"]["attributes"]
    assert attributes["client.secret.rotated"] == first_secret
    created = int(attributes["client.secret.creation.time"])
    assert int(attributes["client.secret.expiration.time"]) == created + 604800
    assert int(attributes["client.secret.rotated.expiration.time"]) == created + 172800
    # invalidateSecret removes it; the current secret stays.
    assert "client.secret.rotated" not in out["afterInvalidate"]["attributes"]
    assert out["secretAfterInvalidate"]["value"] == new_secret
    assert out["registration"]["id"] == client_uuid
    assert len(out["registration"]["registrationAccessToken"]) >= 32
    assert out["afterDelete"] is None


def test_admin_client_password_grant(live_server, master, admin_user):
    out = run_admin_client(live_server, KC_USERNAME=admin_user.username, KC_PASSWORD=ADMIN_PASSWORD, KC_CLIENT_ID="js-app")
    check_flow(out)


def test_admin_client_service_account_in_another_realm(live_server, master, admin_user):
    """client_credentials (Basic auth, as the admin-client sends it) for a service account granted
    manage-clients and manage-realm, working in a realm of its own."""
    from clients.services import client_create
    from realms import services

    services.realm_create(name="tenant")
    client_create(
        realm=master,
        representation={"clientId": "js-automation", "serviceAccountsEnabled": True, "secret": "js-automation-secret"},
        actor=None,
    )
    call_command("grant_service_account_roles", "master", "js-automation", "manage-clients", "manage-realm")
    out = run_admin_client(
        live_server,
        KC_GRANT_TYPE="client_credentials",
        KC_AUTH_CLIENT_ID="js-automation",
        KC_AUTH_CLIENT_SECRET="js-automation-secret",
        KC_REALM="tenant",
        KC_CLIENT_ID="tenant-app",
    )
    check_flow(out)
