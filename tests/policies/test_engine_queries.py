"""The engine's cost in queries is flat in the number of policies and of clients.

A token request (client_credentials), a Re-generate (Admin API and console) and a client update
(Admin API PUT), through Django's test client, make exactly the same queries with 1 and with 200
enabled client-roles policies, in a realm of 10 and of 200 clients: the policies cost one query,
the realm's configuration version, when the worker built its set from that version already (none
on the token path, where the per-worker cache holds them), and one read of the client's roles,
shared by every trigger of the request. Outside a transaction,
where the per-worker client cache answers, the token path reads the roles with the client's
rows on a miss only: a steady token request makes no query at all.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, ClientSecret
from oidc import client_cache
from policies.models import ClientPolicy
from realms.services import realm_create
from tests.api.conftest import Api, password_token
from tests.factories import ClientFactory, ClientRoleFactory, policy_make, profile_make
from tests.waiting import NOTIFIED

pytestmark = pytest.mark.django_db

SECRET = "S3cretValueOfThirtyTwoCharacters"
T0 = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)
TOKEN = "/realms/acme/protocol/openid-connect/token"
ROTATION = {"expiration-period": "3600", "rotated-expiration-period": "600", "remaining-rotation-period": "1800"}
# What the engine reads: the policy and profile tables, and the client's roles (its one fact).
ENGINE_TABLES = ('"policies_client', '"policies_configversion"', '"clients_clientrole"')


def _captured(send) -> tuple[list[str], object]:
    with CaptureQueriesContext(connection) as ctx:
        response = send()
    return [q["sql"] for q in ctx.captured_queries], response


def _engine(queries: list[str]) -> list[str]:
    return [sql for sql in queries if any(table in sql for table in ENGINE_TABLES)]


def _clients_add(realm, count: int) -> None:
    start = Client.objects.filter(realm=realm, client_id__startswith="bulk-").count()
    Client.objects.bulk_create([Client(realm=realm, client_id=f"bulk-{i:04}") for i in range(start, start + count)])


def _misses_add(realm, count: int) -> None:
    """Client-roles policies naming roles no client has, each with the rotation profile."""
    start = ClientPolicy.objects.filter(realm=realm, name__startswith="miss-").count()
    for i in range(start, start + count):
        policy_make(realm, f"miss-{i}", [("client-roles", {"roles": [f"role-{i}", f"other-{i}"]})], ["rotation"])


@pytest.fixture
def scenario(client, master, admin_user):
    """A realm whose one policy rotates the secrets of clients with the role ``rotate``."""
    with time_machine.travel(T0, tick=False):
        realm = realm_create(name="acme", access_token_lifespan=300)
        profile_make(realm, "rotation", [("secret-rotation", ROTATION)])
        policy_make(realm, "rotate", [("client-roles", {"roles": ["rotate"]})], ["rotation"])
        _clients_add(realm, 10)
        api = Api(client, password_token(client, admin_user.username))
        yield realm, api


def _measure(realm, api, client, admin_user, label: str) -> dict[str, list[str]]:
    """Every operation once on a fresh client with the role ``rotate`` (so the policy applies)."""
    subject = ClientFactory(realm=realm, client_id=f"svc-{label}", service_accounts_enabled=True, secret=SECRET)
    ClientRoleFactory(client=subject, name="rotate")
    form = {"grant_type": "client_credentials", "client_id": subject.client_id, "client_secret": SECRET}
    assert client.post(TOKEN, form).status_code == 200  # the per-worker caches are warm from here on
    counted = {}
    counted["token"], response = _captured(lambda: client.post(TOKEN, form))
    assert response.status_code == 200, response.content
    path = f"/admin/realms/acme/clients/{subject.pk}"
    counted["api regenerate"], response = _captured(lambda: api.post(f"{path}/client-secret"))
    assert response.status_code == 200, response.content
    client.force_login(admin_user)
    console = reverse("client-secret-regenerate", kwargs={"realm": "acme", "id": subject.pk})
    counted["console regenerate"], response = _captured(lambda: client.post(console))
    assert response.status_code == 302, response.content
    counted["api update"], response = _captured(lambda: api.put(path, {"description": f"updated {label}"}))
    assert response.status_code == 204, response.content
    # The policy applied each time: the Re-generates rotated, the update kept the rotation.
    assert ClientSecret.objects.filter(client=subject).count() == 2
    client.logout()
    return counted


def test_queries_do_not_grow_with_policies_or_clients(scenario, client, admin_user):
    realm, api = scenario
    runs = {}
    with time_machine.travel(T0, tick=False):
        runs["1 policy, 10 clients"] = _measure(realm, api, client, admin_user, "a")
        _misses_add(realm, 199)
        runs["200 policies, 10 clients"] = _measure(realm, api, client, admin_user, "b")
        _clients_add(realm, 190)
        runs["200 policies, 200 clients"] = _measure(realm, api, client, admin_user, "c")
        ClientPolicy.objects.filter(name__startswith="miss-").delete()
        runs["1 policy, 200 clients"] = _measure(realm, api, client, admin_user, "d")

    first = runs["1 policy, 10 clients"]
    for label, counted in runs.items():
        for operation, queries in counted.items():
            assert len(queries) == len(first[operation]), (label, operation, queries)
    # The engine's share, exactly: the token path reads the client's roles once (its policies
    # come from the per-worker cache); an admin operation reads the realm's configuration version
    # once per request (the worker built the set from it already) and the roles once, although the
    # update fires UPDATE and UPDATED.
    engine = {operation: len(_engine(queries)) for operation, queries in first.items()}
    assert engine == {"token": 1, "api regenerate": 2, "console regenerate": 2, "api update": 2}
    for operation in ("api regenerate", "console regenerate", "api update"):
        assert sum('"policies_configversion"' in sql for sql in first[operation]) == 1
        assert not any('"policies_client' in sql for sql in first[operation])
    assert sum('"clients_clientrole"' in sql for sql in first["api update"]) == 1


def test_the_token_path_pays_one_query_for_any_number_of_client_roles_policies(scenario, client):
    """Against no policy at all: the token request costs the roles read, and nothing else."""
    realm, _api = scenario
    ClientPolicy.objects.all().delete()
    subject = ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret=SECRET)
    ClientRoleFactory(client=subject, name="unrelated")
    form = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET}
    counts = {}
    with time_machine.travel(T0, tick=False):
        for policies in (0, 1, 200):
            _misses_add(realm, policies - ClientPolicy.objects.filter(realm=realm).count())
            assert client.post(TOKEN, form).status_code == 200
            queries, response = _captured(lambda: client.post(TOKEN, form))
            assert response.status_code == 200
            counts[policies] = (len(queries), len(_engine(queries)))
    assert counts[1] == counts[200] == (counts[0][0] + 1, 1)
    assert counts[0][1] == 0  # no condition needs the roles: they are not read


@pytest.mark.django_db(transaction=True)
def test_with_the_client_cache_a_steady_token_request_makes_no_query_for_any_number_of_policies(client):
    """Committed rows, so the per-worker client cache is on: it carries the client's role names."""
    client_cache.close()
    try:
        with time_machine.travel(T0, tick=False):
            realm = realm_create(name="acme", access_token_lifespan=300)
            profile_make(realm, "rotation", [("secret-rotation", ROTATION)])
            subject = ClientFactory(realm=realm, client_id="svc", service_accounts_enabled=True, secret=SECRET)
            ClientRoleFactory(client=subject, name="unrelated")
            form = {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET}
            counts = {}
            for policies in (0, 200):
                _misses_add(realm, policies - ClientPolicy.objects.filter(realm=realm).count())
                assert client.post(TOKEN, form).status_code == 200
                client_cache.sync(timeout=NOTIFIED)  # the first grant's last_used_time write drops the entry
                assert client.post(TOKEN, form).status_code == 200
                queries, response = _captured(lambda: client.post(TOKEN, form))
                assert response.status_code == 200
                counts[policies] = queries
        assert counts == {0: [], 200: []}
    finally:
        client_cache.close()  # the next test's database must not see this one's listener
