"""Client authentication by secret: docs/keycloak.md §2.1 (basic/post) and §2.2 (secret JWT)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from joserfc import jwt
from joserfc.jwk import OctKey

from clients import secrets as store
from clients import services
from clients.authentication import (
    CLIENT_ASSERTION_TYPE_JWT,
    ClientAuthError,
    client_assertion_verify_secret_jwt,
    client_authenticate,
)
from clients.models import Client, ClientSecret
from clients.secrets import secret_mark_used
from realms.actor import Actor

T0 = 1_800_000_000
CONSOLE = Actor(source="console", username="admin")
INVALID = "Invalid client or Invalid client credentials"


def create(master, client_id="app", **representation):
    return services.client_create(realm=master, representation={"clientId": client_id, **representation}, actor=CONSOLE)


def secret_of(client) -> str:
    return store.secret_value(store.secret_get(client, ClientSecret.CURRENT))


def authenticate(realm, client_id, secret, method="client_secret_basic", now=T0):
    return client_authenticate(realm=realm, client_id=client_id, client_secret=secret, method=method, now=now)


def refused(realm, client_id, secret, method="client_secret_basic", now=T0):
    with pytest.raises(ClientAuthError) as caught:
        authenticate(realm, client_id, secret, method, now)
    return (caught.value.status, caught.value.error, caught.value.error_description)


@pytest.fixture
def app(master):
    return create(master)


# --- the docs/keycloak.md §2.1 table, in Keycloak's order --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("client_id", [None, ""])
def test_no_client_id(master, client_id):
    assert refused(master, client_id, "x") == (400, "invalid_client", "Missing client_id parameter")


@pytest.mark.django_db
def test_unknown_client(master, app):
    assert refused(master, "nobody", secret_of(app)) == (401, "invalid_client", INVALID)
    assert refused(master, "nobody", None) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_a_client_of_another_realm_is_unknown(master, app):
    from realms.services import realm_create

    other = realm_create(name="other")
    assert refused(other, "app", secret_of(app)) == (401, "invalid_client", INVALID)
    assert refused("other", "app", secret_of(app)) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_disabled_client(master, app):
    Client.objects.filter(pk=app.pk).update(enabled=False)
    assert refused(master, "app", secret_of(app)) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_public_client_succeeds_without_a_secret(master):
    spa = create(master, "spa", publicClient=True)
    for secret in (None, "", "anything"):
        result = authenticate(master, "spa", secret)
        assert (result.client.pk, result.matched, result.secret) == (spa.pk, None, None)


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, ""])
def test_no_secret_supplied(master, app, secret):
    assert refused(master, "app", secret) == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_client_without_a_stored_secret(master):
    create(master, "api", bearerOnly=True)
    assert refused(master, "api", "whatever") == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_the_allowed_method_attribute(master):
    create(master, "basic-only", attributes={"client.secret.authentication.allowed.method": "client_secret_basic"})
    client = Client.objects.get(client_id="basic-only")
    secret = secret_of(client)
    assert authenticate(master, "basic-only", secret, "client_secret_basic").matched == "current"
    assert refused(master, "basic-only", secret, "client_secret_post") == (
        401,
        "unauthorized_client",
        "Invalid method used to get client secret. Client requires method 'client_secret_basic' to obtain client "
        "secret from the request",
    )


@pytest.mark.django_db
def test_both_methods_work_without_the_attribute(master, app):
    for method in ("client_secret_basic", "client_secret_post"):
        assert authenticate(master, "app", secret_of(app), method).matched == "current"
    with pytest.raises(ValueError):
        authenticate(master, "app", secret_of(app), "client_secret_jwt")


@pytest.mark.django_db
def test_wrong_secret(master, app):
    assert refused(master, "app", "not-the-secret") == (401, "unauthorized_client", INVALID)
    assert refused(master, "app", secret_of(app)[:-1]) == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_current_and_valid_rotated_secret(master, app):
    current = secret_of(app)
    store.secret_store_rotated(app, "the-rotated-secret", now=T0, expiration_time=T0 + 600)
    store.secret_set_expiration(app, T0 + 3600)
    assert authenticate(master, "app", current).matched == "current"
    result = authenticate(master, "app", "the-rotated-secret", now=T0 + 600)  # valid at the exact second
    assert result.matched == "rotated"
    assert result.secret.kind == ClientSecret.ROTATED


@pytest.mark.django_db
def test_rotated_secret_after_its_expiry(master, app):
    store.secret_store_rotated(app, "the-rotated-secret", now=T0, expiration_time=T0 + 600)
    assert refused(master, "app", "the-rotated-secret", now=T0 + 601) == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_a_rotated_secret_without_expiry_counts_as_expired(master, app):
    store.secret_store_rotated(app, "the-rotated-secret", now=T0, expiration_time=T0 + 600)
    ClientSecret.objects.filter(client=app, kind=ClientSecret.ROTATED).update(expiration_time=None)
    assert refused(master, "app", "the-rotated-secret") == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_an_expired_current_secret_refuses_both(master, app):
    current = secret_of(app)
    store.secret_set_expiration(app, T0 + 100)
    store.secret_store_rotated(app, "the-rotated-secret", now=T0, expiration_time=T0 + 10_000)
    assert authenticate(master, "app", current, now=T0 + 100).matched == "current"  # exact second: valid
    assert refused(master, "app", current, now=T0 + 101) == (401, "unauthorized_client", INVALID)
    assert refused(master, "app", "the-rotated-secret", now=T0 + 101) == (401, "unauthorized_client", INVALID)


@pytest.mark.django_db
def test_clients_configured_for_another_authenticator(master):
    create(master, "jwt-client", clientAuthenticatorType="client-jwt")
    create(master, "secret-jwt-client", clientAuthenticatorType="client-secret-jwt")
    create(master, "x509-client", clientAuthenticatorType="client-x509")
    for client_id in ("jwt-client", "secret-jwt-client"):
        secret = secret_of(Client.objects.get(client_id=client_id))
        assert refused(master, client_id, secret) == (400, "invalid_client", "Parameter client_assertion_type is missing")
    secret = secret_of(Client.objects.get(client_id="x509-client"))
    assert refused(master, "x509-client", secret) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_the_error_body(master):
    with pytest.raises(ClientAuthError) as caught:
        authenticate(master, "nobody", "x")
    assert caught.value.as_dict() == {"error": "invalid_client", "error_description": INVALID}


# --- cost and last use ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_query_per_authentication_and_one_write_a_minute(master, app):
    secret = secret_of(app)
    store.secret_store_rotated(app, "rotated", now=T0, expiration_time=T0 + 600)
    with CaptureQueriesContext(connection) as first:
        authenticate(master, "app", secret, now=T0)
    with CaptureQueriesContext(connection) as second:
        authenticate(master, "app", secret, now=T0 + 60)
    with CaptureQueriesContext(connection) as third:
        authenticate(master, "app", secret, now=T0 + 61)
    assert len(first.captured_queries) == 2  # the client with its secrets, then last use
    assert len(second.captured_queries) == 1  # within the minute: no write
    assert len(third.captured_queries) == 2
    assert store.secret_get(app, ClientSecret.CURRENT).last_used_time == T0 + 61
    assert store.secret_get(app, ClientSecret.ROTATED).last_used_time is None
    result = authenticate(master, "app", "rotated", now=T0 + 62)
    with CaptureQueriesContext(connection) as realm_read:
        assert result.client.realm.name == "master"
    assert len(realm_read.captured_queries) == 0
    by_name = client_authenticate(realm="master", client_id="app", client_secret=secret, method="client_secret_post", now=T0 + 62)
    with CaptureQueriesContext(connection) as realm_read:
        assert by_name.client.realm.name == "master"
    assert len(realm_read.captured_queries) == 0
    assert store.secret_get(app, ClientSecret.ROTATED).last_used_time == T0 + 62


@pytest.mark.django_db
def test_secret_mark_used_is_conditional_in_the_database(master, app):
    row = store.secret_get(app, ClientSecret.CURRENT)
    stale = store.secret_get(app, ClientSecret.CURRENT)
    assert secret_mark_used(row, T0) is True
    # Another worker's copy, loaded before the write, does not write again within the minute.
    assert stale.last_used_time is None
    assert secret_mark_used(stale, T0 + 30) is False
    assert store.secret_get(app, ClientSecret.CURRENT).last_used_time == T0
    assert secret_mark_used(stale, T0 + 61) is True
    assert store.secret_get(app, ClientSecret.CURRENT).last_used_time == T0 + 61


@pytest.mark.django_db
def test_a_regenerate_between_the_check_and_the_mark_does_not_mark_the_new_secret(master, app):
    """The mark is for the value that was compared: the row keeps its id across a Re-generate."""
    result = authenticate(master, "app", secret_of(app), now=T0)
    compared = result.secret
    ClientSecret.objects.filter(pk=compared.pk).update(last_used_time=None)
    compared.last_used_time = None
    services.client_secret_regenerate(client=app, actor=CONSOLE)
    assert secret_mark_used(compared, T0 + 120) is False
    new_current = store.secret_get(app, ClientSecret.CURRENT)
    assert new_current.pk == compared.pk  # the same row, a new value
    assert new_current.last_used_time is None


@pytest.mark.django_db
def test_a_failed_authentication_records_no_use(master, app):
    refused(master, "app", "wrong")
    assert store.secret_get(app, ClientSecret.CURRENT).last_used_time is None


# --- client_secret_jwt (docs/keycloak.md §2.2) --------------------------------------------------------

AUDIENCE = "http://testserver/realms/master"
TOKEN_ENDPOINT = AUDIENCE + "/protocol/openid-connect/token"
AUDIENCES = (AUDIENCE, TOKEN_ENDPOINT)


def assertion(secret: str, *, client_id="hs", alg="HS256", **claims) -> str:
    payload = {"iss": client_id, "sub": client_id, "aud": TOKEN_ENDPOINT, "exp": T0 + 60, "iat": T0, "jti": str(uuid.uuid4())}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode({"alg": alg}, payload, OctKey.import_key(secret), algorithms=[alg])


class Seen:
    """A jti registry: the OIDC layer's single-use store (the database; see tests/oidc)."""

    def __init__(self):
        self.keys = set()
        self.lifespans = []

    def __call__(self, key, lifespan):
        self.lifespans.append(lifespan)
        if key in self.keys:
            return False
        self.keys.add(key)
        return True


def verify(master, token, *, client_id=None, now=T0, registry=None, assertion_type=CLIENT_ASSERTION_TYPE_JWT):
    return client_assertion_verify_secret_jwt(
        realm=master,
        client_assertion_type=assertion_type,
        client_assertion=token,
        audiences=AUDIENCES,
        client_id=client_id,
        now=now,
        jti_register=registry or Seen(),
    )


def jwt_refused(master, token, **kwargs):
    with pytest.raises(ClientAuthError) as caught:
        verify(master, token, **kwargs)
    return (caught.value.status, caught.value.error, caught.value.error_description)


def failed(reason):
    return (400, "unauthorized_client", "Client authentication with client secret signed JWT failed: " + reason)


BAD_SIGNATURE = failed("Signature on JWT token by client secret  failed validation")


@pytest.fixture
def hs(master):
    return create(master, "hs", clientAuthenticatorType="client-secret-jwt")


@pytest.mark.django_db
def test_secret_jwt_with_the_current_secret(master, hs):
    result = verify(master, assertion(secret_of(hs)), client_id="hs")
    assert (result.client.pk, result.matched) == (hs.pk, "current")
    assert store.secret_get(hs, ClientSecret.CURRENT).last_used_time == T0


@pytest.mark.django_db
def test_secret_jwt_with_the_rotated_secret_until_it_expires(master, hs):
    store.secret_store_rotated(hs, "r" * 32, now=T0, expiration_time=T0 + 600)
    assert verify(master, assertion("r" * 32)).matched == "rotated"
    token = assertion("r" * 32, exp=T0 + 700, iat=T0 + 601)
    assert jwt_refused(master, token, now=T0 + 601) == BAD_SIGNATURE


@pytest.mark.django_db
def test_secret_jwt_with_a_wrong_secret(master, hs):
    assert jwt_refused(master, assertion("w" * 32)) == BAD_SIGNATURE


@pytest.mark.django_db
def test_secret_jwt_with_an_expired_current_secret(master, hs):
    store.secret_set_expiration(hs, T0 - 1)
    store.secret_store_rotated(hs, "r" * 32, now=T0, expiration_time=T0 + 600)
    assert jwt_refused(master, assertion(secret_of(hs))) == (401, "invalid_client", INVALID)
    assert jwt_refused(master, assertion("r" * 32)) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_secret_jwt_client_errors(master, hs):
    token = assertion(secret_of(hs))
    assert jwt_refused(master, assertion(secret_of(hs), client_id="nobody")) == (401, "invalid_client", INVALID)
    create(master, "plain")
    plain = Client.objects.get(client_id="plain")
    assert jwt_refused(master, assertion(secret_of(plain), client_id="plain")) == (401, "invalid_client", INVALID)
    Client.objects.filter(pk=hs.pk).update(enabled=False)
    assert jwt_refused(master, token) == (401, "invalid_client", INVALID)


@pytest.mark.django_db
def test_secret_jwt_parameter_errors(master, hs):
    token = assertion(secret_of(hs))
    assert jwt_refused(master, token, assertion_type=None) == (400, "invalid_client", "Parameter client_assertion_type is missing")
    assert jwt_refused(master, token, assertion_type="urn:x") == (
        400,
        "invalid_client",
        f"Parameter client_assertion_type has value 'urn:x' but expected is '{CLIENT_ASSERTION_TYPE_JWT}'",
    )
    assert jwt_refused(master, None) == (400, "invalid_client", "client_assertion parameter missing")
    assert jwt_refused(master, "not-a-jwt")[:2] == (400, "unauthorized_client")


@pytest.mark.django_db
def test_secret_jwt_claim_errors(master, hs):
    secret = secret_of(hs)
    assert jwt_refused(master, assertion(secret, sub=None)) == failed("Can't identify client. Subject missing on JWT token")
    assert jwt_refused(master, assertion(secret, iss="someone-else")) == failed("Issuer mismatch. The issuer should match the subject")
    assert jwt_refused(master, assertion(secret), client_id="other") == failed(
        "client_id parameter not matching with client from JWT token"
    )
    assert jwt_refused(master, assertion(secret, aud="https://elsewhere")) == failed("Invalid token audience")
    assert verify(master, assertion(secret, aud=[AUDIENCE, "x"])).matched == "current"
    assert jwt_refused(master, assertion(secret, exp=T0 - 1)) == failed("Token is not active")
    assert jwt_refused(master, assertion(secret, nbf=T0 + 30)) == failed("Token is not active")
    assert jwt_refused(master, assertion(secret, jti=None)) == failed("Missing ID on the token")


@pytest.mark.django_db
def test_secret_jwt_without_exp_is_refused(master, hs):
    """Without exp a jti would have to be remembered forever: a replay window with no end."""
    secret = secret_of(hs)
    assert jwt_refused(master, assertion(secret, exp=None, iat=T0 - 11)) == failed("Token exp claim is required")
    assert jwt_refused(master, assertion(secret, exp=None, iat=T0)) == failed("Token exp claim is required")


@pytest.mark.django_db
def test_secret_jwt_exp_at_most_the_maximum_ahead(master, hs, settings):
    settings.CLIENT_ASSERTION_MAX_EXPIRATION = 300
    secret = secret_of(hs)
    assert verify(master, assertion(secret, exp=T0 + 300)).matched == "current"
    assert jwt_refused(master, assertion(secret, exp=T0 + 301)) == failed("Token expiration is too far in the future")
    assert jwt_refused(master, assertion(secret, exp=T0 + 301, iat=None)) == failed(
        "Token expiration is too far in the future and iat claim not present in token"
    )
    assert jwt_refused(master, assertion(secret, exp=T0 + 86_400 * 365)) == failed("Token expiration is too far in the future")


@pytest.mark.django_db
def test_secret_jwt_iat_in_the_future_beyond_the_skew(master, hs, settings):
    settings.CLIENT_ASSERTION_CLOCK_SKEW = 10
    secret = secret_of(hs)
    assert verify(master, assertion(secret, iat=T0 + 10)).matched == "current"  # a client clock slightly ahead
    assert jwt_refused(master, assertion(secret, iat=T0 + 11)) == failed("Token was issued in the future")


@pytest.mark.django_db
def test_secret_jwt_jti_is_remembered_until_exp(master, hs):
    registry = Seen()
    verify(master, assertion(secret_of(hs), exp=T0 + 250), registry=registry)
    verify(master, assertion(secret_of(hs), exp=T0 + 3), registry=registry)
    assert registry.lifespans == [250, 3]  # through exp, not a fixed shorter time


@pytest.mark.django_db
def test_secret_jwt_is_single_use(master, hs):
    registry = Seen()
    token = assertion(secret_of(hs))
    verify(master, token, registry=registry)
    assert jwt_refused(master, token, registry=registry) == failed("Token reuse detected")


def test_secret_jwt_needs_a_shared_jti_registry():
    """No per-process default: a replay sent to another worker would pass it."""
    with pytest.raises(TypeError):
        client_assertion_verify_secret_jwt(
            realm="master", client_assertion_type=CLIENT_ASSERTION_TYPE_JWT, client_assertion="x", audiences=AUDIENCES, now=T0
        )


# --- which refusals count towards the brute-force lockout ----------------------------------------


def refusal(call):
    with pytest.raises(ClientAuthError) as caught:
        call()
    return caught.value


@pytest.mark.django_db
def test_only_a_wrong_credential_of_an_existing_client_counts(master, app, hs):
    store.secret_store_rotated(app, "the-rotated-secret", now=T0 - 700, expiration_time=T0 - 1)
    wrong = refusal(lambda: authenticate(master, "app", "not-the-secret"))
    assert wrong.wrong_credential_of.pk == app.pk and not wrong.unknown_client
    bad_signature = refusal(lambda: verify(master, assertion("w" * 32)))
    assert bad_signature.wrong_credential_of.pk == hs.pk
    unknown = refusal(lambda: authenticate(master, "nobody", "x"))
    assert unknown.unknown_client and unknown.wrong_credential_of is None
    assert refusal(lambda: verify(master, assertion("w" * 32, client_id="nobody"))).unknown_client
    tested_nothing = [
        lambda: authenticate(master, "app", None),  # no secret
        lambda: authenticate(master, None, "x"),  # no client id
        lambda: authenticate(master, "app", "the-rotated-secret"),  # the real old secret, expired: not a guess
        lambda: authenticate(master, "hs", secret_of(hs)),  # another authenticator
        lambda: verify(master, "not-a-jwt"),
        lambda: verify(master, assertion(secret_of(hs)), assertion_type="x"),
        lambda: verify(master, assertion(secret_of(hs), exp=None)),  # signed right, but no exp
    ]
    for call in tested_nothing:
        error = refusal(call)
        assert (error.wrong_credential_of, error.unknown_client) == (None, False), error


@pytest.mark.django_db
def test_secret_jwt_with_deeply_nested_json_is_a_parse_error(master, hs):
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    nested = b"[" * 20_000 + b"]" * 20_000
    header = b64(b'{"alg":"HS256"}')
    assert jwt_refused(master, f"{header}.{b64(nested)}.c2ln") == failed("Could not parse the client assertion")
    assert jwt_refused(master, f"{b64(nested)}.{b64(b'{}')}.c2ln") == failed("Could not parse the client assertion")


@pytest.mark.django_db
def test_secret_jwt_algorithm(master, hs):
    Client.objects.filter(pk=hs.pk).update(attributes={"token.endpoint.auth.signing.alg": "HS512"})
    secret = secret_of(hs)
    assert jwt_refused(master, assertion(secret)) == (400, "invalid_client", "invalid signature algorithm")
    assert verify(master, assertion(secret, alg="HS512")).matched == "current"
