"""Dynamic client registration (RFC 7591/7592; docs/keycloak.md §7, §1.7)."""

from __future__ import annotations

import json

import pytest

from clients.models import Client
from oidc.models import InitialAccessToken
from oidc.services import initial_access_token_create
from realms.actor import Actor
from realms.models import AdminEvent
from tests.conftest import ADMIN_PASSWORD
from tests.oidc.conftest import at, rotation_policy

pytestmark = pytest.mark.django_db
DCR = "/realms/acme/clients-registrations/openid-connect"
ACTOR = Actor(source="console", username="admin")


def body(response) -> dict:
    return json.loads(response.content)


def post(client, token: str | None, payload, path: str = DCR, method: str = "post"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return getattr(client, method)(path, data, content_type="application/json", **headers)


def token_grant(client, username: str) -> str:
    response = client.post("/realms/master/protocol/openid-connect/token",
                           {"username": username, "password": ADMIN_PASSWORD, "client_id": "admin-cli", "grant_type": "password"})
    assert response.status_code == 200, response.content
    return body(response)["access_token"]


@pytest.fixture
def iat(realm):
    token, _ = initial_access_token_create(realm=realm, expiration=3600, count=2, actor=ACTOR)
    return token


def grant(client, client_id: str, secret: str):
    return client.post("/realms/acme/protocol/openid-connect/token",
                       {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


class TestInitialAccessToken:
    def test_create_with_an_initial_access_token(self, client, iat, realm):
        response = post(client, iat, {"client_name": "Reporting", "redirect_uris": ["https://app.example.com/cb"],
                                      "grant_types": ["client_credentials"], "client_secret": "ignored"})
        assert response.status_code == 201, response.content
        data = body(response)
        stored = Client.objects.get(realm=realm, client_id=data["client_id"])
        assert stored.name == "Reporting" and stored.service_accounts_enabled and not stored.public_client
        assert data["client_secret"] and data["client_secret"] != "ignored"
        assert data["client_secret_expires_at"] == 0  # no policy: never expires
        assert data["token_endpoint_auth_method"] == "client_secret_basic"
        assert data["registration_access_token"]
        assert data["registration_client_uri"] == f"http://testserver{DCR}/{data['client_id']}"
        assert response["Location"] == data["registration_client_uri"]
        assert isinstance(data["client_id_issued_at"], int)
        # The client can use its secret right away.
        assert grant(client, data["client_id"], data["client_secret"]).status_code == 200
        # One use taken from the token.
        assert InitialAccessToken.objects.get(realm=realm).remaining_count == 1
        event = AdminEvent.objects.filter(realm=realm, resource_type="CLIENT", operation_type="CREATE").get()
        assert event.source == "dynamic-registration"
        assert data["client_secret"] not in event.representation

    def test_count_runs_out(self, client, iat):
        assert post(client, iat, {}).status_code == 201
        assert post(client, iat, {}).status_code == 201
        response = post(client, iat, {})
        assert response.status_code == 401
        assert body(response) == {"error": "invalid_token", "error_description": "No remaining count on initial access token"}

    def test_expired(self, client, realm):
        with at(0):
            token, _ = initial_access_token_create(realm=realm, expiration=60, count=5, actor=ACTOR)
        with at(61):
            response = post(client, token, {})
        assert response.status_code == 401
        assert body(response) == {"error": "invalid_token", "error_description": "Expired initial access token"}

    def test_unknown(self, client, realm):
        response = post(client, "made-up", {})
        assert response.status_code == 401
        assert body(response) == {"error": "invalid_token", "error_description": "Initial Access Token not found"}

    def test_token_of_another_realm(self, client, master, realm):
        token, _ = initial_access_token_create(realm=master, expiration=0, count=1, actor=ACTOR)
        assert post(client, token, {}).status_code == 401

    def test_anonymous_create_is_refused(self, client, realm):
        response = post(client, None, {})
        assert response.status_code == 401
        assert body(response)["error"] == "invalid_token"

    def test_refused_create_gives_the_use_back(self, client, iat, realm):
        rotation_policy(realm, expiration=60, rotated=30, remaining=20,
                        condition={"condition": "any-client", "configuration": {}})
        from policies.services import profiles_replace

        profiles_replace(realm=realm, representation={"profiles": [
            {"name": "Weekly Client Secret Rotation Profile", "executors": [{"executor": "confidential-client", "configuration": {}}]}]})
        response = post(client, iat, {"token_endpoint_auth_method": "none"})
        assert response.status_code == 403
        assert body(response) == {"error": "insufficient_scope", "error_description": "Invalid client metadata: invalid client access type"}
        assert InitialAccessToken.objects.get(realm=realm).remaining_count == 2
        assert not Client.objects.filter(realm=realm).exclude(client_id="admin-cli").exists()

    def test_bad_metadata(self, client, iat):
        response = post(client, iat, {"redirect_uris": ["not a url"]})
        assert response.status_code == 400
        assert body(response)["error"] == "invalid_redirect_uri"
        response = post(client, iat, {"token_endpoint_auth_method": "magic"})
        assert response.status_code == 400
        assert body(response)["error"] == "invalid_client_metadata"
        response = post(client, iat, "{not json")
        assert response.status_code == 400
        assert body(response) == {"error": "invalid_request", "error_description": "Cannot parse the JSON"}
        response = post(client, iat, {"grant_types": "client_credentials"})
        assert response.status_code == 400


class TestAdminBearer:
    def test_manage_clients_may_create(self, client, master, admin_user, realm):
        response = post(client, token_grant(client, "admin"), {"client_id": "from-admin", "token_endpoint_auth_method": "client_secret_post"})
        assert response.status_code == 201, response.content
        data = body(response)
        assert data["client_id"] == "from-admin"
        assert data["token_endpoint_auth_method"] == "client_secret_post"
        event = AdminEvent.objects.filter(realm=realm, resource_type="CLIENT").get()
        assert event.auth_username == "admin"

    def test_view_only_user_is_forbidden(self, client, master, viewer_user, realm):
        response = post(client, token_grant(client, "viewer"), {})
        assert response.status_code == 403
        assert body(response) == {"error": "insufficient_scope", "error_description": "Forbidden"}

    def test_viewer_may_read_with_a_bearer_token(self, client, master, viewer_user, iat):
        created = body(post(client, iat, {}))
        response = client.get(f"{DCR}/{created['client_id']}", HTTP_AUTHORIZATION=f"Bearer {token_grant(client, 'viewer')}")
        assert response.status_code == 200
        assert body(response)["client_id"] == created["client_id"]
        # A view-only administrator reads the metadata, never the secret or a token.
        assert "registration_access_token" not in body(response)
        assert "client_secret" not in body(response)
        assert created["client_secret"] not in response.content.decode()
        assert created["registration_access_token"] not in response.content.decode()
        response = post(client, token_grant(client, "viewer"), {"client_id": created["client_id"]}, path=f"{DCR}/{created['client_id']}", method="put")
        assert response.status_code == 403

    def test_manage_clients_may_read_the_secret_in_any_realm_with_a_master_token(self, client, master, admin_user, iat):
        created = body(post(client, iat, {}))
        response = client.get(f"{DCR}/{created['client_id']}", HTTP_AUTHORIZATION=f"Bearer {token_grant(client, 'admin')}")
        assert response.status_code == 200
        assert body(response)["client_secret"] == created["client_secret"]
        assert "registration_access_token" not in body(response)

    def test_expired_bearer_is_401(self, client, master, admin_user, realm):
        with at(0):
            token = token_grant(client, "admin")
        with at(61):
            assert post(client, token, {}).status_code == 401


class TestRegistrationAccessToken:
    @pytest.fixture
    def registered(self, client, iat):
        response = post(client, iat, {"client_name": "App", "grant_types": ["client_credentials"]})
        assert response.status_code == 201
        return body(response)

    def test_read_returns_the_same_token_and_the_secret(self, client, registered):
        response = client.get(f"{DCR}/{registered['client_id']}", HTTP_AUTHORIZATION=f"Bearer {registered['registration_access_token']}")
        assert response.status_code == 200
        data = body(response)
        assert data["client_secret"] == registered["client_secret"]
        assert data["registration_access_token"] == registered["registration_access_token"]

    def test_update_replaces_the_token(self, client, registered, realm):
        path = f"{DCR}/{registered['client_id']}"
        old_token = registered["registration_access_token"]
        response = post(client, old_token, {"client_id": registered["client_id"], "client_name": "Renamed"}, path=path, method="put")
        assert response.status_code == 200, response.content
        data = body(response)
        assert data["client_name"] == "Renamed"
        assert data["registration_access_token"] != old_token
        assert Client.objects.get(realm=realm, client_id=registered["client_id"]).name == "Renamed"
        # The old token stopped working, the new one works.
        assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code == 401
        assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {data['registration_access_token']}").status_code == 200

    def test_update_must_keep_the_client_id(self, client, registered):
        path = f"{DCR}/{registered['client_id']}"
        response = post(client, registered["registration_access_token"], {"client_id": "other"}, path=path, method="put")
        assert response.status_code == 400
        assert body(response) == {"error": "invalid_client_metadata", "error_description": "Client Identifier modified"}
        response = post(client, registered["registration_access_token"], {"client_name": "x"}, path=path, method="put")
        assert body(response)["error_description"] == "Client Identifier modified"

    def test_bad_tokens(self, client, registered, iat):
        path = f"{DCR}/{registered['client_id']}"
        response = post(client, "wrong", {"client_id": registered["client_id"]}, path=path, method="put")
        assert response.status_code == 401
        assert body(response) == {"error": "invalid_token",
                                  "error_description": "Not authorized to update client. Maybe missing token or bad token type."}
        assert client.get(path).status_code == 401
        # An initial access token is no registration access token.
        assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {iat}").status_code == 401
        # Unknown client: the same 401 (nothing to learn without a token).
        assert client.get(f"{DCR}/nope", HTTP_AUTHORIZATION=f"Bearer {registered['registration_access_token']}").status_code == 401

    def test_delete(self, client, registered, realm):
        path = f"{DCR}/{registered['client_id']}"
        response = client.delete(path, HTTP_AUTHORIZATION=f"Bearer {registered['registration_access_token']}")
        assert response.status_code == 204
        assert not Client.objects.filter(realm=realm, client_id=registered["client_id"]).exists()


class TestRemainingWindowRotation:
    """Keycloak's ClientPoliciesTest with 60/30/20 (docs/keycloak.md §1.7)."""

    @pytest.fixture
    def registered(self, client, realm):
        rotation_policy(realm, expiration=60, rotated=30, remaining=20)
        with at(0):
            iat, _ = initial_access_token_create(realm=realm, expiration=3600, count=1, actor=ACTOR)
            response = post(client, iat, {"client_name": "App", "grant_types": ["client_credentials"]})
        assert response.status_code == 201, response.content
        return body(response)

    def update(self, client, registered, token):
        path = f"{DCR}/{registered['client_id']}"
        return post(client, token, {"client_id": registered["client_id"], "grant_types": ["client_credentials"]}, path=path, method="put")

    def test_create_sets_the_expiry(self, registered):
        from tests.oidc.conftest import T0

        assert registered["client_secret_expires_at"] == int(T0.timestamp()) + 60

    def test_update_outside_the_window_keeps_the_secret(self, client, registered):
        with at(10):
            response = self.update(client, registered, registered["registration_access_token"])
        assert response.status_code == 200
        data = body(response)
        assert data["client_secret"] == registered["client_secret"]
        assert data["client_secret_expires_at"] == registered["client_secret_expires_at"]

    def test_update_inside_the_window_rotates(self, client, registered):
        with at(41):  # 41 >= 60 - 20
            response = self.update(client, registered, registered["registration_access_token"])
        assert response.status_code == 200
        data = body(response)
        assert data["client_secret"] != registered["client_secret"]
        assert data["client_secret_expires_at"] == registered["client_secret_expires_at"] + 41
        with at(50):
            assert grant(client, registered["client_id"], data["client_secret"]).status_code == 200
            assert grant(client, registered["client_id"], registered["client_secret"]).status_code == 200  # rotated, valid

    def test_update_after_expiry_rotates_and_old_secret_expires_later(self, client, registered):
        with at(0):
            same = self.update(client, registered, registered["registration_access_token"])
        assert body(same)["client_secret"] == registered["client_secret"]
        with at(61):
            rotated = body(self.update(client, registered, body(same)["registration_access_token"]))
        assert rotated["client_secret"] != registered["client_secret"]
        with at(61):
            assert grant(client, registered["client_id"], rotated["client_secret"]).status_code == 200
            assert grant(client, registered["client_id"], registered["client_secret"]).status_code == 200
        with at(100):  # the rotated secret expired at 61 + 30
            assert grant(client, registered["client_id"], rotated["client_secret"]).status_code == 200
            refused = grant(client, registered["client_id"], registered["client_secret"])
            assert refused.status_code == 401
            assert body(refused) == {"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}

    def test_admin_update_does_not_use_the_window(self, client, registered, realm):
        from clients.services import client_update

        with at(41):
            client_update(client=Client.objects.get(realm=realm, client_id=registered["client_id"]),
                          representation={"description": "admin edit"}, actor=ACTOR)
            response = client.get(f"{DCR}/{registered['client_id']}", HTTP_AUTHORIZATION=f"Bearer {registered['registration_access_token']}")
        assert body(response)["client_secret"] == registered["client_secret"]

    def test_dcr_update_without_a_policy_keeps_the_rotation_state(self, client, registered, realm):
        """Unlike an admin update, a dynamic-registration update has no clean-up step (docs/keycloak.md §7.5 step 6)."""
        from policies.services import policies_replace

        policies_replace(realm=realm, representation={})
        with at(10):
            response = self.update(client, registered, registered["registration_access_token"])
        assert body(response)["client_secret_expires_at"] == registered["client_secret_expires_at"]
