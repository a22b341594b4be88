"""A rotated secret is only real if clients authenticate with it (issue "Done when").

After a Re-generate under the procedure's policy, the old secret still gets tokens until its
rotated expiry and is then refused with Keycloak's error; an expired current secret refuses both.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from joserfc import jwt
from joserfc.jwk import OctKey

from clients import secrets as secret_store
from clients.models import ClientSecret
from clients.services import client_create, client_secret_regenerate
from realms.actor import Actor
from tests.oidc.conftest import at, basic, rotation_policy

pytestmark = pytest.mark.django_db

WEEK, TWO_DAYS, DAY = 604800, 172800, 86400
REFUSED = b'{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}'
ACTOR = Actor(source="console", username="admin")


# Queries of a client_credentials grant whose secret was already marked used this minute (the
# realm's policies are read again after the per-worker cache's 2 s: their configuration version only).
STEADY_GRANT_QUERIES = 3


def grant(client, secret: str, *, by_basic: bool = False, client_id: str = "svc", **extra):
    data = {"grant_type": "client_credentials"}
    if by_basic:
        return client.post("/realms/acme/protocol/openid-connect/token", data, HTTP_AUTHORIZATION=basic(client_id, secret), **extra)
    return client.post("/realms/acme/protocol/openid-connect/token", {**data, "client_id": client_id, "client_secret": secret}, **extra)


@pytest.fixture
def rotating(realm):
    """The procedure: a weekly rotation policy, then a confidential service client created at T0."""
    rotation_policy(realm, expiration=WEEK, rotated=TWO_DAYS, remaining=DAY)
    with at(0):
        svc = client_create(realm=realm, representation={"clientId": "svc", "serviceAccountsEnabled": True}, actor=ACTOR)
    return svc


def current_value(svc) -> str:
    return secret_store.secret_value(secret_store.secret_get(svc, ClientSecret.CURRENT))


class TestRegenerateThenOldSecret:
    def test_old_secret_works_until_its_rotated_expiry_then_is_refused(self, client, rotating):
        old = current_value(rotating)
        with at(100):
            new = client_secret_regenerate(client=rotating, actor=ACTOR)
        assert new != old
        with at(200):
            assert grant(client, old).status_code == 200
            assert grant(client, old, by_basic=True).status_code == 200
            assert grant(client, new).status_code == 200
        with at(100 + TWO_DAYS):  # the exact second of expiry still counts
            assert grant(client, old).status_code == 200
        with at(100 + TWO_DAYS + 1):
            refused = grant(client, old)
            assert refused.status_code == 401 and refused.content == REFUSED
            assert grant(client, old, by_basic=True).content == REFUSED
            assert grant(client, new).status_code == 200

    def test_expired_current_secret_refuses_both(self, client, rotating):
        old = current_value(rotating)
        with at(100):
            new = client_secret_regenerate(client=rotating, actor=ACTOR)
        # Current expires at 100 + WEEK; push the rotated expiry beyond it to see both refused.
        ClientSecret.objects.filter(client=rotating, kind=ClientSecret.ROTATED).update(expiration_time=10**10)
        with at(100 + WEEK):
            assert grant(client, new).status_code == 200
        with at(100 + WEEK + 1):
            assert grant(client, new).content == REFUSED
            assert grant(client, old).content == REFUSED

    def test_which_secret_was_used_is_recorded(self, client, rotating):
        from realms.models import LoginEvent

        old = current_value(rotating)
        with at(100):
            new = client_secret_regenerate(client=rotating, actor=ACTOR)
        with at(200):
            assert grant(client, old).status_code == 200
        rows = {row.kind: row for row in ClientSecret.objects.filter(client=rotating)}
        assert rows["rotated"].last_used_time == rows["rotated"].created_time + 100
        assert rows["current"].last_used_time is None
        with at(230):
            assert grant(client, new).status_code == 200
        rows = {row.kind: row for row in ClientSecret.objects.filter(client=rotating)}
        assert rows["current"].last_used_time is not None
        used = set(LoginEvent.objects.filter(client_id="svc", type="CLIENT_LOGIN").values_list("secret_used", flat=True))
        assert used == {"current", "rotated"}

    def test_credentials_tab_shows_when_each_secret_was_last_used(self, rotating, admin_client):
        old = current_value(rotating)
        with at(100):
            client_secret_regenerate(client=rotating, actor=ACTOR)
        with at(200):
            assert grant(admin_client, old).status_code == 200
        page = admin_client.get(f"/console/acme/clients/{rotating.pk}/credentials")
        assert page.status_code == 200
        html = page.content.decode()
        rotated_section = html[html.index("Secret rotated"):]
        assert "Last used" in rotated_section


class TestSecretJwtWithRotation:
    @pytest.fixture
    def jwt_client(self, realm):
        rotation_policy(realm, expiration=WEEK, rotated=TWO_DAYS, remaining=DAY)
        with at(0):
            return client_create(realm=realm, representation={
                "clientId": "svc", "serviceAccountsEnabled": True, "clientAuthenticatorType": "client-secret-jwt"}, actor=ACTOR)

    def assertion(self, secret: str, *, now_offset: int, jti: str | None = None, aud: str = "http://testserver/realms/acme") -> str:
        import datetime as dt

        from tests.oidc.conftest import T0

        now = int((T0 + dt.timedelta(seconds=now_offset)).timestamp())
        claims = {"iss": "svc", "sub": "svc", "aud": aud, "exp": now + 60, "iat": now, "jti": jti or str(uuid.uuid4())}
        return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))

    def post(self, client, assertion: str):
        return client.post("/realms/acme/protocol/openid-connect/token", {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        })

    def test_assertion_id_with_a_nul_is_refused_not_stored(self, client, jwt_client):
        from oidc.models import UsedClientAssertion

        with at(10):
            response = self.post(client, self.assertion(current_value(jwt_client), now_offset=10, jti="a\x00b"))
        assert 400 <= response.status_code < 500
        assert all("\x00" not in row.key for row in UsedClientAssertion.objects.all())

    def test_current_and_valid_rotated_secret_sign_assertions(self, client, jwt_client):
        old = current_value(jwt_client)
        with at(100):
            new = client_secret_regenerate(client=jwt_client, actor=ACTOR)
        with at(200):
            assert self.post(client, self.assertion(new, now_offset=200)).status_code == 200
            assert self.post(client, self.assertion(old, now_offset=200)).status_code == 200
        with at(100 + TWO_DAYS + 1):
            refused = self.post(client, self.assertion(old, now_offset=100 + TWO_DAYS + 1))
            assert refused.status_code == 400
            assert json.loads(refused.content) == {
                "error": "unauthorized_client",
                "error_description": "Client authentication with client secret signed JWT failed: Signature on JWT token by client secret  failed validation",
            }

    def test_assertion_is_single_use(self, client, jwt_client):
        secret = current_value(jwt_client)
        with at(10):
            assertion = self.assertion(secret, now_offset=10, jti="once")
            assert self.post(client, assertion).status_code == 200
            again = self.post(client, assertion)
        assert again.status_code == 400
        assert json.loads(again.content)["error_description"].endswith("Token reuse detected")

    def test_assertion_id_is_kept_in_the_database_until_exp(self, client, jwt_client):
        """Every worker and instance shares the store; a replay at the last valid second is refused."""
        import datetime as dt

        from oidc.models import UsedClientAssertion
        from oidc.services import assertion_key_digest
        from tests.oidc.conftest import T0

        secret = current_value(jwt_client)
        with at(10):
            assertion = self.assertion(secret, now_offset=10, jti="kept")
            assert self.post(client, assertion).status_code == 200
        exp = int((T0 + dt.timedelta(seconds=70)).timestamp())
        assert UsedClientAssertion.objects.get(key=assertion_key_digest(f"{jwt_client.pk}:kept")).expires == exp
        with at(70):
            assert self.post(client, self.assertion(secret, now_offset=70)).status_code == 200  # sweeps old rows
            again = self.post(client, assertion)
        assert json.loads(again.content)["error_description"].endswith("Token reuse detected")

    def test_long_assertion_ids_sharing_a_long_prefix_are_told_apart(self, client, jwt_client):
        """The whole ``jti`` is remembered (by its digest): a second long id is not a replay of the first."""
        from oidc.models import UsedClientAssertion

        secret = current_value(jwt_client)
        prefix = "p" * 400
        with at(10):
            first = self.assertion(secret, now_offset=10, jti=prefix + "-one")
            second = self.assertion(secret, now_offset=10, jti=prefix + "-two")
            assert self.post(client, first).status_code == 200
            assert self.post(client, second).status_code == 200
            replayed = self.post(client, second)
        assert json.loads(replayed.content)["error_description"].endswith("Token reuse detected")
        assert sorted(len(key) for key in UsedClientAssertion.objects.values_list("key", flat=True)) == [64, 64]

    def test_bad_signatures_lock_the_address_not_the_client(self, client, jwt_client, settings):
        settings.CLIENT_AUTH_FAILURE_LIMIT = 3
        secret = current_value(jwt_client)
        with at(10):
            for _ in range(3):
                assert self.post(client, self.assertion("w" * 32, now_offset=10)).status_code == 400
            assert self.post(client, self.assertion(secret, now_offset=10)).status_code == 429
            elsewhere = client.post("/realms/acme/protocol/openid-connect/token", {
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.assertion(secret, now_offset=10),
            }, REMOTE_ADDR="198.51.100.7")
            assert elsewhere.status_code == 200

    def test_token_endpoint_url_is_an_accepted_audience(self, client, jwt_client):
        secret = current_value(jwt_client)
        with at(10):
            response = self.post(client, self.assertion(secret, now_offset=10, aud="http://testserver/realms/acme/protocol/openid-connect/token"))
        assert response.status_code == 200

    def test_wrong_audience(self, client, jwt_client):
        secret = current_value(jwt_client)
        with at(10):
            response = self.post(client, self.assertion(secret, now_offset=10, aud="https://elsewhere"))
        assert response.status_code == 400
        assert json.loads(response.content)["error_description"].endswith("Invalid token audience")

    def test_expired_current_secret_is_invalid_client(self, client, jwt_client):
        secret = current_value(jwt_client)
        with at(WEEK + 1):
            response = self.post(client, self.assertion(secret, now_offset=WEEK + 1))
        assert response.status_code == 401
        assert json.loads(response.content) == {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}

    def test_missing_assertion_type(self, client, jwt_client):
        response = client.post("/realms/acme/protocol/openid-connect/token", {"grant_type": "client_credentials", "client_assertion": "x.y.z"})
        assert response.status_code == 400
        assert json.loads(response.content) == {"error": "invalid_client", "error_description": "Parameter client_assertion_type is missing"}

    def test_secret_in_the_form_is_refused_for_a_jwt_client(self, client, jwt_client):
        secret = current_value(jwt_client)
        response = grant(client, secret)
        assert response.status_code == 400
        assert json.loads(response.content) == {"error": "invalid_client", "error_description": "Parameter client_assertion_type is missing"}


class TestUsageEvidenceAtTheTokenEndpoint:
    """Each successful grant is counted with its source address; the writes stay one a minute."""

    def test_grants_are_counted_per_secret_with_the_last_address(self, client, rotating):
        old = current_value(rotating)
        with at(100):
            new = client_secret_regenerate(client=rotating, actor=ACTOR)
        with at(200):
            assert grant(client, old, REMOTE_ADDR="192.0.2.7").status_code == 200
            assert grant(client, new, REMOTE_ADDR="198.51.100.1").status_code == 200
            assert grant(client, new, REMOTE_ADDR="198.51.100.2", by_basic=True).status_code == 200
        with at(261):
            assert grant(client, new, REMOTE_ADDR="198.51.100.3").status_code == 200
        rows = {row.kind: row for row in ClientSecret.objects.filter(client=rotating)}
        assert (rows["rotated"].use_count, rows["rotated"].last_used_ip) == (1, "192.0.2.7")
        assert (rows["current"].use_count, rows["current"].last_used_ip) == (3, "198.51.100.3")
        assert rows["current"].last_used_time == rows["current"].created_time + 161

    def test_steady_state_grant_costs_the_same_queries(self, client, rotating):
        """Counting happens in memory: within the minute a grant writes nothing to the secret row,
        and the query count of a grant is what it was before usage counting."""
        secret = current_value(rotating)
        with at(10):
            assert grant(client, secret).status_code == 200  # the minute's one write
        with at(20), CaptureQueriesContext(connection) as steady:
            assert grant(client, secret).status_code == 200
        assert not [q for q in steady.captured_queries if q["sql"].startswith("UPDATE")]
        assert len(steady.captured_queries) == STEADY_GRANT_QUERIES
