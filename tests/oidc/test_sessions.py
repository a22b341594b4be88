"""Login sessions: logout sticks, the session's maximum lifetime, and tokens of disabled or
deleted users and clients refused by userinfo, introspection and the Admin REST API."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from clients.services import client_delete, client_update
from oidc.tokens import access_token_verify
from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory
from tests.oidc.conftest import SECRET, T0, at

pytestmark = pytest.mark.django_db

OIDC = "/realms/master/protocol/openid-connect"
EPOCH0 = int(T0.timestamp())


def body(response) -> dict:
    return json.loads(response.content)


def login(client, username: str = "admin", client_id: str = "admin-cli") -> dict:
    response = client.post(f"{OIDC}/token", {"username": username, "password": ADMIN_PASSWORD,
                                             "client_id": client_id, "grant_type": "password"})
    assert response.status_code == 200, response.content
    return body(response)


def refresh(client, token: str, client_id: str = "admin-cli"):
    return client.post(f"{OIDC}/token", {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id})


def logout(client, token: str, client_id: str = "admin-cli"):
    response = client.post(f"{OIDC}/logout", {"client_id": client_id, "refresh_token": token})
    assert response.status_code == 204, response.content


def assert_not_active(response):
    assert response.status_code == 400, response.content
    assert body(response) == {"error": "invalid_grant", "error_description": "Session not active"}


def refresh_exp(client, token: str) -> int:
    """The ``exp`` of a refresh token, read with the realm's published keys."""
    return jwt.decode(token, KeySet.import_key_set(body(client.get(f"{OIDC}/certs")))).claims["exp"]


@pytest.fixture
def inspector(master):
    """A confidential client of realm master that may introspect."""
    return ClientFactory(realm=master, client_id="inspector", secret=SECRET)


def introspect(client, token: str) -> dict:
    response = client.post(f"{OIDC}/token/introspect", {"token": token, "client_id": "inspector", "client_secret": SECRET})
    assert response.status_code == 200, response.content
    return body(response)


def userinfo(client, token: str) -> int:
    return client.get(f"{OIDC}/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def admin_api(client, token: str) -> int:
    return client.get("/admin/realms", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


class TestLogoutSticks:
    def test_logout_with_an_old_refresh_token_ends_the_session_for_good(self, client, master, admin_user, django_user_model):
        with at(0):
            first = login(client)
        with at(1500):
            newer = body(refresh(client, first["refresh_token"]))["refresh_token"]  # exp at 3300
        with at(1600):
            logout(client, first["refresh_token"])  # the older token: its own exp is 1800
            assert_not_active(refresh(client, newer))
        # Past the older token's expiry, other sign-ins and logouts sweep expired records: the
        # session stays ended for the whole life of its newer refresh token.
        for moment in (1801, 2500, 3299):
            with at(moment):
                other = login(client)
                logout(client, other["refresh_token"])
                assert_not_active(refresh(client, newer))

    def test_a_refresh_token_without_a_session_is_refused(self, client, master, admin_user):
        from oidc.models import UserSession

        with at(0):
            tokens = login(client)
        UserSession.objects.all().delete()
        with at(10):
            assert_not_active(refresh(client, tokens["refresh_token"]))
            assert userinfo(client, tokens["access_token"]) == 401

    def test_logout_of_one_session_leaves_the_others(self, client, master, admin_user):
        with at(0):
            one, two = login(client), login(client)
        with at(10):
            logout(client, one["refresh_token"])
            assert_not_active(refresh(client, one["refresh_token"]))
            assert refresh(client, two["refresh_token"]).status_code == 200


class TestSessionMax:
    def test_default_is_ten_hours_and_no_token_outlives_it(self, client, master, admin_user):
        with at(0):
            tokens = login(client)
        session_end = EPOCH0 + 36000
        token = tokens["refresh_token"]
        moment = 0
        while moment + 1500 < 36000:
            moment += 1500
            with at(moment):
                response = refresh(client, token)
                assert response.status_code == 200, (moment, response.content)
                data = body(response)
                token = data["refresh_token"]
                assert access_token_verify(data["access_token"])["exp"] <= session_end
                assert refresh_exp(client, token) <= session_end
                assert data["refresh_expires_in"] == min(1800, 36000 - moment)
        assert refresh_exp(client, token) == session_end  # capped, not now + 1800
        with at(36000):
            assert_not_active(refresh(client, token))

    def test_the_setting_sets_the_maximum(self, client, master, admin_user, settings):
        settings.SSO_SESSION_MAX_LIFESPAN = 2000
        with at(0):
            tokens = login(client)
            assert tokens["refresh_expires_in"] == 1800
        with at(1500):
            data = body(refresh(client, tokens["refresh_token"]))
            assert data["refresh_expires_in"] == 500
        with at(2000):
            assert_not_active(refresh(client, data["refresh_token"]))

    def test_an_expired_refresh_token_of_a_live_session_is_not_active(self, client, master, admin_user):
        with at(0):
            tokens = login(client)
        with at(1800):
            response = refresh(client, tokens["refresh_token"])
        assert body(response) == {"error": "invalid_grant", "error_description": "Token is not active"}


class TestDeadHolders:
    """userinfo 401, introspection {"active": false}, Admin API 401."""

    def assert_refused(self, client, access: str, refresh_token: str | None = None):
        with at(5):
            assert introspect(client, access) == {"active": False}
            if refresh_token is not None:
                assert introspect(client, refresh_token) == {"active": False}
            assert userinfo(client, access) == 401
            assert admin_api(client, access) == 401

    def test_live_tokens_work(self, client, master, admin_user, inspector):
        with at(0):
            tokens = login(client)
        with at(5):
            assert introspect(client, tokens["access_token"])["active"] is True
            assert userinfo(client, tokens["access_token"]) == 200
            assert admin_api(client, tokens["access_token"]) == 200

    def test_disabled_user(self, client, master, admin_user, inspector):
        with at(0):
            tokens = login(client)
        admin_user.is_active = False
        admin_user.save()
        self.assert_refused(client, tokens["access_token"], tokens["refresh_token"])

    def test_deleted_user(self, client, master, admin_user, inspector):
        with at(0):
            tokens = login(client)
        admin_user.delete()
        self.assert_refused(client, tokens["access_token"], tokens["refresh_token"])

    def test_disabled_client(self, client, master, admin_user, inspector):
        tool = ClientFactory(realm=master, client_id="tool", public_client=True, direct_access_grants_enabled=True)
        with at(0):
            tokens = login(client, client_id="tool")
        client_update(client=tool, representation={"enabled": False}, actor=None)
        self.assert_refused(client, tokens["access_token"], tokens["refresh_token"])

    def test_deleted_and_recreated_client(self, client, master, admin_user, inspector):
        tool = ClientFactory(realm=master, client_id="tool", public_client=True, direct_access_grants_enabled=True)
        with at(0):
            tokens = login(client, client_id="tool")
        client_delete(client=tool, actor=None)
        ClientFactory(realm=master, client_id="tool", public_client=True, direct_access_grants_enabled=True)
        self.assert_refused(client, tokens["access_token"], tokens["refresh_token"])
        with at(5):
            assert_not_active(refresh(client, tokens["refresh_token"], client_id="tool"))

    def test_ended_session(self, client, master, admin_user, inspector):
        with at(0):
            tokens = login(client)
            logout(client, tokens["refresh_token"])
        self.assert_refused(client, tokens["access_token"], tokens["refresh_token"])

    def service_account_token(self, client, client_id: str = "robot") -> str:
        response = client.post(f"{OIDC}/token", {"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET})
        assert response.status_code == 200, response.content
        return body(response)["access_token"]

    def test_service_account_of_a_disabled_client(self, client, master, inspector):
        robot = ClientFactory(realm=master, client_id="robot", service_accounts_enabled=True, secret=SECRET)
        with at(0):
            access = self.service_account_token(client)
        with at(5):
            assert introspect(client, access)["active"] is True
            assert userinfo(client, access) == 200
        client_update(client=robot, representation={"enabled": False}, actor=None)
        self.assert_refused(client, access)

    def test_service_account_of_a_deleted_client_whose_client_id_was_taken_again(self, client, master, inspector):
        robot = ClientFactory(realm=master, client_id="robot", service_accounts_enabled=True, secret=SECRET)
        with at(0):
            access = self.service_account_token(client)
        client_delete(client=robot, actor=None)
        ClientFactory(realm=master, client_id="robot", service_accounts_enabled=True, secret=SECRET)
        self.assert_refused(client, access)
