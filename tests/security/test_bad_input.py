"""NUL characters (which PostgreSQL refuses in text) are refused up front with 400, never a 500."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/console/ma%00ster/realm-settings/",
        "/realms/ma%00ster/.well-known/openid-configuration",
        "/admin/realms/ma%00ster/admin-events",
        "/admin/realms/master/admin-events?authUser=a%00b",
        "/admin/realms/master/admin-events?resourceTypes=CLIENT&resourceTypes=%00",
        "/console/master/events?user=%00",
    ],
)
def test_nul_in_path_or_query(admin_client, master, path):
    response = admin_client.get(path)
    assert response.status_code == 400
    if path.startswith(("/admin/", "/realms/")):
        assert response.json() == {"error": "invalid_request", "error_description": "Invalid characters in request"}


def test_nul_in_a_form_body(client, master):
    response = client.post("/realms/master/protocol/openid-connect/token", "grant_type=client_credentials&client_id=a%00b&client_secret=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_nul_in_a_json_body(client, master):
    response = client.put("/admin/realms/master", json.dumps({"displayName": "a\u0000b"}), content_type="application/json")
    assert response.status_code == 400


def test_ordinary_requests_pass(admin_client, master):
    assert admin_client.get("/console/master/events?user=alice").status_code == 200
    assert admin_client.post("/console/master/realm-settings/", {"display_name": "100% fine", "enabled": "on"}).status_code == 302
