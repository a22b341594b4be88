"""Bad input at scale on the OIDC endpoints and dynamic registration: property-based (Hypothesis).

The Admin REST API is fuzzed from its OpenAPI description (``test_api_fuzz.py``); these endpoints
have none, so Hypothesis generates their requests directly. Each request starts from a valid one
(a grant with the right secret, a registration with a valid initial access token and metadata, an
update with an admin token) and then has a few parts replaced by hostile values: lone surrogates,
NUL, control characters, 70 KB strings, huge and non-finite numbers, deep nesting, invalid UTF-8,
broken base64, wrong tokens, unexpected methods and content types. Every request goes through the
whole stack (middleware, views, the real database) with Django's test client, and passes when the
answer is not a 5xx. Bounded: ``OIDC_FUZZ_MAX_EXAMPLES`` per endpoint group (default 100),
derandomized (the same examples on every run), no shrinking (a failure is reported as generated).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from urllib.parse import quote

import pytest
from django.test import Client as DjangoClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from oidc.services import initial_access_token_create
from realms.actor import Actor
from tests.conftest import ADMIN_PASSWORD
from tests.factories import ClientFactory
from tests.oidc.conftest import rotation_policy

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),  # the 70 KB strings, on purpose
]

FUZZ = settings(
    max_examples=int(os.environ.get("OIDC_FUZZ_MAX_EXAMPLES", "100")),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
REALM = "fuzz"
OIDC = f"/realms/{REALM}/protocol/openid-connect"
DCR = f"/realms/{REALM}/clients-registrations/openid-connect"
SECRET = "S3cretValueOfThirtyTwoCharacters"

# --- hostile values -------------------------------------------------------------------------------

# What no database column holds (NUL, lone surrogates), then what tends to confuse parsers and decoders.
UNSTORABLE_PIECES = ["\x00", "\ud800", "\udfff", "\ud83d"]
HOSTILE_PIECES = ["\ufffd", "\u2028", "\x7f", "\x1b", "%", "%00", "%ff", "\\", '"', "'", "\n", "\r\n", "=", "&", ":", "/", "..", "*",
                  "{", "[", "é", "\U0001f600", "x" * 70_000]
hostile_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(UNSTORABLE_PIECES), st.sampled_from(HOSTILE_PIECES)), max_size=4
).map("".join)
utf8_text = hostile_text.map(lambda s: s.encode("utf-8", "replace").decode())
header_text = st.text(st.characters(max_codepoint=255), max_size=40)  # header values arrive as latin-1 text
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), hostile_text,
)
json_values = st.recursive(
    json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)), max_leaves=12
)
extra_headers = st.dictionaries(
    st.sampled_from(["USER_AGENT", "ACCEPT", "X_FORWARDED_FOR", "X_FORWARDED_PROTO", "COOKIE", "ACCEPT_LANGUAGE"]), header_text, max_size=3
)


def _deep(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _json_text(value) -> str:
    # ensure_ascii: lone surrogates travel as "\ud800" escapes; NaN and Infinity as Python writes them.
    return json.dumps(value, ensure_ascii=True)


def _encode(text: str) -> str:
    """Percent-encoded; a lone surrogate becomes its (invalid) UTF-8 bytes, as a hostile client sends it."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form_body(fields: dict) -> bytes:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items()).encode()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{quote(user, safe='')}:{password}".encode()).decode()


def _utf8_base64(text: str) -> bool:
    """False for base64 of bytes that are not UTF-8 (left to the last test of this file)."""
    try:
        base64.b64decode(text).decode("utf-8")
    except binascii.Error:
        return True  # not base64 at all: read as no credentials
    except UnicodeDecodeError:
        return False
    return True


# --- the realm under fire -------------------------------------------------------------------------


@pytest.fixture
def target(master, admin_user, client, settings):
    """Realm ``fuzz`` (a rotation policy, client ``svc``, an initial access token, a registered client)
    and an admin's tokens. Lockouts are raised out of reach so generated requests get past them."""
    from realms.services import realm_create

    settings.CLIENT_AUTH_FAILURE_LIMIT = 10**6
    settings.AXES_FAILURE_LIMIT = 10**6
    master.access_token_lifespan = 3600
    master.save(update_fields=["access_token_lifespan"])
    realm = realm_create(name=REALM, access_token_lifespan=3600)
    rotation_policy(realm, expiration=3600, rotated=600, remaining=1800)
    ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret=SECRET)
    iat, _ = initial_access_token_create(realm=realm, expiration=0, count=100_000, actor=Actor())
    admin = client.post("/realms/master/protocol/openid-connect/token",
                        {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": ADMIN_PASSWORD}).json()
    registered = client.post(DCR, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {iat}").json()
    return {"iat": iat, "access": admin["access_token"], "refresh": admin["refresh_token"],
            "client_id": registered["client_id"], "rat": registered["registration_access_token"]}


@pytest.fixture
def http():
    """Django's test client answering a 500 as a response (not re-raising), so it can be asserted."""
    return DjangoClient(raise_request_exception=False)


def _parsed_by_authlib(authorization: str | None) -> bool:
    """False for what Authlib's Basic parser cannot take: a scheme and whitespace with nothing after
    ("Basic ", "Bearer "), left to the last test of this file."""
    return authorization is None or " " not in authorization or len(authorization.split(None, 1)) == 2


def _hostile_credentials(target) -> st.SearchStrategy[str | None]:
    tokens = st.sampled_from([target["iat"], target["access"], target["refresh"], target["rat"]])
    return st.one_of(
        st.none(),
        header_text.filter(lambda s: not s.lower().lstrip().startswith("basic")),
        st.builds(lambda t: f"Bearer {t}", st.one_of(tokens, header_text)),
        st.builds(lambda t, cut: f"Bearer {t[:cut]}", tokens, st.integers(0, 400)),
        st.builds(lambda t, i, c: f"Bearer {t[:i]}{c}{t[i + 1:]}", tokens, st.integers(0, 400), st.sampled_from("A_-.=é")),
        st.builds(_basic, st.sampled_from(["svc", "admin-cli"]), st.one_of(st.just(SECRET), utf8_text)),
        st.builds(_basic, utf8_text, utf8_text),
        st.builds(lambda s: f"Basic {s}", st.text(st.sampled_from("ABCDEFabcdef0123456789+/=:"), min_size=1, max_size=30).filter(_utf8_base64)),
    ).filter(_parsed_by_authlib)


def _send(http, method: str, path: str, body: bytes | None, content_type: str, authorization: str | None, extra: dict):
    headers = {f"HTTP_{name}": value for name, value in extra.items()}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    if body is None:
        return getattr(http, method)(path, **headers)
    return getattr(http, method)(path, body, content_type=content_type, **headers)


def _assert_no_5xx(response, *what) -> None:
    described = " ".join(repr(item)[:300] for item in what)
    assert response.status_code < 500, f"{described}: {response.status_code} {response.content[:300]!r}"


# --- token, introspection, userinfo, logout -------------------------------------------------------

FORM_KEYS = ["grant_type", "client_id", "client_secret", "username", "password", "refresh_token", "scope", "token",
             "token_type_hint", "client_assertion", "client_assertion_type", "access_token"]


def _valid_forms(target) -> st.SearchStrategy[tuple[str, dict, str | None]]:
    """(endpoint, form, Authorization) of requests that succeed as they are."""
    svc = {"client_id": "svc", "client_secret": SECRET}
    cli = {"client_id": "admin-cli"}
    return st.sampled_from([
        ("token", {"grant_type": "client_credentials", **svc}, None),
        ("token", {"grant_type": "client_credentials"}, _basic("svc", SECRET)),
        ("token", {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD, "scope": "openid", **cli}, None),
        ("token", {"grant_type": "refresh_token", "refresh_token": target["refresh"], **cli}, None),
        ("token/introspect", {"token": target["access"], **svc}, None),
        ("token/introspect", {"token": target["refresh"], "token_type_hint": "refresh_token"}, _basic("svc", SECRET)),
        ("userinfo", {}, f"Bearer {target['access']}"),
        ("userinfo", {"access_token": target["access"]}, None),
        ("logout", {"refresh_token": target["refresh"] + "x", **cli}, None),
    ])


def test_oidc_form_endpoints_never_answer_5xx(target, http):
    """token, introspect, userinfo, logout: valid requests with hostile fields, credentials, headers, methods."""
    hostile_value = st.one_of(hostile_text, st.sampled_from([target["access"], target["refresh"], target["iat"], "client_credentials",
                                                              "password", "refresh_token", "svc", "admin-cli", SECRET]))

    @FUZZ
    @given(
        valid=_valid_forms(target),
        changes=st.dictionaries(st.one_of(st.sampled_from(FORM_KEYS), hostile_text), hostile_value, max_size=2),
        drop=st.sets(st.sampled_from(FORM_KEYS), max_size=1),
        authorization=st.one_of(st.just("keep"), _hostile_credentials(target)),
        content_type=st.sampled_from(["application/x-www-form-urlencoded"] * 4 + ["application/json", "text/plain", "multipart/form-data; boundary=x"]),
        extra=extra_headers,
        method=st.sampled_from(["post"] * 6 + ["get", "put"]),
    )
    # Reported: NUL in a header that ends up in a text column (django-axes stores User-Agent and
    # Accept of a failed sign-in), on PostgreSQL.
    @example(valid=("token", {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "wrong"}, None),
             changes={}, drop=set(), authorization="keep", content_type="application/x-www-form-urlencoded",
             extra={"USER_AGENT": "curl\x00", "ACCEPT": "*/*\x00"}, method="post")
    def run(valid, changes, drop, authorization, content_type, extra, method):
        endpoint, form, valid_authorization = valid
        fields = {k: v for k, v in {**form, **changes}.items() if k not in drop}
        authorization = valid_authorization if authorization == "keep" else authorization
        body = None if method == "get" else _form_body(fields)
        path = f"{OIDC}/{endpoint}" + (f"?{_form_body(fields).decode()}" if method == "get" else "")
        response = _send(http, method, path, body, content_type, authorization, extra)
        _assert_no_5xx(response, method, endpoint, fields, authorization, extra)

    run()


# --- dynamic registration -------------------------------------------------------------------------

METADATA_KEYS = ["client_id", "client_name", "redirect_uris", "grant_types", "response_types", "token_endpoint_auth_method",
                 "token_endpoint_auth_signing_alg", "contacts", "scope", "client_uri", "logo_uri", "policy_uri", "tos_uri",
                 "jwks", "jwks_uri", "software_id", "software_version", "client_secret", "client_secret_expires_at"]
VALID_METADATA = {"client_name": "Reporting", "redirect_uris": ["https://app.example.com/cb"], "grant_types": ["client_credentials"],
                  "token_endpoint_auth_method": "client_secret_basic", "contacts": ["ops@example.com"], "scope": "openid"}
raw_bodies = st.one_of(
    st.binary(max_size=64),
    st.integers(1, 100_000).map(lambda n: _deep(n).encode()),
    st.integers(1, 2_000).map(lambda n: ('{"client_name":"x","redirect_uris":' + _deep(n, '"https://a/cb"') + "}").encode()),
    st.sampled_from([b"", b" ", b"null", b"[]", b'"x"', b"1e999", b"NaN", b"{", b'{"client_name":"\\ud800"}', b"\xef\xbb\xbf{}",
                     b'{"client_name":"a\\u0000"}', b'{"redirect_uris":["https://a/\\udc00"]}', b"\xff\xfe{}"]),
)


def test_dynamic_registration_never_answers_5xx(target, http):
    """Registration create, read, update, delete: valid metadata with hostile fields, raw bodies, tokens, paths."""
    value = st.one_of(
        hostile_text,
        json_values,
        st.lists(st.one_of(st.just("https://app.example.com/cb"), hostile_text), max_size=3),
        st.sampled_from(["client_secret_basic", "client_secret_post", "client_secret_jwt", "none", "private_key_jwt",
                         "tls_client_auth", "authorization_code", "refresh_token", "HS256", "RS256"]),
    )

    @FUZZ
    @given(
        method=st.sampled_from(["post", "post", "get", "put", "put", "delete", "patch"]),
        which=st.sampled_from(["registered", "registered", "missing", "hostile"]),
        hostile_id=hostile_text,
        changes=st.dictionaries(st.one_of(st.sampled_from(METADATA_KEYS), hostile_text), value, max_size=2),
        raw=st.one_of(st.none(), st.none(), raw_bodies),
        authorization=st.one_of(st.just("valid"), st.just("valid"), st.just("valid"), _hostile_credentials(target)),
        content_type=st.sampled_from(["application/json"] * 4 + ["text/plain", "application/x-www-form-urlencoded"]),
        extra=extra_headers,
    )
    # The reported inputs, always tried first: a lone surrogate and 100,000 nested arrays, on create and update.
    @example(method="post", which="registered", hostile_id="", changes={"client_name": "\ud800"}, raw=None,
             authorization="valid", content_type="application/json", extra={})
    @example(method="put", which="registered", hostile_id="", changes={"client_name": "\ud800"}, raw=None,
             authorization="valid", content_type="application/json", extra={})
    @example(method="post", which="registered", hostile_id="", changes={}, raw=_deep(100_000).encode(),
             authorization="valid", content_type="application/json", extra={})
    @example(method="put", which="registered", hostile_id="", changes={}, raw=_deep(100_000).encode(),
             authorization="valid", content_type="application/json", extra={})
    @example(method="post", which="registered", hostile_id="", changes={"client_name": "a\x00b"}, raw=None,
             authorization="valid", content_type="text/plain", extra={})
    def run(method, which, hostile_id, changes, raw, authorization, content_type, extra):
        if method == "post":
            path, valid_authorization = DCR, f"Bearer {target['iat']}"
            document = {**VALID_METADATA, **changes}
        else:
            client_id = {"registered": target["client_id"], "missing": "no-such-client", "hostile": hostile_id}[which]
            if method == "delete" and which == "registered":  # delete a client of its own, keep the shared one
                created = http.post(DCR, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {target['iat']}")
                client_id = created.json()["client_id"]
            path, valid_authorization = f"{DCR}/{_encode(client_id)}", f"Bearer {target['access']}"
            document = {**VALID_METADATA, "client_id": client_id, **changes}
        body = raw if raw is not None else _json_text(document).encode()
        authorization = valid_authorization if authorization == "valid" else authorization
        response = _send(http, method, path, None if method == "get" else body, content_type, authorization, extra)
        _assert_no_5xx(response, method, path, body, authorization, extra)

    run()


# --- discovery, keys, the realm document ----------------------------------------------------------


def test_discovery_and_keys_never_answer_5xx(target, http):
    """Discovery, certs, the realm document and the (unserved) authorization endpoint under hostile names and headers."""

    @FUZZ
    @given(
        realm=st.one_of(st.sampled_from([REALM, "master", "missing"]), hostile_text),
        tail=st.sampled_from(["", "/.well-known/openid-configuration", "/protocol/openid-connect/certs", "/protocol/openid-connect/auth"]),
        query=st.one_of(st.just(""), st.dictionaries(hostile_text, hostile_text, max_size=2).map(lambda q: "?" + _form_body(q).decode())),
        extra=st.dictionaries(st.sampled_from(["HOST", "X_FORWARDED_PROTO", "USER_AGENT", "ACCEPT"]), header_text, max_size=2),
        method=st.sampled_from(["get", "get", "post", "head", "options", "delete"]),
    )
    def run(realm, tail, query, extra, method):
        path = f"/realms/{_encode(realm)}{tail}{query}"
        response = _send(http, method, path, None, "", None, extra)
        _assert_no_5xx(response, method, path, extra)

    run()


# --- HTTP Basic of any bytes ----------------------------------------------------------------------


def test_basic_header_of_any_bytes_never_answers_5xx(target, http):
    """``Authorization: Basic`` carrying nothing, any bytes (``/w==`` is 0xFF) or non-ASCII text, where it is read."""

    @FUZZ
    @given(
        endpoint=st.sampled_from(["token", "token/introspect", "logout"]),
        authorization=st.one_of(st.binary(max_size=24).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
                                header_text.map(lambda s: f"Basic {s}")),
    )
    @example(endpoint="token", authorization="Basic /w==")
    @example(endpoint="token", authorization="Basic ")
    @example(endpoint="logout", authorization="Bearer ")
    @example(endpoint="token/introspect", authorization="Basic é")
    def run(endpoint, authorization):
        response = http.post(f"{OIDC}/{endpoint}", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=authorization)
        _assert_no_5xx(response, endpoint, authorization)

    run()


# --- client_secret_jwt assertions signed with the right secret --------------------------------------

# Number literals as a hostile client writes them into the claims text: json.loads reads the first
# six as float("inf"), float("-inf") or NaN; the long one is past Python's digit limit for int().
RAW_NUMBERS = ["1e999", "-1e999", "Infinity", "-Infinity", "NaN", "1" + "0" * 5000, "1e308", "-0.0", "1.5", "4102444800.9"]
CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]


def _signed(header: dict, claims: dict, raw: dict[str, str]) -> str:
    """A compact JWS signed with the client's secret; ``raw`` claims go in as literal JSON text."""
    from joserfc import jws
    from joserfc.jwk import OctKey

    text = json.dumps({**claims, **{name: f"\x00raw:{name}" for name in raw}}, ensure_ascii=True)
    for name, literal in raw.items():
        text = text.replace(json.dumps(f"\x00raw:{name}"), literal)
    return jws.serialize_compact(header, text.encode(), OctKey.import_key(SECRET), algorithms=[header["alg"]])


@pytest.fixture
def jwt_client(target):
    from realms.models import Realm

    return ClientFactory(realm=Realm.objects.get(name=REALM), client_id="jwt", service_accounts_enabled=True,
                         client_authenticator_type="client-secret-jwt", secret=SECRET)


def test_signed_client_assertions_never_answer_5xx(jwt_client, http):
    """A correctly signed assertion whose claims are fuzzed (huge, infinite and NaN numbers, nested
    JSON, wrong types): the signature passes, so the claims themselves are parsed and judged."""
    from realms import clock

    def send(endpoint, claims, raw, alg="HS256", client_id=None):
        form = {"grant_type": "client_credentials", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": _signed({"alg": alg}, claims, raw), "token": "x"}
        if client_id is not None:
            form["client_id"] = client_id
        return http.post(f"{OIDC}/{endpoint}", _form_body(form), content_type="application/x-www-form-urlencoded")

    def valid_claims():
        now = clock.epoch()
        return {"iss": "jwt", "sub": "jwt", "aud": f"http://testserver/realms/{REALM}", "exp": now + 60, "iat": now,
                "jti": os.urandom(8).hex()}

    @FUZZ
    @given(
        changes=st.dictionaries(st.sampled_from(CLAIMS), json_values, max_size=3),
        raw=st.dictionaries(st.sampled_from(["exp", "iat", "nbf", "jti", "aud"]), st.sampled_from(RAW_NUMBERS), max_size=2),
        drop=st.sets(st.sampled_from(CLAIMS), max_size=1),
        alg=st.sampled_from(["HS256", "HS256", "HS384", "HS512"]),
        endpoint=st.sampled_from(["token", "token", "token/introspect"]),
        client_id=st.sampled_from([None, "jwt", "svc"]),
    )
    # The reported 500: exp, iat or nbf of 1e999 or Infinity.
    @example(changes={}, raw={"exp": "1e999"}, drop=set(), alg="HS256", endpoint="token", client_id=None)
    @example(changes={}, raw={"iat": "Infinity"}, drop=set(), alg="HS256", endpoint="token", client_id=None)
    @example(changes={}, raw={"nbf": "-1e999"}, drop=set(), alg="HS256", endpoint="token/introspect", client_id="jwt")
    @example(changes={"exp": float("inf")}, raw={}, drop=set(), alg="HS256", endpoint="token", client_id=None)
    def run(changes, raw, drop, alg, endpoint, client_id):
        claims = {k: v for k, v in {**valid_claims(), **changes}.items() if k not in drop and k not in raw}
        _assert_no_5xx(send(endpoint, claims, raw, alg, client_id), endpoint, claims, raw, alg)

    # The strategy's starting point is an assertion the endpoint accepts: the fuzzed claims are judged.
    assert send("token", valid_claims(), {}).status_code == 200
    run()
