"""@keycloak/keycloak-admin-client 26.x, unmodified, against a live server: the users API
(``tests/js/admin-client-users.mjs`` makes the calls; this test asserts on what they returned and
on what the server then holds)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from django.contrib.auth import get_user_model

from tests.api.test_keycloak_admin_client_js import JS_DIR
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_client_users_calls(live_server, master, admin_user):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the admin-client test (Debian package nodejs)")
    completed = subprocess.run(
        [node, str(JS_DIR / "admin-client-users.mjs")], cwd=JS_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "KC_BASE_URL": live_server.url, "KC_USERNAME": admin_user.username, "KC_PASSWORD": ADMIN_PASSWORD},
    )
    out = json.loads(completed.stdout)
    assert completed.returncode == 0, out

    assert out["created"]["username"] == "js-auditor" and out["created"]["email"] == "js-auditor@example.com"
    assert [u["id"] for u in out["found"]] == [out["created"]["id"]]
    assert out["count"] == 2  # the bootstrap administrator and the new user
    assert out["realmManagement"]["clientId"] == "realm-management"
    assert out["mapped"] == ["view-clients"]
    assert "view-clients" not in out["available"] and "manage-clients" in out["available"]
    assert out["afterUnmap"] == []
    assert out["afterDelete"] == []
    assert not get_user_model().objects.filter(username="js-auditor").exists()
