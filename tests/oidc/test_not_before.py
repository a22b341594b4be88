"""The client's notBefore: every token issued to the client before it is refused wherever a token
is accepted (introspection, userinfo, refresh, the Admin REST API, dynamic registration), whether
"Secret compromised" set it or a client update sent ``notBefore``."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from clients.models import Client
from clients.services import client_create, client_secret_compromised, client_update
from oidc.sessions import token_stale
from tests.api.conftest import Api, password_token
from tests.conftest import ADMIN_PASSWORD
from tests.oidc.conftest import SECRET, T0, at

pytestmark = pytest.mark.django_db

EPOCH0 = int(T0.timestamp())
OIDC = "/realms/master/protocol/openid-connect"


def body(response) -> dict:
    return json.loads(response.content)


@pytest.fixture
def robot(master, admin_user):
    """A realm-master confidential client: service account bound to view-clients, password grant on,
    and a second client that introspects."""
    rep = {"clientId": "robot", "secret": SECRET, "serviceAccountsEnabled": True, "directAccessGrantsEnabled": True}
    with at(0):
        app = client_create(realm=master, representation=rep, actor=None)
        client_create(realm=master, representation={"clientId": "inspector", "secret": SECRET}, actor=None)
    call_command("grant_service_account_roles", "master", "robot", "view-clients")
    return app


def sa_token(client, secret: str = SECRET) -> str:
    response = client.post(f"{OIDC}/token", {"grant_type": "client_credentials", "client_id": "robot", "client_secret": secret})
    assert response.status_code == 200, response.content
    return body(response)["access_token"]


def login(client, secret: str = SECRET) -> dict:
    response = client.post(f"{OIDC}/token", {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD,
                                             "client_id": "robot", "client_secret": secret})
    assert response.status_code == 200, response.content
    return body(response)


def refresh(client, token: str, secret: str):
    return client.post(f"{OIDC}/token", {"grant_type": "refresh_token", "refresh_token": token,
                                         "client_id": "robot", "client_secret": secret})


def active(client, token: str) -> bool:
    response = client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "inspector", "client_secret": SECRET})
    assert response.status_code == 200, response.content
    return body(response)["active"]


def userinfo(client, token: str) -> int:
    return client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def admin_api(client, token: str) -> int:
    return client.get("/admin/realms/master/clients", {"max": 1}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def registration(client, token: str) -> int:
    return client.get("/realms/master/clients-registrations/openid-connect/robot", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def everywhere(client, token: str) -> dict:
    return {"introspection": active(client, token), "userinfo": userinfo(client, token),
            "admin_api": admin_api(client, token), "registration": registration(client, token)}


LIVE = {"introspection": True, "userinfo": 200, "admin_api": 200, "registration": 200}
REFUSED = {"introspection": False, "userinfo": 401, "admin_api": 401, "registration": 401}


class TestSecretCompromised:
    def test_a_token_issued_a_second_earlier_is_refused_everywhere(self, client, robot):
        with at(10):
            old = sa_token(client)
            assert everywhere(client, old) == LIVE
        with at(11):
            new_secret = client_secret_compromised(client=robot, actor=None)
            assert everywhere(client, old) == REFUSED
        with at(12):
            fresh = sa_token(client, new_secret)
            assert everywhere(client, fresh) == LIVE
            assert everywhere(client, old) == REFUSED

    def test_a_token_of_the_kills_own_second_is_refused_too(self, client, robot):
        with at(10):
            old = sa_token(client)
            client_secret_compromised(client=robot, actor=None)
            assert everywhere(client, old) == REFUSED
        assert Client.objects.get(pk=robot.pk).not_before == EPOCH0 + 11

    def test_user_tokens_refresh_is_stale(self, client, robot):
        with at(10):
            tokens = login(client)
            assert everywhere(client, tokens["access_token"]) == LIVE
            assert active(client, tokens["refresh_token"]) is True
        with at(20):
            new_secret = client_secret_compromised(client=robot, actor=None)
            response = refresh(client, tokens["refresh_token"], new_secret)
            assert response.status_code == 400
            assert body(response) == {"error": "invalid_grant", "error_description": "Stale token"}
            assert everywhere(client, tokens["access_token"]) == REFUSED
            assert active(client, tokens["refresh_token"]) is False
        with at(21):
            again = login(client, new_secret)
            assert everywhere(client, again["access_token"]) == LIVE
            assert refresh(client, again["refresh_token"], new_secret).status_code == 200

    def test_other_clients_tokens_are_untouched(self, client, robot, admin_user):
        with at(10):
            admin_token = password_token(client, "admin")  # issued to admin-cli
        with at(11):
            client_secret_compromised(client=robot, actor=None)
            assert admin_api(client, admin_token) == 200
            assert active(client, admin_token) is True


class TestNotBeforeInTheRepresentation:
    URL = "/admin/realms/master/clients/{id}"

    def api(self, client):
        return Api(client, password_token(client, "admin"))

    def test_rendered_and_round_trips(self, client, robot):
        with at(5):
            api = self.api(client)
            got = api.get(self.URL.format(id=robot.pk)).json()
            assert got["notBefore"] == 0
            assert api.put(self.URL.format(id=robot.pk), {**got, "notBefore": EPOCH0 + 5}).status_code == 204
            again = api.get(self.URL.format(id=robot.pk)).json()
            assert again["notBefore"] == EPOCH0 + 5
            # The representation read back is accepted unchanged.
            assert api.put(self.URL.format(id=robot.pk), again).status_code == 204
            assert Client.objects.get(pk=robot.pk).not_before == EPOCH0 + 5

    def test_put_not_before_refuses_earlier_tokens_and_zero_clears(self, client, robot):
        with at(10):
            api = self.api(client)
            old = sa_token(client)
        with at(11):
            same_second = sa_token(client)
            assert api.put(self.URL.format(id=robot.pk), {"notBefore": EPOCH0 + 11}).status_code == 204
            assert everywhere(client, old) == REFUSED
            # As Keycloak compares: only iat < notBefore is refused.
            assert everywhere(client, same_second) == LIVE
            assert everywhere(client, sa_token(client)) == LIVE
            assert api.put(self.URL.format(id=robot.pk), {"notBefore": 0}).status_code == 204
            assert everywhere(client, old) == LIVE

    @pytest.mark.parametrize("value", [-1, "1700000000", True, 1.5, 2**60, {}])
    def test_bad_values_are_refused(self, client, robot, value):
        with at(5):
            response = self.api(client).put(self.URL.format(id=robot.pk), {"notBefore": value})
        assert response.status_code == 400, response.content
        assert Client.objects.get(pk=robot.pk).not_before == 0

    def test_service_update_and_create(self, master):
        app = client_create(realm=master, representation={"clientId": "x", "notBefore": 123}, actor=None)
        assert Client.objects.get(pk=app.pk).not_before == 123
        client_update(client=app, representation={"notBefore": None}, actor=None)  # null: not sent
        assert Client.objects.get(pk=app.pk).not_before == 123


class TestTokenStale:
    @pytest.mark.parametrize(("not_before", "claims", "stale"), [
        (0, {"iat": 5}, False),
        (0, {}, False),
        (10, {"iat": 9}, True),
        (10, {"iat": 10}, False),
        (10, {"iat": 11}, False),
        (10, {}, True),
        (10, {"iat": "9"}, True),
        (10, {"iat": True}, True),
    ])
    def test_strictly_before(self, not_before, claims, stale):
        assert token_stale(claims, Client(not_before=not_before)) is stale
