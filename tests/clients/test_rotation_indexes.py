"""The reads that must stay fast at 100,000 clients walk indexes (``bench/console.py`` times them):
the Secret rotation page's first page sorted by expiry reads the (kind, expiration_time) index in
order, the rotated secrets in use are a range of the (kind, last_used_time, ...) index with a
lookup per secret (clients 0012), and a Client ID substring search uses the trigram index on
PostgreSQL (clients 0007)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from clients import rotation, selectors
from clients import secrets as secret_store
from clients.models import Client, SecretExpiryCount
from tests.factories import client_secrets_make

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
T0 = 1_780_000_000
DAY = 86400

pytestmark = pytest.mark.django_db


def plan(queryset, *, ordered: bool = False) -> str:
    return plan_sql(*queryset.query.sql_with_params(), ordered=ordered)


def plan_sql(sql: str, params, *, ordered: bool = False) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows: without this the planner rightly prefers reading the whole table.
            cursor.execute("SET LOCAL enable_seqscan = off")
            if ordered:
                # Nor, with a handful of rows (and statistics that earlier tests leave behind), does
                # it need an index to sort them; at 100,000 it must read the order from one.
                cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.fixture
def clients(realm):
    for i in range(30):
        client_secrets_make(realm, f"app-{i:03}", created=T0 - DAY, expires=T0 + i * DAY if i % 5 else None,
                            rotated_expires=T0 + DAY if i % 3 == 0 else None, rotated_last_used=T0 - 60)
    return realm


@pytest.mark.parametrize("order", [rotation.ORDER_EXPIRES, rotation.ORDER_EXPIRES_DESC])
def test_first_page_by_expiry_walks_the_expiry_index(clients, order):
    rows = rotation.client_secrets_list(realm=clients, now=T0, filters=rotation.SecretsFilter(order=order))
    dated = rows.parts[0]
    text = plan(dated[:10], ordered=True)
    assert "clientsecret_kind_expiry" in text, text
    # And the page it gives is the full order's first page.
    assert [row["client_id"] for row in rows[0:10]] == [row["client_id"] for row in list(rows)[:10]]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the trigram index is PostgreSQL's (runs in the PostgreSQL pass of make test)")
def test_client_id_search_uses_the_trigram_index(clients):
    """The index is on the very expression Django writes for ``icontains``. (With 30 rows the
    planner prefers the realm index for the whole query; at 100,000 it takes this one.)"""
    text = plan(Client.objects.filter(client_id__icontains="app-01"))
    assert "clients_client_client_id_trgm" in text, text
    assert [c.client_id for c in selectors.client_list(realm=clients, search="APP-01")] == [f"app-01{i}" for i in range(10)]


def test_summary_reads_index_ranges_not_every_client(clients):
    """The summary's cuts read one day of the (kind, expiration_time) index each; the rest comes from
    the per-realm day counts (clients 0011). (The rotated secrets in use are a range of the same
    index at 100,000 clients; with 30 the planner rightly starts from the realm's clients.)"""
    cut = T0 + 7 * DAY + 1
    if connection.vendor == "postgresql":
        # Statistics of these 30 rows (earlier tests leave others behind): with stale ones the
        # planner may take the (kind, created) index and filter, a coin toss at this size.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE clients_clientsecret")
    assert "clientsecret_kind_expiry" in plan(secret_store.current_secrets_expiring_between(realm=clients, start=cut - cut % DAY, end=cut))
    # The day counts: a few rows per realm, whatever the number of clients.
    assert SecretExpiryCount.objects.filter(realm=clients).count() <= 30


def test_rotated_in_use_count_reads_rotated_secrets_only(clients):
    """A range of the rotated secrets by last use (the index has what the rule reads: no table
    row), then one lookup of each one's current secret and client: no join that reads every
    current secret. The current secret's creation time comes from the (client, kind,
    created_time) index, not the table."""
    sql, params = secret_store.rotated_secrets_used_count_sql(realm=clients, used_since=rotation._recent_from(T0), now=T0)
    text = plan_sql(sql, params)
    if ON_POSTGRESQL:
        # With 30 rows (and statistics earlier tests leave behind) either range over the rotated
        # secrets will do; at 100,000 it is the (kind, last_used_time, ...) one (bench/console.py).
        lines = text.splitlines()
        scan = next(i for i, line in enumerate(lines) if " on clients_clientsecret r " in line)
        assert "Index" in lines[scan] and "'rotated'" in lines[scan + 1], text
        # Each current secret is looked up by index (with 30 rows the planner may take any of
        # the secret indexes for it; at 100,000 it is the (client, kind, created_time) one).
        current = next(i for i, line in enumerate(lines) if " on clients_clientsecret c" in line)
        assert "Index" in lines[current], text
        assert "Hash" not in text and "Seq Scan" not in text, text
    else:
        assert "COVERING INDEX clientsecret_kind_used (kind=? AND last_used_time>?)" in text, text
        assert "COVERING INDEX clientsecret_kind_created (client_id=? AND kind=?)" in text, text
        assert "SCAN " not in text.replace("SCAN CONSTANT ROW", ""), text
    assert rotation.client_secrets_summary(realm=clients, now=T0).rotated_in_use == 10


@pytest.mark.parametrize("order", [rotation.ORDER_EXPIRES, rotation.ORDER_EXPIRES_DESC])
def test_a_search_starts_from_the_clients_not_the_expiry_order(clients, order):
    """A search keeps few clients: the rows are those clients' sorted, not a walk of the expiry
    index filtered by the search (which reads every dated secret when the matches are few)."""
    filters = rotation.SecretsFilter(search="app-01", order=order)
    rows = rotation.client_secrets_list(realm=clients, now=T0, filters=filters)
    text = plan(rows.parts[0][:10])
    if ON_POSTGRESQL:
        # A sort of the matches, not a walk of the expiry index in order (with 30 rows the planner
        # may start from either table; at 100,000 it starts from the trigram index).
        assert "Sort Key" in text, text
    else:
        assert text.splitlines()[0].startswith("SEARCH clients_client "), text
        assert "clientsecret_kind_expiry" not in text and "TEMP B-TREE FOR ORDER BY" in text, text
    # The same rows as the whole order's (dated by expiry, then undated), the matches only.
    assert [row["client_id"] for row in rows[0:10]] == [row["client_id"] for row in list(rows)][:10]
    assert len(list(rows)) == 10
