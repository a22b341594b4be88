"""A service account's admin roles belong to its client (by internal id), never to its name."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from clients.models import Client, ServiceAccount
from oidc.services import initial_access_token_create
from tests.api.conftest import Api, compact
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FORBIDDEN = compact({"error": "HTTP 403 Forbidden"})
SECRET = "robot-secret-of-thirty-two-chars"


def sa_token(client, client_id: str, secret: str = SECRET) -> str:
    response = client.post(
        "/realms/master/protocol/openid-connect/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def create_robot(api: Api, client_id: str = "robot") -> str:
    response = api.post("/admin/realms/master/clients",
                        {"clientId": client_id, "serviceAccountsEnabled": True, "secret": SECRET})
    assert response.status_code == 201, response.content
    return response["Location"].rsplit("/", 1)[1]


def can_manage_realm(client, token: str) -> bool:
    """Whether the token may change realm master (manage-realm)."""
    response = Api(client, token).put("/admin/realms/master", {"displayName": "changed"})
    assert response.status_code in (204, 403), response.content
    return response.status_code == 204


def legacy_privileged_user(django_user_model, username: str):
    """A user named like a service account, as the old name-based lookup trusted (manage-realm)."""
    user = make_user(django_user_model, username, ["manage-realm", "manage-clients"])
    user.password = make_password(None)  # like the users the old command made
    user.save()
    return user


def test_delete_and_recreate_with_the_same_client_id_starts_with_no_roles(client, api, django_user_model):
    robot_id = create_robot(api)
    call_command("grant_service_account_roles", "master", "robot", "manage-realm")
    old_token = sa_token(client, "robot")
    assert can_manage_realm(client, old_token)
    user_pk = ServiceAccount.objects.get(client_id=robot_id).user_id

    assert api.delete(f"/admin/realms/master/clients/{robot_id}").status_code == 204
    assert not ServiceAccount.objects.exists()
    assert not django_user_model.objects.filter(pk=user_pk).exists()  # the roles went with it
    assert Api(client, old_token).get("/admin/realms").status_code == 401

    create_robot(api)
    new_token = sa_token(client, "robot")
    assert Api(client, new_token).get("/admin/realms").content == FORBIDDEN
    assert not can_manage_realm(client, new_token)


def test_renaming_the_client_keeps_its_roles(client, api):
    robot_id = create_robot(api)
    call_command("grant_service_account_roles", "master", "robot", "manage-realm")
    old_token = sa_token(client, "robot")
    assert api.put(f"/admin/realms/master/clients/{robot_id}", {"clientId": "robot-2"}).status_code == 204

    token = sa_token(client, "robot-2")
    assert can_manage_realm(client, token)
    assert Api(client, old_token).get("/admin/realms").status_code == 401  # its clientId is gone
    # The command finds the account under the new name.
    call_command("grant_service_account_roles", "master", "robot-2", "manage-realm", "--revoke")
    assert not can_manage_realm(client, token)


def test_a_client_named_after_a_privileged_user_gets_nothing(client, api_as, django_user_model):
    legacy_privileged_user(django_user_model, "service-account-evil")
    clients_admin = api_as("manage-clients")
    create_robot(clients_admin, "evil")
    assert not can_manage_realm(client, sa_token(client, "evil"))


def test_renaming_a_client_onto_a_privileged_name_gets_nothing(client, api_as, django_user_model):
    legacy_privileged_user(django_user_model, "service-account-evil")
    clients_admin = api_as("manage-clients")
    mine = create_robot(clients_admin, "mine")
    assert clients_admin.put(f"/admin/realms/master/clients/{mine}", {"clientId": "evil"}).status_code == 204
    assert not can_manage_realm(client, sa_token(client, "evil"))


def test_dynamic_registration_in_master_with_a_privileged_name_gets_nothing(client, api, master, django_user_model):
    legacy_privileged_user(django_user_model, "service-account-evil")
    robot_id = create_robot(api)
    call_command("grant_service_account_roles", "master", "robot", "manage-realm")
    assert api.delete(f"/admin/realms/master/clients/{robot_id}").status_code == 204
    iat, _ = initial_access_token_create(realm=master, expiration=3600, count=2)
    for name in ("evil", "robot"):
        response = client.post(
            "/realms/master/clients-registrations/openid-connect",
            {"client_id": name, "grant_types": ["client_credentials"]},
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {iat}",
        )
        assert response.status_code == 201, response.content
        secret = response.json()["client_secret"]
        token = sa_token(client, name, secret)
        assert Api(client, token).get("/admin/realms").content == FORBIDDEN
        assert not can_manage_realm(client, token)
    assert not ServiceAccount.objects.filter(client__in=Client.objects.filter(client_id__in=["evil", "robot"])).exists()
