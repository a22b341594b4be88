"""Client-policies endpoints (docs/keycloak.md §3.5, docs/wire-contract.md §4)."""

from __future__ import annotations

import pytest

from policies.models import ClientPolicy, ClientProfile
from tests.api.conftest import compact

PROFILES_URL = "/admin/realms/master/client-policies/profiles"
POLICIES_URL = "/admin/realms/master/client-policies/policies"
ROTATION = {"expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}
PROFILES = {
    "profiles": [
        {"name": "Weekly Client Secret Rotation Profile", "description": "weekly",
         "executors": [{"executor": "secret-rotation", "configuration": ROTATION}]}
    ]
}
POLICIES = {
    "policies": [
        {"name": "Weekly Client Secret Rotation Policy", "description": "d", "enabled": True,
         "conditions": [{"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}],
         "profiles": ["Weekly Client Secret Rotation Profile"]}
    ]
}


def test_empty_and_global_flags(api):
    assert api.get(PROFILES_URL).content == b'{"profiles":[]}'
    assert api.get(POLICIES_URL).content == b'{"policies":[]}'
    for flag in ("true", "True", "TRUE"):
        assert api.get(PROFILES_URL, {"include-global-profiles": flag}).json() == {"profiles": [], "globalProfiles": []}
        assert api.get(POLICIES_URL, {"include-global-policies": flag}).json() == {"policies": [], "globalPolicies": []}
    for flag in ("false", "False"):
        assert api.get(PROFILES_URL, {"include-global-profiles": flag}).json() == {"profiles": []}


def test_put_then_get_round_trip(api):
    response = api.put(PROFILES_URL, PROFILES)
    assert response.status_code == 204
    assert response.content == b""
    assert api.put(POLICIES_URL, POLICIES).status_code == 204
    assert api.get(PROFILES_URL).json() == PROFILES
    assert api.get(POLICIES_URL).json() == POLICIES
    # What GET returns (with the global lists) can be PUT back.
    assert api.put(PROFILES_URL, api.get(PROFILES_URL, {"include-global-profiles": "true"}).json()).status_code == 204
    assert api.put(POLICIES_URL, api.get(POLICIES_URL, {"include-global-policies": "true"}).json()).status_code == 204
    # Numbers are accepted where the console sends strings.
    numeric = {"profiles": [{"name": "n", "executors": [{"executor": "secret-rotation", "configuration": {
        "expiration-period": 3600, "rotated-expiration-period": 600, "remaining-rotation-period": 1800}}]}]}
    assert api.put(PROFILES_URL, numeric).status_code == 204
    # {} clears (policies first: profiles may be removed under them, Keycloak skips dangling names).
    assert api.put(POLICIES_URL, {}).status_code == 204
    assert api.put(PROFILES_URL, {}).status_code == 204
    assert not ClientProfile.objects.exists() and not ClientPolicy.objects.exists()


def test_enabled_missing_is_false(api):
    api.put(PROFILES_URL, PROFILES)
    assert api.put(POLICIES_URL, {"policies": [{"name": "p", "profiles": []}]}).status_code == 204
    assert api.get(POLICIES_URL).json()["policies"][0]["enabled"] is False


@pytest.mark.parametrize(
    "body, message",
    [
        (None, "Passing null clientProfiles not allowed"),
        ("null", "Passing null clientProfiles not allowed"),
        ({"profiles": [{"description": "no name"}]}, "client profile without its name not allowed."),
        ({"profiles": [{"name": "a"}, {"name": "a"}]}, "proposed client profile name duplicated."),
        ({"profiles": [{"name": "a", "executors": [{"executor": "nope"}]}]},
         "proposed client profile contains the executor, which does not have valid provider, or has invalid configuration."),
        ({"profiles": [{"name": "a", "executors": [{"executor": "secret-rotation", "configuration": {
            "expiration-period": "100", "rotated-expiration-period": "100"}}]}]},
         "proposed client profile contains the executor, which does not have valid provider, or has invalid configuration."),
        ({"globalProfiles": [{"name": "x"}]}, "Global profiles cannot be updated"),
    ],
)
def test_profiles_validation_400_errormessage(api, body, message):
    api.put(PROFILES_URL, PROFILES)
    response = api.put(PROFILES_URL, body)
    assert response.status_code == 400
    assert response.content == compact({"errorMessage": message})
    assert api.get(PROFILES_URL).json() == PROFILES  # nothing changed


@pytest.mark.parametrize(
    "body, message",
    [
        (None, "Passing null clientPolicies not allowed"),
        ({"policies": [{"name": "a"}, {"name": "a"}]}, "proposed client policy name duplicated"),
        ({"policies": [{"enabled": True}]}, "client policy without name not allowed"),
        ({"policies": [{"name": "p", "conditions": [{"condition": "nope"}]}]}, "Policy p contains invalid condition nope"),
        ({"policies": [{"name": "p", "profiles": ["missing"]}]}, "Policy p contains invalid profile missing"),
        ({"policies": [{"name": "p", "profiles": ["Weekly Client Secret Rotation Profile"] * 2}]},
         "Policy p contains duplicated profiles"),
    ],
)
def test_policies_validation_400_errormessage(api, body, message):
    api.put(PROFILES_URL, PROFILES)
    api.put(POLICIES_URL, POLICIES)
    response = api.put(POLICIES_URL, body)
    assert response.status_code == 400
    assert response.content == compact({"errorMessage": message})
    assert api.get(POLICIES_URL).json() == POLICIES


def test_shape_errors_keep_keycloak_shapes(api):
    response = api.put(PROFILES_URL, "{not json")
    assert response.status_code == 400
    assert response.content == compact({"error": "invalid_request", "error_description": "Cannot parse the JSON"})
    response = api.put(PROFILES_URL, {"x": 1})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("Invalid json representation for ClientProfilesRepresentation.")
    assert 'Unrecognized field "x"' in error
    for body in ([], {"profiles": "no"}, {"profiles": [1]}, {"profiles": [{"name": ["a"]}]}):
        response = api.put(PROFILES_URL, body)
        assert response.status_code == 400, body
        assert set(response.json()) <= {"error", "errorMessage", "error_description"}
    for body in ({"policies": [{"name": "p", "enabled": "sometimes"}]}, {"policies": [{"name": "p", "profiles": [1]}]}):
        assert api.put(POLICIES_URL, body).status_code == 400


def test_huge_document_is_refused_cleanly(api):
    many = {"profiles": [{"name": f"p{i}", "executors": []} for i in range(2000)]}
    response = api.put(PROFILES_URL, many)
    assert response.status_code in (204, 400)
    deep = "[" * 100_000 + "]" * 100_000
    response = api.put(PROFILES_URL, deep)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
