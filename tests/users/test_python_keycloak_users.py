"""python-keycloak 7.x, unmodified, managing administrators against a live server: users, passwords,
the realm-management client's roles, role mappings and a client's service-account user."""

from __future__ import annotations

import pytest
from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakDeleteError, KeycloakPostError, KeycloakPutError

from clients.services import client_create
from realms.models import AdminEvent
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ONE_REQUEST_PER_CONNECTION = {"Connection": "close"}
AUDITOR_PASSWORD = "auditor-pass-1234"


def admin_for(live_server, username: str, password: str) -> KeycloakAdmin:
    return KeycloakAdmin(server_url=live_server.url + "/", username=username, password=password, realm_name="master",
                         user_realm_name="master", client_id="admin-cli", custom_headers=ONE_REQUEST_PER_CONNECTION)


def test_create_auditor_give_roles_and_delete(live_server, master, admin_user):
    admin = admin_for(live_server, admin_user.username, ADMIN_PASSWORD)
    user_id = admin.create_user({"username": "Auditor", "email": "aud@example.com", "firstName": "Au", "enabled": True})
    assert admin.get_user(user_id)["username"] == "auditor"  # Keycloak keeps usernames in lower case
    assert admin.get_user_id("auditor") == user_id
    assert admin.users_count() == 2
    admin.set_user_password(user_id, AUDITOR_PASSWORD, temporary=False)

    rm = admin.get_client_id("realm-management")
    assert rm
    assert {r["name"] for r in admin.get_client_roles(rm)} >= {
        "view-realm", "manage-realm", "view-clients", "manage-clients", "view-users", "manage-users"}
    roles = [admin.get_client_role(rm, "view-realm"), admin.get_client_role(rm, "view-clients")]
    admin.assign_client_role(user_id, rm, roles)
    assert sorted(r["name"] for r in admin.get_client_roles_of_user(user_id, rm)) == ["view-clients", "view-realm"]
    # Who holds a role: the auditor (directly) and the bootstrap administrator (a superuser).
    assert [u["username"] for u in admin.get_client_role_members(rm, "view-clients")] == [admin_user.username, "auditor"]
    assert [u["username"] for u in admin.get_client_role_members(rm, "manage-users")] == [admin_user.username]

    # The auditor reads but changes nothing, and never sees a secret.
    client_create(realm=master, representation={"clientId": "app", "secret": "app-secret-value"}, actor=None)
    auditor = admin_for(live_server, "auditor", AUDITOR_PASSWORD)
    app_id = auditor.get_client_id("app")
    assert auditor.get_client(app_id)["secret"] == "**********"
    with pytest.raises(KeycloakPutError) as refused:
        auditor.update_client(app_id, {"description": "x"})
    assert refused.value.response_code == 403
    with pytest.raises(KeycloakPostError) as refused:
        auditor.create_user({"username": "mallory"})
    assert refused.value.response_code == 403
    with pytest.raises(KeycloakPostError) as refused:
        auditor.assign_client_role(user_id, rm, [admin.get_client_role(rm, "manage-realm")])
    assert refused.value.response_code == 403
    with pytest.raises(KeycloakDeleteError) as refused:
        auditor.delete_client(app_id)
    assert refused.value.response_code == 403

    admin.delete_client_roles_of_user(user_id, rm, [roles[0]])
    assert [r["name"] for r in admin.get_client_roles_of_user(user_id, rm)] == ["view-clients"]
    admin.delete_user(user_id)
    assert admin.users_count() == 1
    events = list(AdminEvent.objects.filter(resource_path__startswith=f"users/{user_id}").values_list(
        "operation_type", "resource_type", "representation"))
    assert ("DELETE", "USER", "") in events
    assert any(kind == "CLIENT_ROLE_MAPPING" for _, kind, _ in events)
    assert not any(AUDITOR_PASSWORD in rep for _, _, rep in events)


def test_service_account_user_and_its_roles(live_server, master, admin_user):
    admin = admin_for(live_server, admin_user.username, ADMIN_PASSWORD)
    client_create(realm=master, representation={"clientId": "ci", "secret": "ci-secret-value", "serviceAccountsEnabled": True},
                  actor=None)
    ci = admin.get_client_id("ci")
    account = admin.get_client_service_account_user(ci)
    assert account["username"] == "service-account-ci"
    rm = admin.get_client_id("realm-management")
    admin.assign_client_role(account["id"], rm, [admin.get_client_role(rm, "manage-clients")])
    assert [r["name"] for r in admin.get_client_roles_of_user(account["id"], rm)] == ["manage-clients"]
    # Service accounts are not listed among the people.
    assert [u["username"] for u in admin.get_users()] == ["admin"]


def test_last_manage_realm_holder_and_self(live_server, master, admin_user):
    admin = admin_for(live_server, admin_user.username, ADMIN_PASSWORD)
    with pytest.raises(KeycloakDeleteError) as refused:
        admin.delete_user(str(admin_user.pk))
    assert refused.value.response_code == 400
    with pytest.raises(KeycloakPutError) as refused:
        admin.update_user(str(admin_user.pk), {"enabled": False})
    assert refused.value.response_code == 400
