"""Manage → Users in the console: who sees and changes what, the rules of the service, and the
temporary password sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from realms.models import AdminEvent
from tests.conftest import make_user
from tests.permissions import TO_LOGIN, get, post
from users.models import TemporaryPassword

pytestmark = pytest.mark.django_db

LIST = "/console/master/users/"


def url(user, tab="settings"):
    return f"/console/master/users/{user.pk}/{tab}"


@pytest.fixture
def target(master, django_user_model):
    return make_user(django_user_model, "target", ["view-clients"])


def test_permission_matrix_of_the_users_pages(permission_matrix, master, target):
    reads = [get(LIST), get(LIST, {"search": "targ"}), get(url(target)), get(url(target, "credentials")),
             get(url(target, "role-mapping"))]
    permission_matrix(reads, anonymous=TO_LOGIN, outsider=403, viewer=403, manager=200,
                      viewer_roles=["view-realm", "view-clients"], manager_roles=["view-users"])
    writes = [post(url(target), {"username": "target", "email": "t@example.com", "enabled": "on"}),
              post(url(target, "credentials"), {"password": "a-long-passphrase", "password_confirmation": "a-long-passphrase"}),
              post(url(target, "role-mapping"), {"roles": ["view-clients", "view-realm"]}),
              post(f"/console/master/users/{target.pk}/enabled", {"enabled": "0"}),
              post("/console/master/users/add-user", {"username": "newbie", "enabled": "on"})]
    permission_matrix(writes, anonymous=TO_LOGIN, viewer=403, viewer_roles=["view-users", "view-realm", "view-clients"],
                      manager=302, manager_roles=["manage-users", "view-realm", "view-clients"])
    assert get_user_model().objects.filter(username="newbie").exists()
    target.refresh_from_db()
    assert not target.is_active and target.email == "t@example.com"


def test_menu_and_list(console_client, master, target):
    page = console_client(["view-users"]).get(LIST).content.decode()
    assert '>Users</a>' in page and 'data-user="target"' in page and "Create user" not in page
    assert "Create user" in console_client(["manage-users"], client=Client()).get(LIST).content.decode()
    other = console_client(["view-realm"], client=Client()).get("/console/master/realm-settings/")
    assert '>Users</a>' not in other.content.decode()


def test_create_set_temporary_password_and_sign_in_changes_it(admin_client, master):
    response = admin_client.post("/console/master/users/add-user", {"username": "Auditor", "email": "", "enabled": "on"})
    auditor = get_user_model().objects.get(username="auditor")
    assert response.status_code == 302 and response["Location"] == url(auditor)
    response = admin_client.post(url(auditor, "credentials"), {"password": "first-pass-1234",
                                                               "password_confirmation": "first-pass-1234", "temporary": "on"})
    assert response.status_code == 302 and TemporaryPassword.objects.filter(user=auditor).exists()
    events = AdminEvent.objects.filter(resource_path__startswith=f"users/{auditor.pk}")
    assert {e.operation_type for e in events} == {"CREATE", "ACTION"}
    assert not any("first-pass-1234" in e.representation for e in events)

    # The temporary password gets no token: it is for choosing a new one in the console.
    grant = {"grant_type": "password", "client_id": "admin-cli", "username": "auditor", "password": "first-pass-1234"}
    refused = Client().post("/realms/master/protocol/openid-connect/token", grant)
    assert refused.status_code == 400 and refused.json() == {
        "error": "invalid_grant", "error_description": "Account is not fully set up"}

    browser = Client()
    response = browser.post("/login", {"username": "auditor", "password": "first-pass-1234", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/password-update"
    assert browser.get("/")["Location"] == "/password-update"
    refused = browser.post("/password-update", {"password": "short", "password_confirmation": "short"})
    assert refused.status_code == 400
    response = browser.post("/password-update", {"password": "my-own-pass-5678", "password_confirmation": "my-own-pass-5678"})
    assert response.status_code == 302
    assert not TemporaryPassword.objects.filter(user=auditor).exists()
    assert Client().login(username="auditor", password="my-own-pass-5678")
    grant["password"] = "my-own-pass-5678"
    assert Client().post("/realms/master/protocol/openid-connect/token", grant).status_code == 200


def test_last_manage_realm_holder_and_oneself(console_client, master, django_user_model):
    only = make_user(django_user_model, "only", ["manage-realm"])
    client = Client()
    client.force_login(only)
    # Not themselves: no disable, no delete, and not the last manage-realm holder.
    assert client.post(f"/console/master/users/{only.pk}/delete").status_code == 302
    assert client.post(f"/console/master/users/{only.pk}/enabled", {"enabled": "0"}).status_code == 302
    only.refresh_from_db()
    assert only.is_active
    response = client.post(url(only, "role-mapping"), {"roles": ["view-realm"]})
    assert response.status_code == 400 and "last user holding manage-realm" in response.content.decode()
    assert django_user_model.objects.get(pk=only.pk).has_perm("realms.manage_realm")
    # With a second holder, the first may give it up.
    make_user(django_user_model, "second", ["manage-realm"])
    assert client.post(url(only, "role-mapping"), {"roles": ["view-realm"]}).status_code == 302


def test_no_escalation(console_client, master, django_user_model):
    boss = make_user(django_user_model, "boss", ["manage-realm"])
    helper = make_user(django_user_model, "helper", [])
    client = console_client(["manage-users"])
    me = django_user_model.objects.get(username__startswith="console-user")
    # Not a role it does not hold, not to itself either.
    response = client.post(url(helper, "role-mapping"), {"roles": ["manage-clients"]})
    assert response.status_code == 400 and "manage-clients" in response.content.decode()
    assert client.post(url(me, "role-mapping"), {"roles": ["manage-users", "manage-realm"]}).status_code == 400
    # Nor the password of someone who holds more.
    response = client.post(url(boss, "credentials"), {"password": "taken-over-1234", "password_confirmation": "taken-over-1234"})
    assert response.status_code == 400
    assert not django_user_model.objects.get(pk=boss.pk).check_password("taken-over-1234")
    # What it holds it may give.
    assert client.post(url(helper, "role-mapping"), {"roles": ["view-users"]}).status_code == 302
    assert django_user_model.objects.get(pk=helper.pk).has_perm("realms.view_users")


def test_other_realms_have_no_users(admin_client, master):
    from realms.services import realm_create

    realm_create(name="acme")
    assert "keep no users" in admin_client.get("/console/acme/users/").content.decode()
    assert admin_client.get("/console/acme/users/add-user").status_code == 404
