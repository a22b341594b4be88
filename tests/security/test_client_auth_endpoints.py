"""Client authentication at the token and introspection endpoints: throttling and login events.

Only a wrong secret or signature of an existing confidential client counts, per (client, source
address), with a higher per-client ceiling across addresses; made-up client ids count per address.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import time_machine

from realms.models import LoginEvent

pytestmark = pytest.mark.django_db

TOKEN = "/realms/master/protocol/openid-connect/token"
INTROSPECT = "/realms/master/protocol/openid-connect/token/introspect"
RIGHT = "right-secret-0123456789abcdefghij"
ROTATED = "rotated-secret-0123456789abcdefgh"
WRONG = "wrong-secret-guess-000000000000000"
T0 = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.CLIENT_AUTH_FAILURE_LIMIT = 3
    settings.CLIENT_AUTH_CLIENT_CEILING = 6
    settings.CLIENT_AUTH_FAILURE_WINDOW = 60
    settings.CLIENT_AUTH_LOCKOUT_SECONDS = 120


@pytest.fixture
def app(master):
    from clients.services import client_create

    with time_machine.travel(T0, tick=False):
        client = client_create(
            realm=master,
            representation={"clientId": "app", "secret": RIGHT, "publicClient": False, "serviceAccountsEnabled": True},
            actor=None,
        )
    from oidc import keys

    keys.cache_forget_realm(master.pk)
    return client


def token(client, client_id="app", secret=RIGHT, basic=False, ip="192.0.2.10"):
    data = {"grant_type": "client_credentials"}
    headers = {"REMOTE_ADDR": ip}
    if basic:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    else:
        data.update(client_id=client_id, client_secret=secret)
    return client.post(TOKEN, data, **headers)


def at(seconds):
    return time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False)


def test_lockout_after_failures_refuses_even_the_right_secret_then_ends(client, app):
    with at(10):
        for _ in range(3):
            assert token(client, secret=WRONG).status_code == 401
        locked = token(client, secret=RIGHT)
        assert locked.status_code == 429
        assert locked["Retry-After"] == "120"
        assert locked.json() == {"error": "invalid_client", "error_description": "Too many failed client authentications; try again later"}
        assert token(client, secret=RIGHT, basic=True).status_code == 429  # Basic auth: same client id, same lock
    with at(10 + 121):
        assert token(client, secret=RIGHT).status_code == 200


def test_unknown_client_id_is_throttled_alike(client, app):
    """From one address, made-up client ids are locked after as many failures as a real client and
    answered byte for byte the same. (The 401 bodies before it are Keycloak's:
    ``unauthorized_client`` for a wrong secret, ``invalid_client`` for an unknown client.)"""
    with at(10):
        existing = [token(client, client_id="app", secret=WRONG) for _ in range(4)]
        unknown = [token(client, client_id="ghost", secret=WRONG) for _ in range(4)]
    assert [r.status_code for r in existing] == [r.status_code for r in unknown] == [401, 401, 401, 429]
    assert existing[-1].content == unknown[-1].content
    assert existing[-1]["Retry-After"] == unknown[-1]["Retry-After"] == "120"


def test_introspection_counts_and_is_locked_too(client, app):
    with at(10):
        for _ in range(3):
            response = client.post(INTROSPECT, {"token": "x", "client_id": "app", "client_secret": WRONG}, REMOTE_ADDR="192.0.2.10")
            assert response.status_code == 401
        assert client.post(INTROSPECT, {"token": "x", "client_id": "app", "client_secret": RIGHT}, REMOTE_ADDR="192.0.2.10").status_code == 429
        assert token(client, ip="192.0.2.10").status_code == 429  # one lock per client and address, whatever the endpoint


def test_lock_is_per_client_id(client, app, master):
    from clients.services import client_create

    with at(0):
        client_create(realm=master, representation={"clientId": "other", "secret": RIGHT, "serviceAccountsEnabled": True}, actor=None)
    with at(10):
        for _ in range(3):
            token(client, secret=WRONG)
        assert token(client).status_code == 429
        assert token(client, client_id="other").status_code == 200


def test_login_events_record_failures_and_which_secret_matched(client, app):
    from clients.secrets import secret_store_rotated
    from realms.clock import epoch

    with at(10):
        assert token(client, secret=WRONG, ip="192.0.2.1").status_code == 401
        assert token(client, secret=RIGHT, ip="192.0.2.2").status_code == 200
        secret_store_rotated(app, ROTATED, now=epoch(), expiration_time=epoch() + 3600)
        assert token(client, secret=ROTATED, ip="192.0.2.3").status_code == 200
    events = list(LoginEvent.objects.order_by("time", "id"))
    assert [(e.type, e.client_id, e.secret_used, e.ip_address) for e in events] == [
        ("CLIENT_LOGIN_ERROR", "app", "", "192.0.2.1"),
        ("CLIENT_LOGIN", "app", "current", "192.0.2.2"),
        ("CLIENT_LOGIN", "app", "rotated", "192.0.2.3"),
    ]
    assert events[0].error
    assert events[0].details["endpoint"] == "token"
    stored = repr(list(LoginEvent.objects.values()))
    for secret in (RIGHT, ROTATED, WRONG):
        assert secret not in stored


def test_throttle_state_is_in_the_database(client, app):
    from realms.models import ClientAuthFailure

    with at(10):
        for _ in range(3):
            token(client, secret=WRONG)
    row = ClientAuthFailure.objects.get(realm_name="master", client_id="app", source="192.0.2.10")
    assert row.locked_until == int((T0 + dt.timedelta(seconds=10 + 120)).timestamp())


# --- junk never locks -------------------------------------------------------------------------


def post(client, data, ip="192.0.2.10", **headers):
    return client.post(TOKEN, {"grant_type": "client_credentials", **data}, REMOTE_ADDR=ip, **headers)


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_requests_that_test_no_credential_never_lock(client, app, master):
    """Malformed requests, a wrong assertion type, a missing secret, a public client: none tests a
    credential, so none counts, however many arrive from however few addresses."""
    from oidc.services import admin_cli_ensure
    from realms.models import ClientAuthFailure

    admin_cli_ensure(realm=master)
    junk = [
        {"client_id": "app", "client_assertion_type": "x", "client_assertion": "y"},
        {"client_id": "app", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": "not.a.jwt"},
        {"client_id": "app"},  # no secret
        {"client_secret": WRONG},  # no client id
        {"client_id": "admin-cli", "client_assertion_type": "x"},
        {"client_id": "admin-cli", "client_secret": WRONG},  # a public client has no secret to guess
    ]
    with at(10):
        for _ in range(5):
            for data in junk:
                assert post(client, data).status_code in (400, 401)
            assert post(client, {"client_id": "app"}, HTTP_AUTHORIZATION="Basic /w==").status_code == 401
            assert post(client, {"client_id": "admin-cli"}, HTTP_AUTHORIZATION=basic_header("app", WRONG)).status_code == 400
        assert not ClientAuthFailure.objects.exists()
        assert token(client).status_code == 200
        password = client.post(TOKEN, {"grant_type": "password", "client_id": "admin-cli", "username": "nobody", "password": "x"})
        assert password.status_code == 401 and password.json()["error"] == "invalid_grant"  # not a 429


def test_a_public_client_is_never_locked(client, master):
    """Even with failures on record under its id (say, from before it became public)."""
    from oidc.services import admin_cli_ensure
    from realms.throttle import client_auth_failure_record

    admin_cli_ensure(realm=master)
    with at(10):
        for _ in range(10):
            client_auth_failure_record(realm=master, client_id="admin-cli", source="192.0.2.10")
        response = client.post(TOKEN, {"grant_type": "password", "client_id": "admin-cli", "username": "nobody", "password": "x"},
                               REMOTE_ADDR="192.0.2.10")
        assert response.json()["error"] == "invalid_grant"


# --- per address, and the ceiling ---------------------------------------------------------------


def test_wrong_secrets_from_one_address_do_not_lock_another(client, app):
    with at(10):
        for _ in range(3):
            assert token(client, secret=WRONG, ip="198.51.100.1").status_code == 401
        assert token(client, secret=RIGHT, ip="198.51.100.1").status_code == 429
        assert token(client, secret=WRONG, ip="198.51.100.1").status_code == 429
        assert token(client, secret=RIGHT, ip="198.51.100.2").status_code == 200
        assert token(client, secret=RIGHT, ip="198.51.100.2", basic=True).status_code == 200


def test_the_ceiling_locks_every_address(client, app):
    with at(10):
        for i in range(6):  # two failures from each of three addresses: none reaches its own limit
            assert token(client, secret=WRONG, ip=f"198.51.100.{i // 2}").status_code == 401
        locked = token(client, secret=RIGHT, ip="203.0.113.99")
        assert locked.status_code == 429
        assert locked["Retry-After"] == "120"
    with at(10 + 121):
        assert token(client, secret=RIGHT, ip="203.0.113.99").status_code == 200


def test_a_right_secret_forgets_its_addresses_failures(client, app):
    with at(10):
        for _ in range(2):
            token(client, secret=WRONG)
        assert token(client).status_code == 200
        for _ in range(2):
            assert token(client, secret=WRONG).status_code == 401
        assert token(client).status_code == 200


def test_a_lock_recorded_by_another_worker_holds_here(client, app, master):
    """This process never saw a failure: the lock written by another worker (or instance) is read
    from the database all the same, through the client row's failure mark."""
    from clients.authentication import client_auth_failures_mark
    from realms.throttle import client_auth_failure_record, client_auth_horizon

    with at(10):
        assert token(client).status_code == 200
        client_auth_failures_mark(type(app).objects.get(pk=app.pk), until=client_auth_horizon())
        for _ in range(3):
            client_auth_failure_record(realm=master, client_id="app", source="192.0.2.10")
        assert token(client).status_code == 429
        assert token(client, ip="192.0.2.11").status_code == 200


# --- one identity per request ---------------------------------------------------------------------


def test_basic_and_form_client_ids_must_agree(client, app, master):
    from clients.services import client_create

    with at(0):
        client_create(realm=master, representation={"clientId": "other", "secret": RIGHT, "serviceAccountsEnabled": True}, actor=None)
    with at(10):
        response = post(client, {"client_id": "other", "client_secret": RIGHT}, HTTP_AUTHORIZATION=basic_header("app", RIGHT))
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_client",
                                   "error_description": "client_id parameter not matching with client from Authorization header"}
        same = post(client, {"client_id": "app"}, HTTP_AUTHORIZATION=basic_header("app", RIGHT))
        assert same.status_code == 200


# --- hostile encodings: a 4xx, never a 500 --------------------------------------------------------


def test_basic_header_that_is_not_utf8(client, app):
    with at(10):
        response = post(client, {}, HTTP_AUTHORIZATION="Basic /w==")  # base64 of the byte 0xFF
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="master"'
        with_id = post(client, {"client_id": "app", "client_secret": RIGHT}, HTTP_AUTHORIZATION="Basic /w==")
        assert with_id.status_code == 200  # an unusable header is ignored when the form names the client


def test_assertion_with_deeply_nested_json(client, app):
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    nested = b"[" * 20_000 + b"]" * 20_000  # within the JOSE size limit, far beyond the recursion limit
    header = b64(b'{"alg":"HS256"}')
    for assertion in (f"{header}.{b64(nested)}.c2ln", f"{b64(nested)}.{b64(b'{}')}.c2ln"):
        with at(10):
            response = post(client, {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                     "client_assertion": assertion})
        assert response.status_code == 400, response.content
        assert response.json() == {"error": "unauthorized_client", "error_description":
                                   "Client authentication with client secret signed JWT failed: Could not parse the client assertion"}


# --- client_secret_jwt: what is refused and never counts --------------------------------------------

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AUDIENCE = "http://testserver/realms/master"


@pytest.fixture
def jwt_app(master, app):
    """A client_secret_jwt client next to ``app``."""
    from clients.services import client_create

    with at(0):
        return client_create(realm=master, actor=None, representation={
            "clientId": "jwt-app", "secret": RIGHT, "serviceAccountsEnabled": True, "clientAuthenticatorType": "client-secret-jwt"})


def signed(*, sub="jwt-app", iss=None, jti="one", seconds=10, raw_claims: str = "", secret=RIGHT) -> str:
    """An assertion signed with ``secret``; ``raw_claims`` is spliced into the claims text as written
    (``"exp": 1e999`` cannot be produced by json.dumps)."""
    import json

    from joserfc import jws
    from joserfc.jwk import OctKey

    now = int((T0 + dt.timedelta(seconds=seconds)).timestamp())
    claims = {"iss": iss or sub, "sub": sub, "aud": AUDIENCE, "exp": now + 60, "iat": now, "jti": jti}
    text = json.dumps(claims)
    if raw_claims:
        names = [part.split(":", 1)[0].strip().strip('"') for part in raw_claims.split(",")]
        text = json.dumps({k: v for k, v in claims.items() if k not in names})[:-1] + ", " + raw_claims + "}"
    return jws.serialize_compact({"alg": "HS256"}, text.encode(), OctKey.import_key(secret))


def assertion_post(client, assertion, ip="192.0.2.10", **extra):
    return post(client, {"client_assertion_type": JWT_BEARER, "client_assertion": assertion}, ip=ip, **extra)


def nothing_counted():
    from realms.models import ClientAuthFailure

    return not ClientAuthFailure.objects.exists()


def test_basic_client_id_that_is_not_the_assertions_subject_is_refused_and_never_counts(client, jwt_app):
    with at(10):
        for i in range(5):  # more than the limit of 3
            response = assertion_post(client, signed(jti=f"basic-{i}"), HTTP_AUTHORIZATION=basic_header("app", WRONG))
            assert response.status_code == 400
            assert response.json() == {"error": "unauthorized_client", "error_description":
                                       "Client authentication with client secret signed JWT failed: "
                                       "client_id parameter not matching with client from JWT token"}
            assert assertion_post(client, signed(iss="app", jti=f"iss-{i}")).json()["error_description"].endswith(
                "Issuer mismatch. The issuer should match the subject")
        assert nothing_counted()
        assert assertion_post(client, signed(jti="fresh")).status_code == 200
        assert token(client, basic=True).status_code == 200  # "app" is not locked either


def test_a_replayed_assertion_is_refused_and_never_counts(client, jwt_app):
    with at(10):
        assertion = signed(jti="replayed")
        assert assertion_post(client, assertion).status_code == 200
        for _ in range(5):
            replay = assertion_post(client, assertion)
            assert replay.status_code == 400
            assert replay.json()["error_description"] == "Client authentication with client secret signed JWT failed: Token reuse detected"
        assert nothing_counted()
        assert assertion_post(client, signed(jti="next")).status_code == 200


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("number", ["1e999", "-1e999", "Infinity", "NaN"])
def test_an_infinite_time_claim_is_a_bad_claim_not_a_500(client, jwt_app, claim, number):
    with at(10):
        response = assertion_post(client, signed(jti=f"{claim}-{number}", raw_claims=f'"{claim}": {number}'))
        assert response.status_code == 400, response.content
        assert response.json() == {"error": "unauthorized_client", "error_description":
                                   "Client authentication with client secret signed JWT failed: Token is not active"}
        assert nothing_counted()


def test_console_refuses_regenerate_for_a_public_client(admin_client, master):
    """A public client has no Credentials tab (as in Keycloak's console): Re-generate and Secret
    compromised are refused (404, as the tab) and write nothing; bearer-only ones get a 400
    (tests/api/test_secretless_clients.py)."""
    from django.urls import reverse

    from clients.models import ClientSecret
    from realms.models import AdminEvent
    from tests.factories import ClientFactory

    public = ClientFactory(realm=master, client_id="spa", public_client=True)
    ClientSecret.objects.filter(client=public).delete()
    kwargs = {"realm": "master", "id": public.pk}
    assert admin_client.get(reverse("client-credentials", kwargs=kwargs)).status_code == 404
    events = AdminEvent.objects.count()
    for name in ("client-secret-regenerate", "client-secret-compromised"):
        assert admin_client.post(reverse(name, kwargs=kwargs)).status_code == 404
    assert not ClientSecret.objects.filter(client=public).exists()
    assert AdminEvent.objects.count() == events
