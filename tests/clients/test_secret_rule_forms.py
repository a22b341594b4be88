"""The validity rule is written once, in ``clients.secrets``, in three forms: on rows and times
(``secret_expired``, ``secret_expiration_passed``), as filters (``*_q``, on the rows or on the
client queryset joined to them) and in the raw SQL of the rotated secrets in use. They give the
same answers at every edge: no expiration, 0, a negative one, a second before, at and after now."""

from __future__ import annotations

import pytest

from clients import secrets as secret_store
from clients.models import ClientSecret
from tests.factories import client_secrets_make

pytestmark = pytest.mark.django_db

NOW = 1_780_000_000
EDGES = {"none": None, "zero": 0, "negative": -5, "before": NOW - 1, "at": NOW, "after": NOW + 1}


@pytest.fixture
def rows(master):
    """One client per edge: its current secret expires at the edge, and so does its rotated
    secret, used after the rotation."""
    for name, expires in EDGES.items():
        client_secrets_make(master, f"edge-{name}", created=NOW - 100, expires=expires,
                            rotated_expires=expires, rotated=True, rotated_last_used=NOW - 10)
    return master


def expired_by_row(kind: str) -> set[str]:
    secrets = ClientSecret.objects.filter(kind=kind, client__client_id__startswith="edge-").select_related("client")
    return {s.client.client_id for s in secrets if secret_store.secret_expired(secret=s, now=NOW)}


def test_the_current_rule_as_rows_filters_and_annotations(rows):
    expired = expired_by_row(ClientSecret.CURRENT)
    assert expired == {"edge-before"}
    current = ClientSecret.objects.filter(kind=ClientSecret.CURRENT, client__realm=rows)
    by_filter = current.filter(secret_store.current_secret_expired_q(now=NOW))
    assert {s.client.client_id for s in by_filter.select_related("client")} == expired
    joined = secret_store.confidential_clients_with_secret_times(realm=rows)
    assert set(joined.filter(secret_store.current_secret_expired_q(now=NOW, field="expires"))
               .values_list("client_id", flat=True)) == expired
    # With and without an expiration: the same split as ``secret_has_expiration``.
    dated = {c for c in EDGES if secret_store.secret_has_expiration(
        secret=ClientSecret(kind=ClientSecret.CURRENT, expiration_time=EDGES[c]))}
    assert set(joined.filter(secret_store.secret_has_expiration_q(field="expires"))
               .values_list("client_id", flat=True)) == {f"edge-{c}" for c in dated}
    assert set(joined.filter(secret_store.secret_no_expiration_q(field="expires"))
               .values_list("client_id", flat=True)) == {f"edge-{c}" for c in EDGES if c not in dated}


def test_the_rotated_rule_as_rows_filters_annotations_and_sql(rows):
    expired = expired_by_row(ClientSecret.ROTATED)
    assert expired == {"edge-none", "edge-zero", "edge-negative", "edge-before"}
    valid = {f"edge-{name}" for name in EDGES} - expired
    rotated = ClientSecret.objects.filter(kind=ClientSecret.ROTATED, client__realm=rows)
    by_filter = rotated.filter(secret_store.rotated_secret_valid_q(now=NOW)).select_related("client")
    assert {s.client.client_id for s in by_filter} == valid
    joined = secret_store.confidential_clients_with_secret_times(realm=rows)
    assert set(joined.filter(secret_store.rotated_secret_valid_q(now=NOW, field="rotated_expires"))
               .values_list("client_id", flat=True)) == valid
    assert {name for name, expires in EDGES.items() if secret_store.secret_expiration_passed(
        kind=ClientSecret.ROTATED, expiration_time=expires, now=NOW)} == {name.removeprefix("edge-") for name in expired}
    # Every rotated secret was used since its rotation: the SQL counts the valid ones.
    counts = secret_store.secret_expiry_counts(realm=rows, cuts=(), day=86400, rotated_used_since=None, now=NOW)
    assert counts.rotated_used == len(valid)
