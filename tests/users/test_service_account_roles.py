"""A client's Service account roles tab: roles assigned in the console act through the Admin API
with the client's client_credentials token, and go when unassigned or when the client goes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from clients.services import client_create, client_delete
from tests.permissions import TO_LOGIN, get, post

pytestmark = pytest.mark.django_db

TOKEN_URL = "/realms/master/protocol/openid-connect/token"


@pytest.fixture
def robot(master):
    return client_create(realm=master, actor=None, representation={
        "clientId": "robot", "secret": "robot-secret-value", "serviceAccountsEnabled": True})


def tab(client):
    return f"/console/master/clients/{client.pk}/service-account-roles"


def token(http) -> str:
    response = http.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": "robot",
                                     "client_secret": "robot-secret-value"})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def regenerate(http, robot, target):
    return http.post(f"/admin/realms/master/clients/{target.pk}/client-secret",
                     HTTP_AUTHORIZATION=f"Bearer {token(http)}")


def test_manage_clients_given_in_the_console_regenerates_secrets_until_removed(admin_client, master, robot):
    other = client_create(realm=master, actor=None, representation={"clientId": "other", "secret": "other-secret"})
    page = admin_client.get(f"/console/master/clients/{robot.pk}/settings").content.decode()
    assert f'href="{tab(robot)}">Service account roles</a>' in page
    api = Client()
    assert regenerate(api, robot, other).status_code == 403
    assert admin_client.post(tab(robot), {"roles": ["manage-clients"]}).status_code == 302
    assert 'data-assigned-role="manage-clients"' in admin_client.get(tab(robot)).content.decode()
    assert regenerate(api, robot, other).status_code == 200
    assert admin_client.post(tab(robot), {}).status_code == 302
    assert regenerate(api, robot, other).status_code == 403


def test_roles_go_with_the_client(admin_client, master, robot):
    admin_client.post(tab(robot), {"roles": ["manage-clients"]})
    account = robot.service_account.user_id
    client_delete(client=robot, actor=None)
    assert not get_user_model().objects.filter(pk=account).exists()


def test_permission_matrix_and_no_escalation(permission_matrix, console_client, master, robot):
    permission_matrix([get(tab(robot)), post(tab(robot), {"roles": ["view-clients"]})], anonymous=TO_LOGIN,
                      outsider=403, viewer=[200, 403], manager=[200, 302], manager_roles=["manage-clients"])
    # A manage-clients administrator cannot hand out manage-realm.
    response = console_client(["manage-clients"], client=Client()).post(tab(robot), {"roles": ["manage-realm"]})
    assert response.status_code == 400 and "manage-realm" in response.content.decode()
    assert not get_user_model().objects.get(pk=robot.service_account.user_id).has_perm("realms.manage_realm")


def test_no_tab_without_service_accounts(admin_client, master):
    plain = client_create(realm=master, actor=None, representation={"clientId": "plain", "secret": "plain-secret"})
    assert admin_client.get(tab(plain)).status_code == 404
    assert tab(plain) not in admin_client.get(f"/console/master/clients/{plain.pk}/settings").content.decode()
