"""Realm endpoints: /admin/realms (docs/wire-contract.md §3, docs/keycloak.md §8.1)."""

from __future__ import annotations

import pytest

from policies.models import ClientPolicy, ClientProfile
from realms.models import Realm
from tests.api.conftest import compact

PROFILES = {
    "profiles": [
        {
            "name": "weekly",
            "executors": [{"executor": "secret-rotation", "configuration": {
                "expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}}],
        }
    ]
}
POLICIES = {
    "policies": [
        {
            "name": "confidential",
            "enabled": True,
            "conditions": [{"condition": "client-access-type", "configuration": {"type": ["confidential"]}}],
            "profiles": ["weekly"],
        }
    ]
}


def test_list(api):
    response = api.get("/admin/realms")
    assert response.status_code == 200
    [master] = response.json()
    assert master["realm"] == "master"
    assert master["clientProfiles"] == {"profiles": []}


def test_create_201_empty_body_with_location(api):
    response = api.post("/admin/realms", {"realm": "acme", "enabled": True, "displayName": "ACME"})
    assert response.status_code == 201
    assert response.content == b""
    assert "Content-Type" not in response
    assert response["Location"] == "http://testserver/admin/realms/acme"
    realm = Realm.objects.get(name="acme")
    assert realm.display_name == "ACME"
    assert realm.enabled is True


def test_create_duplicate_409(api):
    assert api.post("/admin/realms", {"realm": "acme"}).status_code == 201
    response = api.post("/admin/realms", {"realm": "acme"})
    assert response.status_code == 409
    assert response.content == compact({"errorMessage": "Conflict detected. See logs for details"})
    assert api.post("/admin/realms", {"realm": "master"}).status_code == 409


def test_create_with_client_profiles_and_policies(api):
    response = api.post("/admin/realms", {"realm": "acme", "clientProfiles": PROFILES, "clientPolicies": POLICIES})
    assert response.status_code == 201
    rep = api.get("/admin/realms/acme").json()
    assert rep["clientProfiles"] == PROFILES
    assert rep["clientPolicies"] == POLICIES


def test_create_with_invalid_policies_creates_nothing(api):
    bad = {"policies": [{"name": "p", "enabled": True, "profiles": ["missing"]}]}
    response = api.post("/admin/realms", {"realm": "acme", "clientProfiles": PROFILES, "clientPolicies": bad})
    assert response.status_code == 400
    assert response.content == compact({"errorMessage": "Policy p contains invalid profile missing"})
    assert not Realm.objects.filter(name="acme").exists()
    assert not ClientProfile.objects.exists()


@pytest.mark.parametrize(
    "body, status, expected",
    [
        ({}, 400, {"errorMessage": "Realm name cannot be empty"}),
        ({"realm": ""}, 400, {"errorMessage": "Realm name cannot be empty"}),
        ({"realm": "has space"}, 400, None),
        ({"realm": "x" * 300}, 400, None),
        ({"realm": 12}, 400, None),
        ({"realm": "ok", "enabled": "maybe"}, 400, None),
        ({"realm": "ok", "accessTokenLifespan": 10**30}, 400, None),
        ({"realm": "ok", "accessTokenLifespan": -5}, 400, None),
        ({"realm": "ok", "wrong": "payload"}, 400, None),
        ([1, 2], 400, None),
        ("text", 400, None),
    ],
)
def test_create_refuses_bad_input(api, body, status, expected):
    response = api.post("/admin/realms", body)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    if expected is not None:
        assert response.json() == expected
    assert set(response.json()) <= {"error", "error_description", "errorMessage"}
    assert Realm.objects.count() == 1


def test_create_without_body(api):
    response = api.post("/admin/realms")
    assert response.status_code == 400
    assert "RealmRepresentation" in response.json()["error"]


def test_get_one_and_404(api):
    rep = api.get("/admin/realms/master").json()
    assert rep["id"] == "master"
    assert rep["realm"] == "master"
    assert rep["enabled"] is True
    assert rep["accessTokenLifespan"] == 60
    assert rep["clientProfiles"] == {"profiles": []}
    assert rep["clientPolicies"] == {"policies": []}
    response = api.get("/admin/realms/nowhere")
    assert response.status_code == 404
    assert response.content == compact({"error": "Realm not found."})


def test_update_partial_204(api):
    api.post("/admin/realms", {"realm": "acme", "displayName": "ACME"})
    response = api.put("/admin/realms/acme", {"enabled": False})
    assert response.status_code == 204
    assert response.content == b""
    realm = Realm.objects.get(name="acme")
    assert realm.enabled is False
    assert realm.display_name == "ACME"  # not sent, kept
    # Keycloak fields this product does not model are accepted and ignored.
    assert api.put("/admin/realms/acme", {"accountTheme": "keycloak", "sslRequired": "external"}).status_code == 204
    # An empty body changes nothing.
    assert api.put("/admin/realms/acme").status_code == 204
    # The representation from GET can be sent back as it is.
    assert api.put("/admin/realms/acme", api.get("/admin/realms/acme").json()).status_code == 204


def test_update_unknown_field_400(api):
    response = api.put("/admin/realms/master", {"wrong": "payload"})
    assert response.status_code == 400
    assert "Unrecognized field" in response.json()["error"]
    assert '"wrong"' in response.json()["error"]


def test_update_wrong_types_400(api):
    for body in ({"enabled": []}, {"displayName": {"a": 1}}, {"accessTokenLifespan": "soon"}, {"clientProfiles": []}):
        response = api.put("/admin/realms/master", body)
        assert response.status_code == 400, body
    assert Realm.objects.get(name="master").display_name == ""


def test_update_client_policies_through_realm(api):
    assert api.put("/admin/realms/master", {"clientProfiles": PROFILES, "clientPolicies": POLICIES}).status_code == 204
    assert api.get("/admin/realms/master/client-policies/policies").json() == POLICIES
    # Same validation as the dedicated endpoints; nothing changes on refusal.
    bad = {"profiles": [{"name": "weekly"}, {"name": "weekly"}]}
    response = api.put("/admin/realms/master", {"clientProfiles": bad, "displayName": "changed"})
    assert response.status_code == 400
    assert response.content == compact({"errorMessage": "proposed client profile name duplicated."})
    assert Realm.objects.get(name="master").display_name == ""
    assert api.get("/admin/realms/master/client-policies/profiles").json() == PROFILES
    # {} clears.
    assert api.put("/admin/realms/master", {"clientPolicies": {}, "clientProfiles": {}}).status_code == 204
    assert not ClientPolicy.objects.exists()
    assert not ClientProfile.objects.exists()


def test_rename(api):
    api.post("/admin/realms", {"realm": "acme"})
    api.post("/admin/realms", {"realm": "other"})
    assert api.put("/admin/realms/acme", {"realm": "other"}).status_code == 409
    assert api.put("/admin/realms/acme", {"realm": "acme2"}).status_code == 204
    assert api.get("/admin/realms/acme2").status_code == 200
    response = api.put("/admin/realms/master", {"realm": "renamed"})
    assert response.status_code == 409
    assert Realm.objects.filter(name="master").exists()


def test_delete_204_then_404(api):
    api.post("/admin/realms", {"realm": "acme"})
    response = api.delete("/admin/realms/acme")
    assert response.status_code == 204
    assert response.content == b""
    response = api.delete("/admin/realms/acme")
    assert response.status_code == 404
    assert response.content == compact({"error": "Realm not found."})
    assert api.get("/admin/realms/acme").status_code == 404


def test_master_cannot_be_deleted(api):
    response = api.delete("/admin/realms/master")
    assert response.status_code == 409
    assert "errorMessage" in response.json()
    assert Realm.objects.filter(name="master").exists()


def test_serverinfo(api):
    response = api.get("/admin/serverinfo")
    assert response.status_code == 200
    assert response.json() == {}


DOT_NAME = {"errorMessage": "Realm name cannot be '.' or '..'."}


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_segment_names_are_refused_on_create_and_rename(api, name):
    response = api.post("/admin/realms", {"realm": name})
    assert (response.status_code, response.json()) == (400, DOT_NAME)
    assert Realm.objects.count() == 1

    assert api.post("/admin/realms", {"realm": "acme"}).status_code == 201
    response = api.put("/admin/realms/acme", {"realm": name})
    assert (response.status_code, response.json()) == (400, DOT_NAME)
    assert Realm.objects.filter(name="acme").exists() and not Realm.objects.filter(name=name).exists()


def test_names_with_dots_are_still_fine(api):
    assert api.post("/admin/realms", {"realm": "..."}).status_code == 201
    assert api.post("/admin/realms", {"realm": "acme.example"}).status_code == 201
