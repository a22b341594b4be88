"""@keycloak/keycloak-admin-client 26.x, unmodified, against a live server: a realm export imported,
read back equal, edited; the events configuration read and changed; events cleared
(``tests/js/admin-client-events.mjs`` makes the calls; this test asserts on what they returned)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.test_keycloak_admin_client_js import JS_DIR
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = Path(__file__).resolve().parents[1] / "realms" / "realm-export.json"


def test_admin_client_realm_round_trip_and_events_config(live_server, master, admin_user):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the admin-client test (Debian package nodejs)")
    completed = subprocess.run(
        [node, str(JS_DIR / "admin-client-events.mjs")], cwd=JS_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "KC_BASE_URL": live_server.url, "KC_USERNAME": admin_user.username,
             "KC_PASSWORD": ADMIN_PASSWORD, "KC_REALM_EXPORT": str(EXPORT)},
    )
    out = json.loads(completed.stdout)
    assert completed.returncode == 0, out

    export = json.loads(EXPORT.read_text())
    assert out["exported"] == export
    assert out["reread"] == {**export, "displayName": "Edited in JS"}

    assert out["configBefore"] == {"eventsEnabled": True, "eventsListeners": ["jboss-logging"], "enabledEventTypes": [],
                                   "adminEventsEnabled": True, "adminEventsDetailsEnabled": True}
    assert out["configAfter"] == {**out["configBefore"], "eventsExpiration": 86400, "adminEventsDetailsEnabled": False,
                                  "enabledEventTypes": ["CLIENT_LOGIN_ERROR"]}
    [cleared] = out["adminEventsAfterClear"]
    assert (cleared["operationType"], cleared["resourcePath"]) == ("DELETE", "admin-events")
    assert out["eventsAfterClear"] == []
