"""Django's password validators on every password an administrator sets: the console user's
*Credentials* tab, Admin API ``PUT .../users/{id}/reset-password`` and ``credentials`` in
``POST .../users``. A weak password is refused with its reason and changes nothing."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model

from realms.models import AdminEvent
from tests.api.conftest import Api, password_token
from tests.conftest import make_user
from users.models import TemporaryPassword

pytestmark = pytest.mark.django_db

USERNAME = "margarethe"
# (password, Django's reason): each is refused for that reason (and, here, that reason alone).
WEAK = [
    ("k7#Qz", "This password is too short. It must contain at least 8 characters."),
    ("password123", "This password is too common."),
    ("80917354682", "This password is entirely numeric."),
    ("margarethe-2024", "The password is too similar to the username."),
]
STRONG = "tawny-Owl-Lantern-47"


@pytest.fixture
def target(master, django_user_model):
    return make_user(django_user_model, USERNAME, ["view-clients"])


@pytest.fixture
def api(client, master, admin_user):
    return Api(client, password_token(client, admin_user.username))


def unchanged(user, before: str, events: int) -> None:
    user.refresh_from_db()
    assert user.password == before
    assert not TemporaryPassword.objects.filter(user=user).exists()
    assert AdminEvent.objects.count() == events


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_console_credentials_tab_refuses_a_weak_password(admin_client, target, password, reason):
    before, events = target.password, AdminEvent.objects.count()
    response = admin_client.post(f"/console/master/users/{target.pk}/credentials",
                                 {"password": password, "password_confirmation": password, "temporary": "on"})
    assert response.status_code == 400
    assert reason in html.unescape(response.content.decode())
    unchanged(target, before, events)


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_reset_password_refuses_a_weak_password(api, target, password, reason):
    before, events = target.password, AdminEvent.objects.count()
    response = api.put(f"/admin/realms/master/users/{target.pk}/reset-password",
                       {"type": "password", "value": password, "temporary": True})
    assert response.status_code == 400
    assert response.json() == {"errorMessage": f"Invalid password: {reason}"}
    unchanged(target, before, events)


@pytest.mark.parametrize(("password", "reason"), WEAK)
def test_create_with_a_weak_password_creates_nothing(api, master, password, reason):
    users, events = get_user_model().objects.count(), AdminEvent.objects.count()
    response = api.post("/admin/realms/master/users", {"username": USERNAME, "enabled": True,
                                                        "credentials": [{"type": "password", "value": password}]})
    assert response.status_code == 400
    assert response.json() == {"errorMessage": f"Invalid password: {reason}"}
    assert get_user_model().objects.count() == users
    assert AdminEvent.objects.count() == events


def test_a_strong_password_is_set_everywhere(api, admin_client, target):
    assert api.put(f"/admin/realms/master/users/{target.pk}/reset-password",
                   {"type": "password", "value": STRONG, "temporary": False}).status_code == 204
    target.refresh_from_db()
    assert target.check_password(STRONG)
    response = admin_client.post(f"/console/master/users/{target.pk}/credentials",
                                 {"password": STRONG + "2", "password_confirmation": STRONG + "2"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(STRONG + "2")
    created = api.post("/admin/realms/master/users", {"username": "new-person", "enabled": True,
                                                      "credentials": [{"type": "password", "value": STRONG, "temporary": True}]})
    assert created.status_code == 201
    person = get_user_model().objects.get(username="new-person")
    assert person.check_password(STRONG) and TemporaryPassword.objects.filter(user=person).exists()
    assert [e.operation_type for e in AdminEvent.objects.filter(resource_path__startswith=f"users/{person.pk}").order_by("id")] == [
        "CREATE", "ACTION"]


def test_create_without_a_password_value_creates_nothing(api, master):
    users = get_user_model().objects.count()
    response = api.post("/admin/realms/master/users", {"username": "no-value", "credentials": [{"type": "password"}]})
    assert response.status_code == 400 and response.json() == {"errorMessage": "Invalid password"}
    assert get_user_model().objects.count() == users
