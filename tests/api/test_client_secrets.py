"""GET /admin/realms/{realm}/client-secrets and .../client-secrets/summary: every field, every
filter, pagination, bad parameters, permissions, the OpenAPI description, constant queries."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client, ClientSecret
from tests.api.conftest import Api, compact, password_token
from tests.clients.test_secret_rotation_page import DAY, EXPECTED, T0, seed
from tests.conftest import make_user
from tests.factories import RealmFactory, client_secrets_make

BASE = "/admin/realms/acme/client-secrets"
FIELDS = {"id", "clientId", "status", "expiresAt", "rotatedExpiresAt", "lastUsedAt", "useCount",
          "rotatedLastUsedAt", "rotatedUseCount"}


@pytest.fixture
def at_t0():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def realm(db):
    return RealmFactory(name="acme")


@pytest.fixture
def seeded(realm):
    seed(realm)
    return realm


@pytest.fixture
def api(at_t0, client, master, admin_user):
    """The bootstrap administrator's token, issued at T0 (the clock the answers are computed at)."""
    return Api(client, password_token(client, admin_user.username))


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["clientId"] for row in response.json()]


def test_every_field(seeded, api):
    rows = {row["clientId"]: row for row in api.get(BASE).json()}
    assert sorted(rows) == sorted(EXPECTED)
    assert all(set(row) == FIELDS for row in rows.values())
    assert {k: row["status"] for k, row in rows.items()} == EXPECTED
    used = rows["rotated-used"]
    client_id = used.pop("id")
    assert used == {
        "clientId": "rotated-used", "status": "expiring", "expiresAt": T0 + 10 * DAY, "rotatedExpiresAt": T0 + 3600,
        "lastUsedAt": T0 - 30, "useCount": 3, "rotatedLastUsedAt": T0 - 60, "rotatedUseCount": 42,
    }
    # id is the client's id in the URL sense.
    assert api.get(f"/admin/realms/acme/clients/{client_id}").json()["clientId"] == "rotated-used"
    # Absent times and a missing rotated secret are null; never a secret.
    assert rows["soon-1"] | {"id": None} == {
        "id": None, "clientId": "soon-1", "status": "expiring", "expiresAt": T0 + DAY, "rotatedExpiresAt": None,
        "lastUsedAt": None, "useCount": 0, "rotatedLastUsedAt": None, "rotatedUseCount": None,
    }
    assert rows["never-0"]["expiresAt"] is None and rows["never-1"]["expiresAt"] is None
    assert rows["expired-1"]["lastUsedAt"] == T0 - 200 and rows["expired-1"]["useCount"] == 7
    assert rows["rotated-idle"]["rotatedUseCount"] == 5
    body = api.get(BASE).content.decode()
    assert "secret\"" not in body and "rotated-rotated" not in body


def test_sorted_by_expiry_soonest_first(seeded, api):
    listed = ids(api.get(BASE))
    assert listed[:3] == ["expired-2", "expired-1", "soon-now"]
    assert listed[-3:] == ["never-0", "never-1", "rotated-expired"]


@pytest.mark.parametrize("status", ["expired", "expiring", "active", "no-expiry"])
def test_status_filter(seeded, api, status):
    assert sorted(ids(api.get(BASE, {"status": status}))) == sorted(k for k, v in EXPECTED.items() if v == status)


def test_expires_before_search_and_pagination(seeded, api):
    assert ids(api.get(BASE, {"expiresBefore": T0 + DAY})) == ["expired-2", "expired-1", "soon-now"]
    assert ids(api.get(BASE, {"expiresBefore": T0 + DAY, "status": "expiring"})) == ["soon-now"]
    assert ids(api.get(BASE, {"expiresBefore": 0})) == []
    assert sorted(ids(api.get(BASE, {"search": "ROTATED"}))) == ["rotated-expired", "rotated-idle", "rotated-used"]
    assert ids(api.get(BASE, {"search": "nothing-like-it"})) == []
    everything = ids(api.get(BASE))
    assert ids(api.get(BASE, {"first": 2, "max": 3})) == everything[2:5]
    assert ids(api.get(BASE, {"first": 12})) == everything[12:]
    assert ids(api.get(BASE, {"max": 0})) == []


def test_max_defaults_to_100_and_is_capped_at_1000(realm, api):
    # Bulk rows (the listing never reads a secret's value, so none is encrypted).
    clients = Client.objects.bulk_create(Client(realm=realm, client_id=f"bulk-{i:04}") for i in range(1001))
    ClientSecret.objects.bulk_create(
        ClientSecret(client=c, kind=ClientSecret.CURRENT, value_encrypted="-", created_time=T0, expiration_time=T0 + DAY + i)
        for i, c in enumerate(clients)
    )
    assert len(api.get(BASE).json()) == 100
    assert len(api.get(BASE, {"max": 5000}).json()) == 1000
    assert ids(api.get(BASE, {"max": 5000, "first": 1000})) == ["bulk-1000"]


def test_summary(seeded, api):
    response = api.get(f"{BASE}/summary")
    assert response.status_code == 200
    assert response.content == compact({
        "total": 13, "expired": 2, "expiringWithin7Days": 2, "expiringWithin30Days": 5, "noExpiry": 3, "rotatedInUse": 1,
    })


def test_summary_follows_the_clock(seeded, client, master, admin_user):
    # Two hours on: rotated-used's rotated secret has expired, and so has soon-now's secret (soon-1's
    # expires a day after T0).
    with time_machine.travel(T0 + 7200, tick=False):
        api = Api(client, password_token(client, admin_user.username))
        body = api.get(f"{BASE}/summary").json()
    assert body["rotatedInUse"] == 0
    assert body["expired"] == 3


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "bogus"}, "status"),
        ({"expiresBefore": "soon"}, "expiresBefore"),
        ({"expiresBefore": -1}, "expiresBefore"),
        ({"first": -1}, "first"),
        ({"max": -1}, "max"),
        ({"max": "ten"}, "max"),
        ({"search": "x" * 256}, "search"),
    ],
)
def test_bad_parameters_are_400(seeded, api, params, name):
    response = api.get(BASE, params)
    assert response.status_code == 400
    assert response.content == compact({"error": "invalid_request", "error_description": f"Invalid value for parameter '{name}'"})


def test_permissions(seeded, at_t0, client, master, django_user_model):
    for path in (BASE, f"{BASE}/summary"):
        anonymous = client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.content == compact({"error": "HTTP 401 Unauthorized"})
    make_user(django_user_model, "realm-viewer", ["view-realm"])
    make_user(django_user_model, "clients-viewer", ["view-clients"])
    outsider = Api(client, password_token(client, "realm-viewer"))
    viewer = Api(client, password_token(client, "clients-viewer"))
    for path in (BASE, f"{BASE}/summary"):
        assert outsider.get(path).status_code == 403
        assert outsider.get(path).content == compact({"error": "HTTP 403 Forbidden"})
        assert viewer.get(path).status_code == 200
    assert viewer.get("/admin/realms/nowhere/client-secrets").status_code == 404


def test_openapi_describes_both(client, db):
    doc = client.get("/admin/openapi.json").json()
    listing = doc["paths"]["/admin/realms/{realm}/client-secrets"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"status", "expiresBefore", "search", "first", "max"} <= params
    assert "/admin/realms/{realm}/client-secrets/summary" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert set(schemas["ClientSecretOverview"]["properties"]) == FIELDS
    assert set(schemas["ClientSecretsSummary"]["properties"]) == {
        "total", "expired", "expiringWithin7Days", "expiringWithin30Days", "noExpiry", "rotatedInUse"}


def test_queries_do_not_grow_with_clients(realm, api, django_assert_num_queries):
    def add(start, end):
        for i in range(start, end):
            client_secrets_make(realm, f"app-{i:03}", created=T0 - 3600, expires=T0 + i * DAY,
                                rotated_expires=T0 + 3600, rotated_last_used=T0 - 5)

    add(0, 5)
    counts = {}
    for path in (BASE, f"{BASE}/summary"):
        api.get(path)
        with CaptureQueriesContext(connection) as five:
            assert api.get(path).status_code == 200
        counts[path] = len(five.captured_queries)  # read now: the next request resets the log
    add(5, 50)
    for path, expected in counts.items():
        with django_assert_num_queries(expected):
            response = api.get(path)
        assert (len(response.json()) if path == BASE else response.json()["total"]) == 50
