"""No 500 from bad input: NUL, lone surrogates, deep nesting, non-finite numbers and oversized periods are
refused with a 4xx in Keycloak's shape (or a form error in the console), and nothing changes."""

from __future__ import annotations

import json

import pytest

from clients.models import Client
from oidc.models import InitialAccessToken
from oidc.services import initial_access_token_create
from policies import services as policy_services
from policies.models import ClientPolicy, ClientProfile
from policies.providers.base import MAX_SECONDS
from realms.actor import Actor
from tests.api.conftest import password_token

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
CANNOT_PARSE = {"error": "invalid_request", "error_description": "Cannot parse the JSON"}
INVALID_CHARACTERS = {"error": "invalid_request", "error_description": "Invalid characters in request"}
# JSON that Python's json module reads but no database column holds or no code should walk.
UNSTORABLE_JSON = [
    '{"client_name":"\\ud800"}',                         # a lone surrogate
    '{"client_id":"app\\udc00"}',
    '{"\\ud800":"x"}',                                   # ... in a key
    '{"redirect_uris":["https://app.example.com/\\ud83d"]}',
    DEEP,                                                  # 100,000 nested arrays
    '{"contacts":' + "[" * 500 + "]" * 500 + "}",          # parsed by Python, deeper than any document
    '{"client_name":"x","software_version":1e999}',        # infinity
    '{"client_name":NaN}',
]


@pytest.mark.parametrize(
    "path",
    [
        "/console/ma%00ster/realm-settings/",
        "/realms/ma%00ster/.well-known/openid-configuration",
        "/admin/realms/ma%00ster/admin-events",
        "/admin/realms/master/admin-events?authUser=a%00b",
        "/admin/realms/master/admin-events?resourceTypes=CLIENT&resourceTypes=%00",
        "/console/master/events?user=%00",
    ],
)
def test_nul_in_path_or_query(admin_client, master, path):
    response = admin_client.get(path)
    assert response.status_code == 400
    if path.startswith(("/admin/", "/realms/")):
        assert response.json() == {"error": "invalid_request", "error_description": "Invalid characters in request"}


def test_nul_in_a_form_body(client, master):
    response = client.post("/realms/master/protocol/openid-connect/token", "grant_type=client_credentials&client_id=a%00b&client_secret=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_nul_in_a_json_body(client, master):
    response = client.put("/admin/realms/master", json.dumps({"displayName": "a\u0000b"}), content_type="application/json")
    assert response.status_code == 400


def test_ordinary_requests_pass(admin_client, master):
    assert admin_client.get("/console/master/events?user=alice").status_code == 200
    assert admin_client.post("/console/master/realm-settings/", {"display_name": "100% fine", "enabled": "on"}).status_code == 302


# --- NUL in headers -------------------------------------------------------------------------------
# PostgreSQL refuses NUL in text; django-axes stores User-Agent and Accept of every failed sign-in,
# and Authorization carries client ids and tokens that are looked up.

HEADERS = ["HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_X_FORWARDED_FOR", "HTTP_AUTHORIZATION"]


def test_nul_in_a_header_at_the_token_endpoint(client, admin_user, master):
    from axes.models import AccessAttempt

    form = {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "wrong"}
    for header in HEADERS:
        response = client.post("/realms/master/protocol/openid-connect/token", form, **{header: "curl/8\x00x"})
        assert response.status_code == 400, header
        assert response.json() == INVALID_CHARACTERS
    assert not AccessAttempt.objects.exists()


def test_nul_in_a_header_at_the_console_sign_in(client, admin_user, master):
    from axes.models import AccessAttempt

    for header in HEADERS:
        response = client.post("/login", {"username": "admin", "password": "wrong"}, **{header: "Mozilla\x00"})
        assert response.status_code == 400, header
    assert not AccessAttempt.objects.exists()


def test_nul_in_a_bearer_token(client, master):
    for path in ("/admin/realms/master", "/realms/master/protocol/openid-connect/userinfo",
                 "/realms/master/clients-registrations/openid-connect/x"):
        response = client.get(path, HTTP_AUTHORIZATION="Bearer abc\x00def")
        assert response.status_code == 400, path
        assert response.json() == INVALID_CHARACTERS


# --- dynamic registration bodies ------------------------------------------------------------------

DCR = "/realms/master/clients-registrations/openid-connect"


@pytest.fixture
def iat(master):
    token, _ = initial_access_token_create(realm=master, expiration=0, count=5, actor=Actor())
    return token


def _client_ids(realm) -> list[str]:
    # Realm master has the built-in realm-management client (users.services.realm_management_ensure).
    return list(Client.objects.filter(realm=realm).exclude(client_id="realm-management").values_list("client_id", flat=True))


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_registration_create_refuses_unstorable_json(client, master, iat, content_type):
    before = _client_ids(master)
    for body in UNSTORABLE_JSON:
        response = client.post(DCR, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {iat}")
        assert response.status_code == 400, (body[:80], response.content)
        assert response.json() == CANNOT_PARSE
    assert _client_ids(master) == before
    assert InitialAccessToken.objects.get(realm=master).remaining_count == 5


def test_registration_refuses_nul_whatever_the_content_type(client, master, iat):
    before = _client_ids(master)
    response = client.post(DCR, '{"client_name":"a\\u0000b"}', content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {iat}")
    assert response.status_code == 400
    assert response.json() == INVALID_CHARACTERS
    assert _client_ids(master) == before


def test_registration_update_refuses_unstorable_json_and_changes_nothing(client, master, iat):
    created = client.post(DCR, '{"client_name":"Reporting"}', content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {iat}").json()
    uri, token = f"{DCR}/{created['client_id']}", created["registration_access_token"]
    same_id = '{"client_id":"' + created["client_id"] + '",'
    for body in [*(b.replace("{", same_id, 1) if b.startswith("{") else b for b in UNSTORABLE_JSON), same_id + '"client_name":"a\\u0000b"}']:
        response = client.put(uri, body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 400, (body[:80], response.content)
        assert response.json() in (CANNOT_PARSE, INVALID_CHARACTERS)
    assert Client.objects.get(realm=master, client_id=created["client_id"]).name == "Reporting"
    assert client.get(uri, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200, "the token was not replaced"


# --- Admin API bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [
    ("post", "/admin/realms"),
    ("put", "/admin/realms/master"),
    ("post", "/admin/realms/master/clients"),
    ("put", "/admin/realms/master/client-policies/profiles"),
    ("put", "/admin/realms/master/client-policies/policies"),
])
def test_admin_api_refuses_unstorable_json(client, admin_user, master, method, path):
    token = password_token(client, "admin")
    before = _client_ids(master)
    for body in [*UNSTORABLE_JSON, '{"clientId":"app","description":"a\\u0000b"}']:
        response = getattr(client, method)(path, body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 400, (body[:80], response.content)
        assert response.json() in (CANNOT_PARSE, INVALID_CHARACTERS)
    assert _client_ids(master) == before
    assert not ClientProfile.objects.exists()


# --- rotation periods -----------------------------------------------------------------------------
# Expiries are stored as now + period in a 64-bit column: periods above 100 years are refused.

TOO_LONG = [10**30, 2**63, "9223372036854775807", "99999999999999999999999", 1e300, MAX_SECONDS + 1]
TOO_LONG_MESSAGE = f"Secret Expiration must not be greater than {MAX_SECONDS} seconds (100 years)"


def _rotation_profiles(expiration) -> dict:
    configuration = {"expiration-period": expiration, "rotated-expiration-period": "60", "remaining-rotation-period": "60"}
    return {"profiles": [{"name": "rotation", "executors": [{"executor": "secret-rotation", "configuration": configuration}]}]}


def test_admin_api_refuses_a_rotation_period_above_100_years(client, admin_user, master):
    token = password_token(client, "admin")
    for expiration in TOO_LONG:
        response = client.put("/admin/realms/master/client-policies/profiles", json.dumps(_rotation_profiles(expiration)),
                              content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 400, expiration
        assert TOO_LONG_MESSAGE in response.json()["errorMessage"]

        realm = {"clientProfiles": _rotation_profiles(expiration)}
        response = client.put("/admin/realms/master", json.dumps(realm), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 400, expiration
    assert not ClientProfile.objects.exists()


def test_rotation_period_of_exactly_100_years_is_stored_and_used(master):
    from clients import services as client_services
    from clients.models import ClientSecret

    policy_services.profiles_replace(realm=master, representation=_rotation_profiles(MAX_SECONDS))
    policy_services.policies_replace(realm=master, representation={"policies": [{
        "name": "all", "enabled": True, "profiles": ["rotation"],
        "conditions": [{"condition": "client-access-type", "configuration": {"type": ["confidential"]}}]}]})
    created = client_services.client_create(realm=master, representation={"clientId": "app", "publicClient": False}, actor=Actor())
    current = ClientSecret.objects.get(client=created, kind=ClientSecret.CURRENT)
    assert current.expiration_time - current.created_time == MAX_SECONDS


def test_console_executor_form_refuses_a_rotation_period_above_100_years(admin_client, master):
    profile = policy_services.profile_create(realm=master, name="rotation", description="", actor=Actor())
    for expiration in [str(v) for v in TOO_LONG if not isinstance(v, float)]:
        form = {"executor": "secret-rotation", "config-expiration-period": expiration,
                "config-rotated-expiration-period": "60", "config-remaining-rotation-period": "60"}
        response = admin_client.post(f"/console/master/realm-settings/client-policies/profiles/{profile.pk}/add-executor", form)
        assert response.status_code == 400, expiration
        assert f'id="id_config-expiration-period-error">{TOO_LONG_MESSAGE}' in response.content.decode()
    assert not profile.executors.exists()


# --- the console's JSON editor --------------------------------------------------------------------

EDITOR = "/console/master/realm-settings/client-policies/"
EDITOR_REFUSALS = [
    ('{"%s":[{"name":"\\ud800"}]}', "a lone surrogate"),
    ('{"%s":[{"name":"p","description":"\\udc00"}]}', "a lone surrogate"),
    (DEEP, "Nesting deeper than 100 levels"),
    ('{"%s":' + "[" * 300 + "]" * 300 + "}", "Nesting deeper than 100 levels"),
    ('{"%s":[{"name":"p","description":"a\\u0000b"}]}', "Invalid characters"),
    ('{"%s":[]', "Expecting"),
    ('{"%s":[{"name":1e999}]}', "Number out of range"),
]


@pytest.mark.parametrize("what", ["profiles", "policies"])
def test_json_editor_refuses_unstorable_json_in_place(admin_client, master, what):
    for text, message in EDITOR_REFUSALS:
        response = admin_client.post(f"{EDITOR}{what}/json", {"json": text.replace("%s", what)})
        assert response.status_code == 400, text[:80]
        body = response.content.decode()
        assert f"Unable to save client {what}, the provided information is not valid JSON:" in body
        assert message in body, text[:80]
    assert not ClientProfile.objects.exists() and not ClientPolicy.objects.exists()


def test_json_editor_refuses_documents_of_the_wrong_shape(admin_client, master):
    for text in ["5", '"profiles"', "true", "[1, 2]", '{"profiles": 5}', '{"profiles": [5]}', '{"profiles": {"name": "p"}}']:
        response = admin_client.post(f"{EDITOR}profiles/json", {"json": text})
        assert response.status_code == 400, text
        assert "Could not update client profiles:" in response.content.decode()
    assert not ClientProfile.objects.exists()


def test_json_editor_refuses_a_rotation_period_above_100_years(admin_client, master):
    for expiration in ["99999999999999999999", "9223372036854775807", 10**30]:
        response = admin_client.post(f"{EDITOR}profiles/json", {"json": json.dumps(_rotation_profiles(expiration))})
        assert response.status_code == 400, expiration
        assert TOO_LONG_MESSAGE in response.content.decode()
    assert not ClientProfile.objects.exists()


def test_client_attributes_condition_refuses_deeply_nested_attributes(admin_client, master):
    attributes = "[" * 5000 + "]" * 5000
    document = {"policies": [{"name": "p", "conditions": [{"condition": "client-attributes", "configuration": {"attributes": attributes}}]}]}
    response = admin_client.post(f"{EDITOR}policies/json", {"json": json.dumps(document)})
    assert response.status_code == 400
    assert "attributes must be a JSON list of key/value pairs" in response.content.decode()
    assert not ClientPolicy.objects.exists()


# --- console forms and Admin API bodies with hostile field values -------------------------------


def test_console_client_form_with_hostile_fields(admin_client, master):
    before = _client_ids(master)
    url = "/console/master/clients/add-client"
    big = "x" * 100_000
    response = admin_client.post(url, {"protocol": "openid-connect", "client_id": big, "name": big, "description": big,
                                       "redirect_uris": "https://a/\n" * 20_000, "web_origins": big})
    assert response.status_code == 400
    response = admin_client.post(url, "protocol=openid-connect&client_id=a%00b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert _client_ids(master) == before
    # Invalid UTF-8 (a lone surrogate's bytes) is read as U+FFFD, which every column holds.
    response = admin_client.post(url, "protocol=openid-connect&client_id=app%ED%A0%80&name=%ED%A0%80",
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert Client.objects.get(realm=master, client_id="app\ufffd\ufffd\ufffd").name == "\ufffd\ufffd\ufffd"


def test_admin_api_client_and_realm_bodies_with_hostile_fields(client, admin_user, master):
    token = password_token(client, "admin")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    big = "x" * 100_000
    for body in [{"clientId": big}, {"clientId": "app", "description": big}, {"clientId": "app", "redirectUris": [big]},
                 {"clientId": "app", "attributes": {"a": big}}, {"clientId": "app", "attributes": {"a": {"b": "c"}}},
                 {"clientId": "app", "attributes": {big: "x"}}, {"clientId": "\x1b[31m\u2028"}, {"clientId": 10**30}]:
        response = client.post("/admin/realms/master/clients", json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 400, (str(body)[:80], response.content)
    for body in [{"displayName": big}, {"accessTokenLifespan": 2**63}, {"accessTokenLifespan": 1e300}, {"realm": big}]:
        response = client.put("/admin/realms/master", json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 400, (str(body)[:80], response.content)
    assert _client_ids(master) == ["admin-cli"]


def _b64url(data: dict) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("endpoint", ["token", "token/introspect", "logout"])
@pytest.mark.parametrize("authorization", [
    "Basic AGE6Yg==",      # base64 of "\x00a:b": the NUL appears only once decoded
    "Basic JTAwYTpi",      # base64 of "%00a:b", which Authlib %-decodes to a NUL
    "Basic YTpi AA==",
])
def test_nul_hidden_inside_basic_credentials_is_no_credential(client, master, endpoint, authorization):
    from realms.models import LoginEvent

    response = client.post(f"/realms/master/protocol/openid-connect/{endpoint}", {"grant_type": "client_credentials"},
                           HTTP_AUTHORIZATION=authorization)
    assert 400 <= response.status_code < 500
    # Checked in Python: SQLite cuts a LIKE pattern at a NUL.
    assert all("\x00" not in event.client_id for event in LoginEvent.objects.all())


def test_nul_hidden_inside_a_client_assertion_subject_is_refused(client, master):
    claims = {"sub": "a\x00b", "iss": "a\x00b", "exp": 9_999_999_999, "jti": "j"}
    assertion = f"{_b64url({'alg': 'HS256', 'typ': 'JWT'})}.{_b64url(claims)}.c2ln"
    response = client.post("/realms/master/protocol/openid-connect/token", {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    })
    assert 400 <= response.status_code < 500
