"""No request pins a worker: wildcard filters run as SQL LIKE, list sizes are capped.

``resourcePath=**********Z`` used to become the regular expression ``^.*.*.*…Z$``, which takes
exponential time on a long path that does not end in ``Z``. It is now a LIKE pattern (GLOB on
SQLite, for case), which the database matches without backtracking. ``max`` is clamped to
``MAX_RESULTS``; negative ``first``/``max`` are refused with 400.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.signals import SECRET_COMPROMISED, SECRET_ROTATED
from realms.actor import Actor
from realms.events import admin_event_record
from realms.models import AdminEvent, LoginEvent
from realms.selectors import MAX_RESULTS, admin_event_list, like_to_glob, wildcard_to_like
from tests.factories import ClientFactory
from tests.realms.test_events_api import URL, token_for

pytestmark = pytest.mark.django_db

LONG = "clients/" + "a" * 1000


@pytest.fixture
def api(client, admin_user, master):
    from oidc import keys

    keys.cache_forget_realm(master.pk)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(client)}"}
    return lambda path, **params: client.get(path, params, **auth)


def record(realm, path):
    return admin_event_record(realm=realm, operation="UPDATE", resource_type="CLIENT", resource_path=path, actor=Actor())


def paths(api, **params) -> list[str]:
    response = api(URL, **params)
    assert response.status_code == 200, response.content
    return sorted(event["resourcePath"] for event in response.json())


def test_translation_escapes_like_metacharacters():
    assert wildcard_to_like("clients/*") == "clients/%"
    assert wildcard_to_like("**********Z") == "%Z"  # a run of stars is one wildcard
    assert wildcard_to_like("a%b_c\\d*") == "a\\%b\\_c\\\\d%"
    assert like_to_glob(wildcard_to_like("a%b_c\\d?[e*")) == "a[%]b[_]c[\\]d[?][[]e*"


def test_pathological_pattern_is_one_like_and_matches_right(api, master):
    record(master, LONG)
    record(master, LONG + "Z")
    record(master, "Z")
    with CaptureQueriesContext(connection) as queries:
        found = paths(api, resourcePath="**********Z")
    assert found == sorted([LONG + "Z", "Z"])
    (event_query,) = [q["sql"] for q in queries.captured_queries if "realms_adminevent" in q["sql"]]
    assert "REGEXP" not in event_query.upper() and "~" not in event_query
    assert (" GLOB " if connection.vendor == "sqlite" else " LIKE ") in event_query


def test_literal_percent_underscore_and_backslash_match_only_themselves(api, master):
    for path in ("clients/50%off", "clients/50Xoff", "clients/a_b", "clients/aXb", "clients/x\\y", "clients/xy"):
        record(master, path)
    assert paths(api, resourcePath="clients/50%*") == ["clients/50%off"]
    assert paths(api, resourcePath="*a_b") == ["clients/a_b"]
    assert paths(api, resourcePath="clients/x\\*") == ["clients/x\\y"]
    assert paths(api, resourcePath="*?*") == []  # no GLOB wildcard either
    assert paths(api, resourcePath="*50%off") == ["clients/50%off"]


def test_wildcard_is_case_sensitive(api, master):
    record(master, "clients/Upper")
    record(master, "clients/upper")
    assert paths(api, resourcePath="*/Upper") == ["clients/Upper"]
    assert paths(api, resourcePath="CLIENTS/*") == []


def test_long_query_parameters_are_refused_in_keycloak_shape(api, master):
    for params in ({"resourcePath": "*" * 1025}, {"authUser": "u" * 256}, {"operationTypes": ",".join(["CREATE"] * 51)},
                   {"resourceTypes": "C" * 256}):
        response = api(URL, **params)
        assert response.status_code == 400, params
        assert response.json()["error"] == "invalid_request"
        assert response.json()["error_description"].startswith("Invalid value for parameter '")


def test_max_is_clamped_on_events(api, master):
    AdminEvent.objects.bulk_create(
        [AdminEvent(realm=master, time=i, operation_type="UPDATE", resource_type="CLIENT", resource_path=f"p{i}")
         for i in range(MAX_RESULTS + 5)]
    )
    assert len(api(URL, max=str(2**31 - 1)).json()) == MAX_RESULTS
    assert len(api(URL).json()) == 100
    assert len(admin_event_list(realm=master, first=0, limit=10**9)) == MAX_RESULTS
    LoginEvent.objects.bulk_create(
        [LoginEvent(realm=master, time=i, type=LoginEvent.CLIENT_LOGIN_ERROR, client_id="x") for i in range(MAX_RESULTS + 5)]
    )
    assert len(api("/admin/realms/master/events", max="5000").json()) == MAX_RESULTS


@pytest.mark.parametrize("path", ["/admin/realms/master/admin-events", "/admin/realms/master/events",
                                  "/admin/realms/master/clients", "/admin/realms/master/webhooks", "/admin/realms"])
@pytest.mark.parametrize("param", ["first", "max"])
def test_negative_first_or_max_is_400(api, master, path, param):
    response = api(path, **{param: "-1"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": f"Invalid value for parameter '{param}'"}


def test_max_is_clamped_on_clients_and_roles(api, master):
    """Without ``max``, at most MAX_RESULTS rows too (Keycloak answers every row: docs/differences.md)."""
    from clients.models import Client, ClientRole

    Client.objects.bulk_create([Client(realm=master, client_id=f"bulk-{i:05d}") for i in range(MAX_RESULTS + 5)])
    with CaptureQueriesContext(connection) as queries:
        everything = api("/admin/realms/master/clients").json()
    assert len(everything) == MAX_RESULTS
    # The database itself reads at most MAX_RESULTS clients (their secrets follow in one query).
    [read] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "clients_client"."id"')]
    assert read.endswith(f"LIMIT {MAX_RESULTS}")
    assert len(api("/admin/realms/master/clients", max="100000").json()) == MAX_RESULTS
    assert len(api("/admin/realms/master/clients", first="3", max="2").json()) == 2
    # first still pages past the cap: the last page holds the rest.
    total = Client.objects.filter(realm=master).count()
    assert len(api("/admin/realms/master/clients", first=str(MAX_RESULTS)).json()) == total - MAX_RESULTS

    owner = ClientFactory(realm=master, client_id="with-roles")
    ClientRole.objects.bulk_create([ClientRole(client=owner, name=f"role-{i:05d}") for i in range(MAX_RESULTS + 5)])
    url = f"/admin/realms/master/clients/{owner.pk}/roles"
    assert len(api(url).json()) == MAX_RESULTS
    roles = api(url, max="100000")
    assert roles.status_code == 200 and len(roles.json()) == MAX_RESULTS
    assert [r["name"] for r in api(url, first=str(MAX_RESULTS)).json()] == [f"role-{i:05d}" for i in range(MAX_RESULTS, MAX_RESULTS + 5)]


def test_initial_access_token_list_is_capped(api, master):
    from oidc.models import InitialAccessToken

    InitialAccessToken.objects.bulk_create(
        [InitialAccessToken(realm=master, digest=f"{i:064x}", created=i) for i in range(MAX_RESULTS + 5)]
    )
    listed = api("/admin/realms/master/clients-initial-access")
    assert listed.status_code == 200
    assert len(listed.json()) == MAX_RESULTS
    assert listed.json()[0]["timestamp"] == MAX_RESULTS + 4  # newest first: the oldest are left out


@pytest.mark.parametrize("name", ["events", "events-user"])
def test_console_events_pages_refuse_an_absurd_first(admin_client, master, name):
    response = admin_client.get(reverse(name, kwargs={"realm": "master"}), {"first": str(10**20)})
    assert response.status_code == 400


def _read(queries, table: str) -> str:
    [read] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]
    return read


def test_max_is_clamped_on_webhooks(api, master):
    """Oldest first, at most MAX_RESULTS also without ``max``; ``first`` pages past the cap."""
    import datetime as dt

    from webhooks.models import WebhookEndpoint

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    WebhookEndpoint.objects.bulk_create(
        [WebhookEndpoint(realm=master, url=f"https://93.184.215.14/{i:05d}", event_types=[SECRET_ROTATED],
                         secret_encrypted="x", created_at=start + dt.timedelta(seconds=i)) for i in range(MAX_RESULTS + 5)]
    )
    url = "/admin/realms/master/webhooks"
    with CaptureQueriesContext(connection) as queries:
        everything = api(url)
    assert everything.status_code == 200 and len(everything.json()) == MAX_RESULTS
    assert _read(queries, "webhooks_webhookendpoint").endswith(f"LIMIT {MAX_RESULTS}")
    assert len(api(url, max="100000").json()) == MAX_RESULTS
    assert [w["url"][-5:] for w in api(url, first="3", max="2").json()] == ["00003", "00004"]
    assert [w["url"][-5:] for w in api(url, first=str(MAX_RESULTS)).json()] == [f"{i:05d}" for i in range(MAX_RESULTS, MAX_RESULTS + 5)]


def test_max_is_clamped_on_realms(api, master):
    from realms.models import Realm

    Realm.objects.bulk_create([Realm(name=f"bulk-{i:05d}") for i in range(MAX_RESULTS + 5)])
    with CaptureQueriesContext(connection) as queries:
        everything = api("/admin/realms")
    assert everything.status_code == 200 and len(everything.json()) == MAX_RESULTS
    assert _read(queries, "realms_realm").endswith(f"LIMIT {MAX_RESULTS}")
    assert len(api("/admin/realms", max="100000").json()) == MAX_RESULTS
    # By name: bulk-00000 … bulk-01004, then master.
    assert [r["realm"] for r in api("/admin/realms", first="3", max="2").json()] == ["bulk-00003", "bulk-00004"]
    rest = api("/admin/realms", first=str(MAX_RESULTS)).json()
    assert [r["realm"] for r in rest] == [f"bulk-{i:05d}" for i in range(MAX_RESULTS, MAX_RESULTS + 5)] + ["master"]


def test_the_webhooks_cap_leaves_no_subscribed_webhook_without_its_delivery(api, master, monkeypatch):
    """The API and console lists stop at the cap; an event still reaches every subscribed webhook."""
    from realms import selectors as realm_selectors
    from webhooks import services as webhook_services
    from webhooks.models import WebhookEndpoint

    monkeypatch.setattr(realm_selectors, "MAX_RESULTS", 2)
    for i in range(3):
        webhook_services.webhook_create(realm=master, url=f"https://93.184.215.14/{i}", event_types=[SECRET_ROTATED], actor=Actor())
    WebhookEndpoint.objects.create(realm=master, url="https://93.184.215.14/off", enabled=False, event_types=[SECRET_ROTATED],
                                   secret_encrypted="x")
    assert len(api("/admin/realms/master/webhooks").json()) == 2
    deliveries = webhook_services.deliveries_create(realm=master, event_type=SECRET_ROTATED, data={"realm": "master"})
    assert sorted(d.endpoint.url[-1] for d in deliveries) == ["0", "1", "2"]
    assert webhook_services.deliveries_create(realm=master, event_type=SECRET_COMPROMISED, data={"realm": "master"}) == []
