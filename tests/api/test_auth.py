"""Bearer authentication and permissions of the Admin REST API (docs/wire-contract.md R8, docs/keycloak.md §9)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import CommandError, call_command

from clients.models import Client
from clients.services import client_create
from realms.models import AdminEvent
from tests.api.conftest import Api, compact, password_token

UNAUTHORIZED = compact({"error": "HTTP 401 Unauthorized"})
FORBIDDEN = compact({"error": "HTTP 403 Forbidden"})


def assert_401(response, *, invalid_token: bool):
    assert response.status_code == 401
    assert response.content == UNAUTHORIZED
    assert response["Content-Type"] == "application/json"
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is invalid_token


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/admin/realms"),
        ("post", "/admin/realms"),
        ("get", "/admin/realms/master"),
        ("put", "/admin/realms/master"),
        ("delete", "/admin/realms/master"),
        ("get", "/admin/serverinfo"),
        ("get", "/admin/realms/master/clients"),
        ("post", "/admin/realms/master/clients"),
        ("post", "/admin/realms/master/clients/00000000-0000-0000-0000-000000000000/client-secret"),
        ("delete", "/admin/realms/master/clients/00000000-0000-0000-0000-000000000000/client-secret/rotated"),
        ("get", "/admin/realms/master/client-policies/profiles"),
        ("put", "/admin/realms/master/client-policies/policies"),
        ("get", "/admin/realms/nowhere/clients"),  # authentication comes before the realm lookup
    ],
)
def test_missing_token_is_401_with_challenge(anonymous, method, path):
    assert_401(getattr(anonymous, method)(path), invalid_token=False)


@pytest.mark.parametrize(
    "header",
    ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "Bearer not-a-jwt", "Bearer a.b.c", "Token abc", "Bearer " + "x" * 20000],
)
def test_malformed_or_invalid_token_is_401(client, master, header):
    assert_401(client.get("/admin/realms", HTTP_AUTHORIZATION=header), invalid_token=True)


def test_tampered_token_is_401(api):
    header, payload, signature = api.token.split(".")
    tampered = api.as_token(f"{header}.{payload}.{signature[:-4]}AAAA")
    assert_401(tampered.get("/admin/realms"), invalid_token=True)


def test_expired_token_is_401_then_a_new_token_works(client, master, admin_user):
    with time_machine.travel("2030-01-01 00:00:00", tick=False):
        token = password_token(client, admin_user.username)
        assert Api(client, token).get("/admin/realms").status_code == 200
    with time_machine.travel("2030-01-01 00:01:01", tick=False):  # master's lifespan is 60 s
        assert_401(Api(client, token).get("/admin/realms"), invalid_token=True)
        fresh = password_token(client, admin_user.username)
        assert Api(client, fresh).get("/admin/realms").status_code == 200


def test_token_of_another_realm_is_401(api, client):
    from oidc.tokens import access_token_issue
    from realms.models import Realm

    api.post("/admin/realms", {"realm": "other"})
    other = Realm.objects.get(name="other")
    token, _ = access_token_issue(
        realm=other,
        issuer="http://testserver/realms/other",
        client_id="admin-cli",
        subject="1",
        username="admin",
        resource_access={"realm-management": ["manage-realm", "manage-clients"]},
    )
    assert_401(api.as_token(token).get("/admin/realms"), invalid_token=True)


def test_token_of_a_deactivated_user_is_401(api, admin_user):
    admin_user.is_active = False
    admin_user.save()
    assert_401(api.get("/admin/realms"), invalid_token=True)


def test_valid_token_without_roles_is_403(api_as):
    nobody = api_as()
    for response in (
        nobody.get("/admin/realms"),
        nobody.get("/admin/serverinfo"),
        nobody.get("/admin/realms/master"),
        nobody.get("/admin/realms/master/clients"),
        nobody.post("/admin/realms", {"realm": "x"}),
        nobody.get("/admin/realms/master/client-policies/profiles"),
    ):
        assert response.status_code == 403
        assert response.content == FORBIDDEN


def test_unknown_realm_is_404_before_the_role_check(api_as):
    response = api_as().get("/admin/realms/nowhere/clients")
    assert response.status_code == 404
    assert response.content == compact({"error": "Realm not found."})


def test_view_clients_reads_but_cannot_write_or_see_secrets(api, api_as, master):
    client = client_create(realm=master, representation={"clientId": "app", "secret": "s3cret"}, actor=None)
    viewer = api_as("view-clients")
    base = f"/admin/realms/master/clients/{client.pk}"
    listed = viewer.get("/admin/realms/master/clients", {"clientId": "app"}).json()
    assert listed[0]["secret"] == "**********"
    assert viewer.get(base).json()["secret"] == "**********"
    for response in (
        viewer.get(f"{base}/client-secret"),  # manage-clients since Keycloak 26.7 (docs/keycloak.md §3.1)
        viewer.get(f"{base}/client-secret/rotated"),
        viewer.post(f"{base}/client-secret"),
        viewer.delete(f"{base}/client-secret/rotated"),  # Keycloak answers 500 here; we 403 (docs/differences.md (d))
        viewer.post(f"{base}/registration-access-token", {}),
        viewer.put(base, {"name": "x"}),
        viewer.delete(base),
        viewer.post("/admin/realms/master/clients", {"clientId": "new"}),
        viewer.post(f"{base}/roles", {"name": "r"}),
        viewer.get("/admin/realms/master/client-policies/profiles"),  # needs view-realm
    ):
        assert response.status_code == 403, response.request
        assert response.content == FORBIDDEN
    assert api.get(f"{base}/client-secret").json() == {"type": "secret", "value": "s3cret"}


def test_manage_implies_view(api_as, master):
    manager = api_as("manage-clients", "manage-realm")
    assert manager.get("/admin/realms/master/clients").status_code == 200
    assert manager.get("/admin/realms/master/client-policies/policies").status_code == 200
    assert manager.get("/admin/realms/master").json()["clientPolicies"] == {"policies": []}


def test_view_realm_cannot_change_policies_or_realms(api_as):
    viewer = api_as("view-realm")
    assert viewer.get("/admin/realms/master/client-policies/profiles").status_code == 200
    assert viewer.put("/admin/realms/master/client-policies/profiles", {"profiles": []}).content == FORBIDDEN
    assert viewer.put("/admin/realms/master", {"displayName": "x"}).content == FORBIDDEN
    assert viewer.delete("/admin/realms/master").content == FORBIDDEN


def test_revoked_permission_counts_at_once(api_as, django_user_model):
    manager = api_as("manage-clients")
    assert manager.post("/admin/realms/master/clients", {"clientId": "one"}).status_code == 201
    user = django_user_model.objects.get(username="user0")
    user.user_permissions.clear()
    response = manager.post("/admin/realms/master/clients", {"clientId": "two"})
    assert response.status_code == 403


def test_api_changes_are_recorded_with_the_api_actor(api, admin_user):
    response = api.post("/admin/realms/master/clients", {"clientId": "audited"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 201
    event = AdminEvent.objects.get(resource_type="CLIENT", operation_type="CREATE")
    assert event.source == "admin-api"
    assert event.auth_username == admin_user.username
    assert event.auth_user_id == str(admin_user.pk)
    assert event.auth_client_id == "admin-cli"
    assert event.auth_realm == "master"
    assert event.ip_address == "10.1.2.3"


# --- service accounts ------------------------------------------------------------------------------


def client_credentials_token(client, client_id: str, secret: str):
    return client.post(
        "/realms/master/protocol/openid-connect/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def test_service_account_gets_exactly_the_granted_roles(client, master):
    robot_client = client_create(
        realm=master, representation={"clientId": "robot", "serviceAccountsEnabled": True, "secret": "robot-secret"}, actor=None
    )
    token = client_credentials_token(client, "robot", "robot-secret").json()["access_token"]
    robot = Api(client, token)
    assert robot.get("/admin/realms/master/clients").content == FORBIDDEN

    call_command("grant_service_account_roles", "master", "robot", "view-clients")
    token = client_credentials_token(client, "robot", "robot-secret").json()["access_token"]
    robot = Api(client, token)
    assert robot.get("/admin/realms/master/clients").status_code == 200
    assert robot.post("/admin/realms/master/clients", {"clientId": "x"}).content == FORBIDDEN

    user = Client.objects.get(pk=robot_client.pk).service_account.user
    assert not user.has_usable_password()  # it can never sign in to the console

    call_command("grant_service_account_roles", "master", "robot", "view-clients", "--revoke")
    assert robot.get("/admin/realms/master/clients").content == FORBIDDEN  # the old token loses it at once


def test_grant_command_refuses_bad_targets(master):
    client_create(realm=master, representation={"clientId": "web", "publicClient": True}, actor=None)
    client_create(realm=master, representation={"clientId": "nosa"}, actor=None)
    with pytest.raises(CommandError, match="Only service accounts of realm master"):
        call_command("grant_service_account_roles", "other", "web", "view-clients")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_service_account_roles", "master", "ghost", "view-clients")
    with pytest.raises(CommandError, match="service accounts enabled"):
        call_command("grant_service_account_roles", "master", "web", "view-clients")
    with pytest.raises(CommandError, match="service accounts enabled"):
        call_command("grant_service_account_roles", "master", "nosa", "view-clients")
    with pytest.raises(CommandError):
        call_command("grant_service_account_roles", "master", "nosa", "superpowers")
