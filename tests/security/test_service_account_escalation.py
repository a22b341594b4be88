"""A manage-clients administrator cannot reach manage-realm through a service account.

Whoever reads or sets a client's secret (or changes how it authenticates) can get its
client_credentials tokens and act with its service account's roles. So an administrator may read a
client's credentials, or change anything of it, only when they hold every realm-management role
its service account holds (manage implies view). Its non-secret settings stay readable with
view-clients. Checked through the console, the Admin REST API and dynamic registration, with real
tokens, against a realm-master client ("robot") whose service account holds manage-realm, beside
one ("plain") whose service account holds nothing and keeps today's behaviour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.urls import reverse

from clients import secrets as secret_store
from clients.models import Client, ClientRole, ClientSecret
from clients.selectors import ClientAccessDenied
from clients.service_accounts import service_account_roles_set
from clients.services import client_create, client_role_create, client_secret_regenerate
from oidc.services import initial_access_token_create
from realms.actor import Actor
from tests.api.conftest import Api, compact, password_token
from tests.conftest import make_user
from tests.oidc.conftest import rotation_policy

pytestmark = pytest.mark.django_db

API = "/admin/realms/master"
DCR = "/realms/master/clients-registrations/openid-connect"
TOKEN_URL = "/realms/master/protocol/openid-connect/token"
FORBIDDEN = compact({"error": "HTTP 403 Forbidden"})
MASK = "**********"
CHOSEN = "chosen-by-the-attacker-0123456789"
REFUSAL = "service account holds roles you do not have"


@dataclass
class World:
    robot: Client  # service account holds manage-realm
    plain: Client  # service account holds nothing
    current: str
    rotated: str
    plain_secret: str

    def secret(self, client: Client | None = None) -> str | None:
        return secret_store.secret_value(secret_store.secret_get(client or self.robot, ClientSecret.CURRENT))


@pytest.fixture
def world(master, admin_user, django_user_model) -> World:
    """robot (manage-realm) with a current and a rotated secret and a role; plain (no roles); and
    administrators: clients-admin (manage-clients only), realm-admin (manage-realm + manage-clients)."""
    rotation_policy(master, expiration=3600, rotated=1800, remaining=600)
    rep = {"serviceAccountsEnabled": True, "standardFlowEnabled": False}
    robot = client_create(realm=master, representation={"clientId": "robot", "secret": "robot-first-secret-0123456789abc", **rep}, actor=None)
    plain = client_create(realm=master, representation={"clientId": "plain", **rep}, actor=None)
    call_command("grant_service_account_roles", "master", "robot", "manage-realm")
    call_command("grant_service_account_roles", "master", "plain", "view-clients", "--revoke")  # an account, no roles
    current = client_secret_regenerate(client=robot, actor=None)
    client_role_create(client=robot, name="ops", actor=None)
    client_role_create(client=plain, name="ops", actor=None)
    make_user(django_user_model, "clients-admin", ["manage-clients"])
    make_user(django_user_model, "realm-admin", ["manage-clients", "manage-realm"])
    world = World(robot=robot, plain=plain, current=current, rotated="robot-first-secret-0123456789abc",
                  plain_secret="")
    world.plain_secret = world.secret(plain)
    return world


def sa_token(client, client_id: str, secret: str):
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    return response.json().get("access_token") if response.status_code == 200 else None


def can_manage_realm(client, token: str) -> bool:
    response = Api(client, token).put(API, {"displayName": "taken over"})
    return response.status_code == 204


def api_for(client, username: str) -> Api:
    return Api(client, password_token(client, username))


def unchanged(world: World) -> None:
    """robot is exactly as the fixture left it: same secrets, settings, roles, registration token."""
    robot = Client.objects.get(pk=world.robot.pk)
    assert world.secret(robot) == world.current
    assert secret_store.secret_value(secret_store.secret_get(robot, ClientSecret.ROTATED)) == world.rotated
    assert (robot.client_id, robot.enabled, robot.client_authenticator_type, robot.description) == (
        "robot", True, "client-secret", "")
    assert robot.service_accounts_enabled and not robot.public_client
    assert robot.registration_token_digest == world.robot.registration_token_digest
    assert list(ClientRole.objects.filter(client=robot).values_list("name", flat=True)) == ["ops"]


# --- Admin REST API -------------------------------------------------------------------------------


def test_api_manage_clients_only_cannot_read_the_secret_of_a_privileged_client(client, world):
    api = api_for(client, "clients-admin")
    robot, plain = world.robot.pk, world.plain.pk
    for path in (f"{API}/clients/{robot}/client-secret", f"{API}/clients/{robot}/client-secret/rotated"):
        response = api.get(path)
        assert (response.status_code, response.content) == (403, FORBIDDEN), path
    rep = api.get(f"{API}/clients/{robot}").json()
    assert rep["secret"] == MASK and rep["attributes"]["client.secret.rotated"] == MASK
    assert rep["clientId"] == "robot" and rep["serviceAccountsEnabled"] is True  # settings stay readable
    listed = {c["clientId"]: c for c in api.get(f"{API}/clients").json()}
    assert listed["robot"]["secret"] == MASK
    # A client whose service account holds nothing: as before.
    assert listed["plain"]["secret"] == world.plain_secret
    assert api.get(f"{API}/clients/{plain}/client-secret").json()["value"] == world.plain_secret
    assert api.get(f"{API}/clients/{plain}").json()["secret"] == world.plain_secret


@pytest.mark.parametrize("method, suffix, body", [
    ("post", "/client-secret", None),
    ("put", "", {"secret": CHOSEN}),
    ("put", "", {"clientAuthenticatorType": "client-jwt"}),
    ("put", "", {"attributes": {"client.secret.rotated": CHOSEN, "client.secret.rotated.creation.time": "1"}}),
    ("put", "", {"description": "mine now"}),
    ("put", "", {"enabled": False}),
    ("put", "", {"clientId": "robot-2"}),
    ("delete", "", None),
    ("delete", "/client-secret/rotated", None),
    ("post", "/registration-access-token", None),
    ("post", "/roles", {"name": "extra"}),
    ("delete", "/roles/ops", None),
])
def test_api_manage_clients_only_cannot_change_a_privileged_client(client, world, method, suffix, body):
    api = api_for(client, "clients-admin")
    response = getattr(api, method)(f"{API}/clients/{world.robot.pk}{suffix}", body)
    assert (response.status_code, response.content) == (403, FORBIDDEN)
    unchanged(world)
    # Nothing the attacker could have set or seen gets a token with manage-realm.
    assert sa_token(client, "robot", CHOSEN) is None
    # The same call on the client whose service account holds nothing works as before.
    response = getattr(api, method)(f"{API}/clients/{world.plain.pk}{suffix}", body)
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize("username", ["admin", "realm-admin"])
def test_api_an_admin_holding_the_roles_reads_and_sets_the_secret(client, world, username):
    api = api_for(client, username)
    clients_admin = api_for(client, "clients-admin")
    robot = world.robot.pk
    assert clients_admin.get(f"{API}/clients/{robot}/client-secret").status_code == 403
    assert api.get(f"{API}/clients/{robot}/client-secret").json()["value"] == world.current
    assert api.get(f"{API}/clients/{robot}/client-secret/rotated").json()["value"] == world.rotated
    assert api.get(f"{API}/clients/{robot}").json()["secret"] == world.current
    regenerated = api.post(f"{API}/clients/{robot}/client-secret").json()["value"]
    assert regenerated != world.current and world.secret() == regenerated
    assert api.put(f"{API}/clients/{robot}", {"secret": CHOSEN}).status_code == 204
    assert can_manage_realm(client, sa_token(client, "robot", CHOSEN))


def test_api_manage_implies_view_for_the_service_accounts_roles(client, world, django_user_model):
    """An account holding view-realm needs view-realm or manage-realm; manage-clients alone is not enough."""
    call_command("grant_service_account_roles", "master", "robot", "manage-realm", "--revoke")
    call_command("grant_service_account_roles", "master", "robot", "view-realm")
    make_user(django_user_model, "viewer-manager", ["manage-clients", "view-realm"])
    path = f"{API}/clients/{world.robot.pk}/client-secret"
    assert api_for(client, "clients-admin").get(path).status_code == 403
    assert api_for(client, "viewer-manager").get(path).json()["value"] == world.current
    assert api_for(client, "realm-admin").get(path).json()["value"] == world.current


def test_api_a_service_account_token_cannot_take_over_a_more_privileged_one(client, world):
    """A service account with manage-clients only is held to the same rule as a person."""
    call_command("grant_service_account_roles", "master", "plain", "manage-clients")
    api = Api(client, sa_token(client, "plain", world.plain_secret))
    assert api.get(f"{API}/clients/{world.robot.pk}/client-secret").content == FORBIDDEN
    assert api.put(f"{API}/clients/{world.robot.pk}", {"secret": CHOSEN}).content == FORBIDDEN
    unchanged(world)


# --- console --------------------------------------------------------------------------------------


def login(client, django_user_model, username: str):
    client.force_login(django_user_model.objects.get(username=username))
    return client


def url(name: str, client: Client) -> str:
    return reverse(name, kwargs={"realm": "master", "id": client.pk})


def test_console_manage_clients_only_sees_a_mask_and_no_controls(client, world, django_user_model):
    login(client, django_user_model, "clients-admin")
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(url("client-credentials", world.robot), **headers)
        body = response.content.decode()
        assert response.status_code == 200
        assert world.current not in body and world.rotated not in body
        assert 'value="**********"' in body
        for control in ("client-secret-regenerate", "client-rotated-secret-invalidate", "client-registration-token-regenerate"):
            assert f'action="{url(control, world.robot)}"' not in body, control
        assert "<fieldset disabled>" in body  # the Client Authenticator, shown read-only as to a viewer
    settings = client.get(url("client-settings", world.robot)).content.decode()
    assert REFUSAL in settings and "(view-realm, manage-realm)" in settings
    assert f'action="{url("client-delete", world.robot)}"' not in settings
    assert f'action="{url("client-enabled", world.robot)}"' not in settings
    assert '<button type="submit" class="btn btn-primary">Save</button>' not in settings
    roles = client.get(url("client-roles", world.robot)).content.decode()
    assert url("client-role-create", world.robot) not in roles
    listing = client.get(reverse("client-list", kwargs={"realm": "master"})).content.decode()
    assert f'action="{url("client-delete", world.robot)}"' not in listing
    # The client whose service account holds nothing: as before.
    plain = client.get(url("client-credentials", world.plain)).content.decode()
    assert f'value="{world.plain_secret}"' in plain and f'action="{url("client-secret-regenerate", world.plain)}"' in plain
    assert REFUSAL not in plain
    assert f'action="{url("client-delete", world.plain)}"' in listing


@pytest.mark.parametrize("name, data", [
    ("client-secret-regenerate", {}),
    ("client-rotated-secret-invalidate", {}),
    ("client-registration-token-regenerate", {}),
    ("client-authenticator-save", {"client_authenticator_type": "client-jwt"}),
    ("client-enabled", {"enabled": "false"}),
    ("client-delete", {}),
    ("client-settings", {"client_id": "robot", "name": "", "description": "mine now", "enabled": "on",
                         "client_authentication": "on", "service_accounts": "on"}),
    ("client-role-create", {"name": "extra"}),
    ("client-role-delete", {"name": "ops"}),
])
def test_console_manage_clients_only_cannot_change_a_privileged_client(client, world, django_user_model, name, data):
    login(client, django_user_model, "clients-admin")
    response = client.post(url(name, world.robot), data)
    body = response.content.decode()
    assert response.status_code == 403
    assert REFUSAL in body
    assert world.current not in body and world.rotated not in body
    response = client.post(url(name, world.robot), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"]
    unchanged(world)


def test_console_role_create_form_is_refused_for_a_privileged_client(client, world, django_user_model):
    login(client, django_user_model, "clients-admin")
    response = client.get(url("client-role-create", world.robot))
    assert response.status_code == 403 and REFUSAL in response.content.decode()
    assert client.get(url("client-role-create", world.plain)).status_code == 200


@pytest.mark.parametrize("username", ["admin", "realm-admin"])
def test_console_an_admin_holding_the_roles_sees_and_regenerates_the_secret(client, world, django_user_model, username):
    login(client, django_user_model, "clients-admin")
    assert world.current not in client.get(url("client-credentials", world.robot)).content.decode()
    login(client, django_user_model, username)
    body = client.get(url("client-credentials", world.robot)).content.decode()
    assert f'value="{world.current}"' in body and f'value="{world.rotated}"' in body
    assert REFUSAL not in body
    response = client.post(url("client-secret-regenerate", world.robot))
    assert response.status_code == 302
    assert world.secret() != world.current


# --- dynamic registration -------------------------------------------------------------------------


def dcr(client, method: str, client_id: str, token: str, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"{DCR}/{client_id}", data, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {token}")


def test_dcr_a_manage_clients_token_reads_a_privileged_client_without_its_secret(client, world):
    token = password_token(client, "clients-admin")
    response = dcr(client, "get", "robot", token)
    assert response.status_code == 200
    assert response.json()["client_id"] == "robot" and "client_secret" not in response.json()
    assert world.current not in response.content.decode()
    assert dcr(client, "get", "plain", token).json()["client_secret"] == world.plain_secret
    assert dcr(client, "get", "robot", password_token(client, "realm-admin")).json()["client_secret"] == world.current


@pytest.mark.parametrize("method, body", [
    ("put", {"client_id": "robot", "token_endpoint_auth_method": "client_secret_post"}),
    ("put", {"client_id": "robot", "client_name": "mine now"}),
    ("delete", None),
])
def test_dcr_a_manage_clients_token_cannot_change_a_privileged_client(client, world, method, body):
    response = dcr(client, method, "robot", password_token(client, "clients-admin"), body)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "insufficient_scope"
    assert world.current not in response.content.decode()
    unchanged(world)


def test_dcr_a_registration_access_token_loses_a_client_that_gained_roles(client, world, master):
    """A client registered with an initial access token, later granted manage-realm by an operator:
    its registration access token (no admin roles) no longer reads its secret or changes it."""
    iat, _ = initial_access_token_create(realm=master, expiration=3600, count=1)
    registered = client.post(DCR, json.dumps({"client_id": "bot", "grant_types": ["client_credentials"]}),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {iat}").json()
    rat, secret = registered["registration_access_token"], registered["client_secret"]
    assert dcr(client, "get", "bot", rat).json()["client_secret"] == secret  # as before, without roles
    call_command("grant_service_account_roles", "master", "bot", "manage-realm")
    response = dcr(client, "get", "bot", rat)
    assert response.status_code == 200 and "client_secret" not in response.json()
    for method, body in (("put", {"client_id": "bot", "token_endpoint_auth_method": "client_secret_post"}), ("delete", None)):
        response = dcr(client, method, "bot", rat, body)
        assert response.status_code == 403 and response.json()["error"] == "insufficient_scope", method
    bot = Client.objects.get(realm=master, client_id="bot")
    assert world.secret(bot) == secret and bot.client_authenticator_type == "client-secret"


# --- granting roles to a service account ----------------------------------------------------------


def test_a_caller_cannot_grant_a_service_account_roles_it_does_not_hold(world):
    clients_admin = Actor(source="admin-api", username="clients-admin", roles=frozenset({"manage-clients", "view-clients"}))
    with pytest.raises(ClientAccessDenied):
        service_account_roles_set(client_id="plain", grant=["manage-realm"], actor=clients_admin)
    with pytest.raises(ClientAccessDenied):  # nor revoke (or add to) what a more privileged account holds
        service_account_roles_set(client_id="robot", revoke=["manage-realm"], actor=clients_admin)
    assert service_account_roles_set(client_id="plain", grant=["view-clients"], actor=clients_admin) == ["view-clients"]
    # The operator's command stays unrestricted.
    call_command("grant_service_account_roles", "master", "plain", "manage-realm")
    assert "manage-realm" in service_account_roles_set(client_id="plain", actor=Actor(source="system"))
