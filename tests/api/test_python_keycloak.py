"""python-keycloak 7.x, unmodified, against a live server (docs/wire-contract.md §3, §4).

The client logs in to realm master with admin-cli (password grant), then creates, reads, updates
and deletes clients, reads and regenerates secrets, sets the procedure's client profile and policy
through raw calls, reads and invalidates the rotated secret, and manages realms.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from keycloak import KeycloakAdmin
from keycloak.exceptions import (
    KeycloakDeleteError,
    KeycloakGetError,
    KeycloakPostError,
    KeycloakPutError,
    raise_error_from_response,
)

from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PROFILE_NAME = "Weekly Client Secret Rotation Profile"
PROFILES = {
    "profiles": [
        {
            "name": PROFILE_NAME,
            "description": "Rotate client secrets every week",
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
POLICIES = {
    "policies": [
        {
            "name": "Weekly Client Secret Rotation Policy",
            "description": "Confidential clients rotate their secret weekly",
            "enabled": True,
            "conditions": [
                {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
            ],
            "profiles": [PROFILE_NAME],
        }
    ]
}


# The live server's request threads must not outlive the test (a kept-alive connection would close
# after the test database is gone); python-keycloak itself is unchanged.
ONE_REQUEST_PER_CONNECTION = {"Connection": "close"}


@pytest.fixture
def keycloak_admin(live_server, master, admin_user) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=live_server.url + "/",
        username=admin_user.username,
        password=ADMIN_PASSWORD,
        realm_name="master",
        user_realm_name="master",
        client_id="admin-cli",
        custom_headers=ONE_REQUEST_PER_CONNECTION,
    )


def test_client_crud_secrets_profile_policy_and_rotated_secret(keycloak_admin):
    admin = keycloak_admin
    realm = admin.get_current_realm()

    client_uuid = admin.create_client(
        {"clientId": "pk-app", "name": "python-keycloak app", "secret": "test-secret", "serviceAccountsEnabled": True}
    )
    assert admin.get_client_id("pk-app") == client_uuid
    # skip_exists looks the client up first and returns its id without POSTing.
    assert admin.create_client({"clientId": "pk-app"}, skip_exists=True) == client_uuid
    with pytest.raises(KeycloakPostError) as duplicate:
        raise_error_from_response(
            admin.connection.raw_post(f"admin/realms/{realm}/clients", data=json.dumps({"clientId": "pk-app"})),
            KeycloakPostError,
            expected_codes=[201],
        )
    assert duplicate.value.response_code == 409
    assert duplicate.value.response_body == b'{"errorMessage":"Client pk-app already exists"}'

    client = admin.get_client(client_uuid)
    assert client["clientId"] == "pk-app"
    assert client["name"] == "python-keycloak app"
    assert isinstance(client["attributes"], dict)
    assert admin.get_client_secrets(client_uuid) == {"type": "secret", "value": "test-secret"}

    assert admin.update_client(client_uuid, {"description": "updated", "attributes": {"owner": "python"}}) == {}
    updated = admin.get_client(client_uuid)
    assert updated["description"] == "updated"
    assert updated["name"] == "python-keycloak app"  # partial update: untouched fields stay
    assert updated["attributes"]["owner"] == "python"

    generated = admin.generate_client_secrets(client_uuid)
    assert generated["type"] == "secret" and generated["value"] != "test-secret"
    assert admin.get_client_secrets(client_uuid) == generated

    # The procedure's profile and policy, through the authenticated connection (docs/wire-contract.md §4).
    raise_error_from_response(
        admin.connection.raw_put(f"admin/realms/{realm}/client-policies/profiles", data=json.dumps(PROFILES)),
        KeycloakPutError,
        expected_codes=[204],
    )
    raise_error_from_response(
        admin.connection.raw_put(f"admin/realms/{realm}/client-policies/policies", data=json.dumps(POLICIES)),
        KeycloakPutError,
        expected_codes=[204],
    )
    profiles = raise_error_from_response(
        admin.connection.raw_get(f"admin/realms/{realm}/client-policies/profiles", **{"include-global-profiles": "true"}),
        KeycloakGetError,
    )
    assert profiles == {**PROFILES, "globalProfiles": []}
    policies = raise_error_from_response(
        admin.connection.raw_get(f"admin/realms/{realm}/client-policies/policies", **{"include-global-policies": True}),
        KeycloakGetError,
    )
    assert policies == {**POLICIES, "globalPolicies": []}
    assert admin.get_realm(realm)["clientPolicies"] == POLICIES

    # Re-generate under the policy: the old secret becomes the rotated secret.
    old_secret = admin.get_client_secrets(client_uuid)["value"]
    new_secret = admin.generate_client_secrets(client_uuid)["value"]
    assert new_secret != old_secret
    rotated = raise_error_from_response(
        admin.connection.raw_get(f"admin/realms/{realm}/clients/{client_uuid}/client-secret/rotated"), KeycloakGetError
    )
    assert rotated == {"type": "secret", "value": old_secret}
    attributes = admin.get_client(client_uuid)["attributes"]
    expiration = int(attributes["client.secret.expiration.time"])
    created = int(attributes["client.secret.creation.time"])
    assert expiration - created == 604800
    assert int(attributes["client.secret.rotated.expiration.time"]) - created == 172800

    assert raise_error_from_response(
        admin.connection.raw_delete(f"admin/realms/{realm}/clients/{client_uuid}/client-secret/rotated"),
        KeycloakDeleteError,
        expected_codes=[204],
    ) == {}
    with pytest.raises(KeycloakGetError) as gone:
        raise_error_from_response(
            admin.connection.raw_get(f"admin/realms/{realm}/clients/{client_uuid}/client-secret/rotated"),
            KeycloakGetError,
        )
    assert gone.value.response_code == 404
    assert gone.value.response_body == b'{"error":"Client does not have a rotated secret"}'
    assert admin.get_client_secrets(client_uuid)["value"] == new_secret

    assert admin.delete_client(client_uuid) == {}
    with pytest.raises(KeycloakGetError) as missing:
        admin.get_client(client_uuid)
    assert missing.value.response_code == 404
    assert missing.match("Could not find client")
    assert admin.get_client_id("pk-app") is None


def test_realms_crud(keycloak_admin):
    admin = keycloak_admin
    realms = admin.get_realms()
    assert [r["realm"] for r in realms] == ["master"]

    assert admin.create_realm(payload={"realm": "test", "enabled": True}) == b""
    with pytest.raises(KeycloakPostError) as conflict:
        admin.create_realm(payload={"realm": "test"})
    assert conflict.match('{"errorMessage":"Conflict detected. See logs for details"}')
    # python-keycloak 7.x recognises Keycloak's conflict body and hands it back re-encoded.
    assert json.loads(admin.create_realm(payload={"realm": "test"}, skip_exists=True)) == {
        "errorMessage": "Conflict detected. See logs for details"
    }

    realm = admin.get_realm(realm_name="test")
    assert realm["realm"] == "test"
    assert realm["clientProfiles"] == {"profiles": []}
    assert realm["clientPolicies"] == {"policies": []}
    with pytest.raises(KeycloakGetError) as not_found:
        admin.get_realm(realm_name="non-existent")
    assert not_found.match('404: b\'{"error":"Realm not found."')

    assert admin.update_realm(realm_name="test", payload={"displayName": "Test realm"}) == {}
    assert admin.get_realm(realm_name="test")["displayName"] == "Test realm"
    with pytest.raises(KeycloakPutError) as unknown:
        admin.update_realm(realm_name="test", payload={"wrong": "payload"})
    assert unknown.match("Unrecognized field")

    # clientProfiles / clientPolicies through the realm representation replace the stored lists.
    assert admin.update_realm("test", {"clientProfiles": PROFILES, "clientPolicies": POLICIES}) == {}
    realm = admin.get_realm("test")
    assert realm["clientProfiles"] == PROFILES
    assert realm["clientPolicies"] == POLICIES
    assert admin.update_realm("test", {"clientPolicies": {}, "clientProfiles": {}}) == {}
    assert admin.get_realm("test")["clientProfiles"] == {"profiles": []}

    assert sorted(r["realm"] for r in admin.get_realms()) == ["master", "test"]
    assert admin.delete_realm(realm_name="test") == {}
    with pytest.raises(KeycloakGetError):
        admin.get_realm(realm_name="test")
    with pytest.raises(KeycloakDeleteError) as again:
        admin.delete_realm(realm_name="test")
    assert again.match('{"error":"Realm not found."')


def test_service_account_with_granted_roles(keycloak_admin, live_server):
    """client_credentials for a realm-master client whose service account was granted admin roles."""
    admin = keycloak_admin
    client_uuid = admin.create_client({"clientId": "automation", "serviceAccountsEnabled": True, "secret": "automation-secret"})

    service = KeycloakAdmin(
        server_url=live_server.url + "/", realm_name="master", client_id="automation", client_secret_key="automation-secret",
        custom_headers=ONE_REQUEST_PER_CONNECTION,
    )
    with pytest.raises(KeycloakGetError) as denied:
        service.get_clients()
    assert denied.value.response_code == 403
    assert denied.value.response_body == b'{"error":"HTTP 403 Forbidden"}'

    call_command("grant_service_account_roles", "master", "automation", "manage-clients")
    service = KeycloakAdmin(
        server_url=live_server.url + "/", realm_name="master", client_id="automation", client_secret_key="automation-secret",
        custom_headers=ONE_REQUEST_PER_CONNECTION,
    )
    assert "automation" in [c["clientId"] for c in service.get_clients()]
    created = service.create_client({"clientId": "made-by-automation"})
    assert service.get_client(created)["clientId"] == "made-by-automation"
    with pytest.raises(KeycloakPostError) as no_realm_role:
        service.create_realm({"realm": "nope"})
    assert no_realm_role.value.response_code == 403
    assert admin.get_client(client_uuid)["serviceAccountsEnabled"] is True
