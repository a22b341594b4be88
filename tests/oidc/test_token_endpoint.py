"""The token endpoint: every grant and Keycloak's errors (docs/wire-contract.md R10-R15, docs/keycloak.md §2)."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from clients.models import Client
from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory
from tests.oidc.conftest import SECRET, at, basic

pytestmark = pytest.mark.django_db

INVALID = "Invalid client or Invalid client credentials"


def body(response) -> dict:
    return json.loads(response.content)


def jwks_of(client, realm: str) -> KeySet:
    return KeySet.import_key_set(body(client.get(f"/realms/{realm}/protocol/openid-connect/certs")))


def assert_error(response, status: int, error: str, description: str | None):
    assert response.status_code == status, response.content
    expected = {"error": error} if description is None else {"error": error, "error_description": description}
    # Keycloak's compact JSON, byte for byte (R9)
    assert response.content == json.dumps(expected, separators=(",", ":")).encode()


class TestClientCredentials:
    def test_secret_in_the_form_gets_a_signed_access_token(self, client, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert response.status_code == 200, response.content
        assert response["Cache-Control"] == "no-store"
        data = body(response)
        assert data["token_type"] == "Bearer"
        assert data["expires_in"] == 300
        assert data["refresh_expires_in"] == 0
        assert data["not-before-policy"] == 0
        assert "refresh_token" not in data
        assert data["scope"] == "profile email"
        token = jwt.decode(data["access_token"], jwks_of(client, "acme"), algorithms=["RS256"])
        assert token.header["alg"] == "RS256" and token.header["kid"]
        claims = token.claims
        assert claims["iss"] == "http://testserver/realms/acme"
        assert claims["azp"] == "svc" and claims["client_id"] == "svc"
        assert claims["typ"] == "Bearer"
        assert claims["preferred_username"] == "service-account-svc"
        assert claims["exp"] - claims["iat"] == 300
        assert claims["jti"] and claims["sub"]

    def test_secret_by_http_basic(self, client, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials"}, authorization=basic("svc", SECRET))
        assert response.status_code == 200, response.content

    def test_python_keycloak_form_with_empty_extras_and_openid_scope(self, client, token_post, svc):
        data = {"client_id": "svc", "grant_type": "client_credentials", "code": "", "redirect_uri": "", "scope": "openid",
                "client_secret": SECRET, "username": "", "password": "", "unknown": "x"}
        response = token_post("acme", data)
        assert response.status_code == 200, response.content
        assert body(response)["scope"] == "openid profile email"
        id_token = jwt.decode(body(response)["id_token"], jwks_of(client, "acme"))
        assert id_token.claims["typ"] == "ID" and id_token.claims["aud"] == "svc"

    def test_lifespan_follows_the_realm(self, token_post, svc, realm):
        realm.access_token_lifespan = 42
        realm.save()
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert body(response)["expires_in"] == 42

    def test_wrong_secret(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": "nope"})
        assert_error(response, 401, "unauthorized_client", INVALID)

    def test_wrong_secret_by_basic(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials"}, authorization=basic("svc", "nope"))
        assert_error(response, 401, "unauthorized_client", INVALID)

    def test_no_secret(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc"})
        assert_error(response, 401, "unauthorized_client", INVALID)

    def test_missing_client_id(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_secret": SECRET})
        assert_error(response, 400, "invalid_client", "Missing client_id parameter")

    def test_unknown_client(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "ghost", "client_secret": SECRET})
        assert_error(response, 401, "invalid_client", INVALID)

    def test_disabled_client(self, token_post, svc):
        Client.objects.filter(pk=svc.pk).update(enabled=False)
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert_error(response, 401, "invalid_client", INVALID)

    def test_client_of_another_realm_is_unknown(self, token_post, svc, master):
        response = token_post("master", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert_error(response, 401, "invalid_client", INVALID)

    def test_service_accounts_not_enabled(self, token_post, realm):
        ClientFactory(realm=realm, client_id="web", secret=SECRET)
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "web", "client_secret": SECRET})
        assert_error(response, 401, "unauthorized_client", "Client not enabled to retrieve service account")

    def test_public_client(self, token_post, public_app):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "spa"})
        assert_error(response, 401, "unauthorized_client", "Public client not allowed to retrieve service account")

    def test_bearer_only_client(self, token_post, realm):
        from clients import secrets as secret_store
        from realms import clock

        api = ClientFactory(realm=realm, client_id="api", bearer_only=True, service_accounts_enabled=True)
        secret_store.secret_set_current(api, SECRET, now=clock.epoch())
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "api", "client_secret": SECRET})
        assert_error(response, 401, "unauthorized_client", "Bearer-only client not allowed to retrieve service account")

    def test_non_basic_authorization_without_client_id_is_an_empty_challenge(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials"}, authorization="Bearer abc")
        assert response.status_code == 401
        assert response.content == b""
        assert response["WWW-Authenticate"] == 'Basic realm="acme"'

    def test_form_client_id_differing_from_basic_is_refused(self, token_post, svc, realm):
        """Two identities in one request: refused, never silently one of them."""
        ClientFactory(realm=realm, client_id="other", service_accounts_enabled=True, secret="OtherSecretOfThirtyTwoCharacters")
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "other", "client_secret": "OtherSecretOfThirtyTwoCharacters"},
                              authorization=basic("svc", SECRET))
        assert_error(response, 400, "invalid_client", "client_id parameter not matching with client from Authorization header")

    def test_form_secret_wins_over_basic_for_the_same_client(self, token_post, svc):
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET},
                              authorization=basic("svc", "not-the-secret"))
        assert response.status_code == 200


class TestRequestErrors:
    def test_missing_grant_type(self, token_post, svc):
        response = token_post("acme", {"client_id": "svc", "client_secret": SECRET})
        assert_error(response, 400, "invalid_request", "Missing form parameter: grant_type")

    def test_unsupported_grant_type(self, token_post, svc):
        response = token_post("acme", {"grant_type": "authorization_code", "client_id": "svc", "client_secret": SECRET})
        assert_error(response, 400, "unsupported_grant_type", "Unsupported grant_type")

    def test_unknown_realm(self, token_post, db):
        response = token_post("nowhere", {"grant_type": "client_credentials"})
        assert response.status_code == 404
        assert body(response)["error"] == "Realm does not exist"

    def test_disabled_realm(self, token_post, svc, realm):
        realm.enabled = False
        realm.save()
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert_error(response, 403, "access_denied", "Realm not enabled")

    def test_get_is_not_allowed_and_no_slash_redirect(self, client, svc):
        assert client.get("/realms/acme/protocol/openid-connect/token").status_code == 405
        # R2: the slashless path is the only one; a trailing slash is not redirected.
        response = client.post("/realms/acme/protocol/openid-connect/token/", {"grant_type": "client_credentials"})
        assert response.status_code == 404

    def test_no_csrf_needed(self, svc):
        from django.test import Client as HttpClient

        response = HttpClient(enforce_csrf_checks=True).post(
            "/realms/acme/protocol/openid-connect/token", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET}
        )
        assert response.status_code == 200


class TestPasswordGrant:
    @pytest.fixture
    def admin(self, master, admin_user):
        return admin_user

    def login(self, token_post, **extra):
        data = {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "admin-cli", "grant_type": "password", **extra}
        return token_post("master", data)

    def test_admin_cli_exists_in_master(self, master):
        cli = Client.objects.get(realm=master, client_id="admin-cli")
        assert cli.public_client and cli.direct_access_grants_enabled

    def test_python_keycloak_login_gets_the_nine_keys(self, client, token_post, admin):
        response = self.login(token_post, code="", redirect_uri="", scope="openid")
        assert response.status_code == 200, response.content
        data = body(response)
        assert set(data) == {"access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type", "id_token",
                             "not-before-policy", "session_state", "scope"}
        assert data["expires_in"] == 60  # master's admin lifespan
        claims = jwt.decode(data["access_token"], jwks_of(client, "master")).claims
        assert claims["preferred_username"] == "admin"
        assert claims["sub"] == str(admin.pk)
        assert sorted(claims["resource_access"]["realm-management"]["roles"]) == sorted(
            ["view-realm", "manage-realm", "view-clients", "manage-clients"])
        assert "admin" in claims["realm_access"]["roles"]
        assert claims["sid"] == data["session_state"]
        refresh = jwt.decode(data["refresh_token"], jwks_of(client, "master")).claims
        assert refresh["typ"] == "Refresh"

    def test_admin_client_login_without_scope(self, token_post, admin):
        response = self.login(token_post)
        assert response.status_code == 200
        assert "id_token" not in body(response)

    def test_viewer_gets_only_view_roles(self, client, token_post, master, viewer_user):
        response = token_post("master", {"username": "viewer", "password": ADMIN_PASSWORD, "client_id": "admin-cli", "grant_type": "password"})
        claims = jwt.decode(body(response)["access_token"], jwks_of(client, "master")).claims
        assert sorted(claims["resource_access"]["realm-management"]["roles"]) == ["view-clients", "view-realm"]

    def test_wrong_password(self, token_post, admin):
        assert_error(self.login(token_post, password="wrong"), 401, "invalid_grant", "Invalid user credentials")

    def test_unknown_user(self, token_post, admin):
        assert_error(self.login(token_post, username="nobody"), 401, "invalid_grant", "Invalid user credentials")

    def test_inactive_user(self, token_post, admin):
        admin.is_active = False
        admin.save()
        assert_error(self.login(token_post), 401, "invalid_grant", "Invalid user credentials")

    def test_missing_username(self, token_post, admin):
        assert_error(self.login(token_post, username=""), 401, "invalid_request", "Missing parameter: username")

    def test_client_without_direct_access_grants(self, token_post, admin, master):
        ClientFactory(realm=master, client_id="web", public_client=True)
        response = token_post("master", {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "web", "grant_type": "password"})
        assert_error(response, 400, "unauthorized_client", "Client not allowed for direct access grants")

    def test_users_live_in_master_only(self, token_post, admin, public_app):
        response = token_post("acme", {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "spa", "grant_type": "password"})
        assert_error(response, 401, "invalid_grant", "Invalid user credentials")


class TestRefreshGrant:
    @pytest.fixture
    def tokens(self, token_post, master, admin_user):
        with at(0):
            response = token_post("master", {"username": "admin", "password": ADMIN_PASSWORD, "client_id": "admin-cli",
                                             "grant_type": "password", "scope": "openid"})
        assert response.status_code == 200
        return body(response)

    def refresh(self, token_post, token, client_id="admin-cli"):
        return token_post("master", {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id})

    def test_refresh_gives_new_tokens_in_the_same_session(self, client, token_post, tokens):
        with at(30):
            response = self.refresh(token_post, tokens["refresh_token"])
        assert response.status_code == 200, response.content
        data = body(response)
        assert data["session_state"] == tokens["session_state"]
        assert data["access_token"] != tokens["access_token"]
        assert "id_token" in data  # the session asked for openid

    def test_expired_refresh_token(self, token_post, tokens):
        with at(1801):
            assert_error(self.refresh(token_post, tokens["refresh_token"]), 400, "invalid_grant", "Token is not active")

    def test_garbage_refresh_token(self, token_post, tokens):
        with at(1):
            assert_error(self.refresh(token_post, "abc.def.ghi"), 400, "invalid_grant", "Invalid refresh token")

    def test_access_token_is_not_a_refresh_token(self, token_post, tokens):
        with at(1):
            assert_error(self.refresh(token_post, tokens["access_token"]), 400, "invalid_grant", "Invalid refresh token")

    def test_missing_refresh_token(self, token_post, tokens):
        with at(1):
            response = token_post("master", {"grant_type": "refresh_token", "client_id": "admin-cli"})
        assert_error(response, 400, "invalid_request", "Missing parameter: refresh_token")

    def test_refresh_token_of_another_client(self, token_post, tokens, master):
        ClientFactory(realm=master, client_id="cli2", public_client=True)
        with at(1):
            response = self.refresh(token_post, tokens["refresh_token"], client_id="cli2")
        assert_error(response, 400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")

    def test_after_logout_the_session_is_not_active(self, client, token_post, tokens):
        with at(5):
            response = client.post("/realms/master/protocol/openid-connect/logout",
                                   {"client_id": "admin-cli", "refresh_token": tokens["refresh_token"]})
            assert response.status_code == 204
            assert response.content == b""
            assert_error(self.refresh(token_post, tokens["refresh_token"]), 400, "invalid_grant", "Session not active")

    def test_deactivated_user_cannot_refresh(self, token_post, tokens, admin_user):
        admin_user.is_active = False
        admin_user.save()
        with at(5):
            assert_error(self.refresh(token_post, tokens["refresh_token"]), 400, "invalid_grant", "Session not active")


class TestLockoutAndEvents:
    def test_repeated_failures_lock_the_client_id_out(self, token_post, svc, settings):
        from realms.models import LoginEvent

        settings.CLIENT_AUTH_FAILURE_LIMIT = 3
        for _ in range(3):
            assert token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": "bad"}).status_code == 401
        locked = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        assert locked.status_code == 429
        assert locked["Retry-After"]
        assert body(locked)["error"] == "invalid_client"
        errors = LoginEvent.objects.filter(client_id="svc", type="CLIENT_LOGIN_ERROR")
        assert errors.count() == 3
        assert set(errors.values_list("error", flat=True)) == {"unauthorized_client"}

    def test_a_success_after_a_failure_resets_the_count(self, token_post, svc, settings):
        settings.CLIENT_AUTH_FAILURE_LIMIT = 2
        form = {"grant_type": "client_credentials", "client_id": "svc"}
        assert token_post("acme", {**form, "client_secret": "bad"}).status_code == 401
        assert token_post("acme", {**form, "client_secret": SECRET}).status_code == 200
        assert token_post("acme", {**form, "client_secret": "bad"}).status_code == 401
        assert token_post("acme", {**form, "client_secret": SECRET}).status_code == 200

    def test_wrong_passwords_lock_the_console_user_out_of_the_password_grant(self, token_post, master, admin_user, settings):
        settings.AXES_FAILURE_LIMIT = 2
        form = {"username": "admin", "client_id": "admin-cli", "grant_type": "password"}
        for _ in range(2):
            assert token_post("master", {**form, "password": "wrong"}).status_code == 401
        locked = token_post("master", {**form, "password": ADMIN_PASSWORD})
        assert_error(locked, 401, "invalid_grant", "Invalid user credentials")


class TestServiceAccountsOfMaster:
    def test_roles_come_from_the_user_bound_to_the_client(self, client, token_post, master):
        from clients.service_accounts import service_account_roles_set
        from oidc.sessions import token_holder
        from oidc.tokens import access_token_verify

        bot = ClientFactory(realm=master, client_id="ops-bot", service_accounts_enabled=True, secret=SECRET)
        service_account_roles_set(client_id="ops-bot", grant=["manage-clients"])
        response = token_post("master", {"grant_type": "client_credentials", "client_id": "ops-bot", "client_secret": SECRET})
        claims = access_token_verify(body(response)["access_token"])
        assert sorted(claims["resource_access"]["realm-management"]["roles"]) == ["manage-clients", "view-clients"]
        assert claims["preferred_username"] == "service-account-ops-bot"
        assert token_holder(claims).user == bot.service_account.user

    def test_a_user_named_after_the_client_gives_nothing(self, client, token_post, master, django_user_model):
        from oidc.sessions import token_holder
        from oidc.tokens import access_token_verify
        from tests.conftest import make_user

        make_user(django_user_model, "service-account-ops-bot", ["manage-realm", "manage-clients"])
        ClientFactory(realm=master, client_id="ops-bot", service_accounts_enabled=True, secret=SECRET)
        response = token_post("master", {"grant_type": "client_credentials", "client_id": "ops-bot", "client_secret": SECRET})
        claims = access_token_verify(body(response)["access_token"])
        assert "resource_access" not in claims
        assert token_holder(claims).user is None

    def test_without_a_grant_no_admin_roles(self, client, token_post, master):
        from oidc.sessions import token_holder
        from oidc.tokens import access_token_verify

        ClientFactory(realm=master, client_id="plain-bot", service_accounts_enabled=True, secret=SECRET)
        response = token_post("master", {"grant_type": "client_credentials", "client_id": "plain-bot", "client_secret": SECRET})
        claims = access_token_verify(body(response)["access_token"])
        assert "resource_access" not in claims
        assert token_holder(claims).user is None

    def test_service_accounts_of_other_realms_never_act_as_users(self, client, token_post, svc, django_user_model):
        from oidc.sessions import token_holder
        from oidc.tokens import access_token_verify
        from tests.conftest import make_user

        make_user(django_user_model, "service-account-svc", ["manage-clients"])
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
        claims = access_token_verify(body(response)["access_token"])
        assert "resource_access" not in claims
        assert token_holder(claims).user is None

    def test_a_policy_refusal_answers_400(self, client, token_post, master, realm):
        from policies.services import policies_replace, profiles_replace

        ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret=SECRET)
        access = body(token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET}))["access_token"]
        profiles_replace(realm=realm, representation={"profiles": [{"name": "jwt-only", "executors": [
            {"executor": "secure-client-authenticator", "configuration": {"allowed-client-authenticators": ["client-jwt"]}}]}]})
        policies_replace(realm=realm, representation={"policies": [{
            "name": "all", "enabled": True, "conditions": [{"condition": "any-client", "configuration": {}}], "profiles": ["jwt-only"]}]})
        response = client.post("/realms/acme/protocol/openid-connect/token/introspect",
                               {"token": access, "client_id": "svc", "client_secret": SECRET})
        assert_error(response, 400, "invalid_request", "Configured client authentication method not allowed for client")
