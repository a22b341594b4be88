"""@keycloak/keycloak-admin-client 26.x, unmodified, against a live server: whoAmI, initial access
tokens, realm keys, client role update and lookup by id, the adapter configuration
(``tests/js/admin-client-compat.mjs`` makes the calls; this test asserts on what they returned)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.api.test_keycloak_admin_client_js import JS_DIR
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_client_compat_calls(live_server, master, admin_user):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the admin-client test (Debian package nodejs)")
    completed = subprocess.run(
        [node, str(JS_DIR / "admin-client-compat.mjs")], cwd=JS_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "KC_BASE_URL": live_server.url, "KC_USERNAME": admin_user.username, "KC_PASSWORD": ADMIN_PASSWORD},
    )
    out = json.loads(completed.stdout)
    assert completed.returncode == 0, out

    who = out["whoAmI"]
    assert who["userId"] == str(admin_user.pk) and who["realm"] == "master" and who["createRealm"] is True
    assert who["realm_access"] == {"master": ["view-realm", "manage-realm", "view-clients", "manage-clients"]}

    created = out["initialAccessCreated"]
    assert created["token"] and created["count"] == 2
    [listed] = out["initialAccessListed"]
    assert listed == {"id": created["id"], "timestamp": created["timestamp"], "expiration": 3600, "count": 2, "remainingCount": 2}
    assert out["initialAccessAfterDelete"] == []

    assert list(out["keys"]["active"]) == ["RS256"]
    assert out["role"]["description"] == "reads more" and out["role"]["attributes"] == {"team": ["js"]}
    assert out["roleById"] == out["role"]
    assert out["installation"]["resource"] == "js-compat-app"
    assert out["installation"]["credentials"] == {"secret": out["secret"]}
