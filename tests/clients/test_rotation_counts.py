"""The per-realm expiry-day counts behind the Secret rotation summary and chart (clients 0011):
kept by database triggers through every kind of write, and the summary read from them gives the
numbers of counting every client, at any moment (cuts inside a day included), in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count

from clients import rotation, secrets, services
from clients.models import Client, ClientSecret, SecretExpiryCount
from realms import services as realm_services
from tests.factories import ClientFactory, PublicClientFactory, RealmFactory, client_secrets_make

T0 = 1_780_000_000  # 20:26:40 UTC: a cut inside a day
DAY = 86400

pytestmark = pytest.mark.django_db


def recounted() -> dict[tuple[int, int], int]:
    """The counts the triggers must give, from every client."""
    counts: dict[tuple[int, int], int] = {}
    for client in Client.objects.filter(public_client=False, bearer_only=False):
        current = ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).first()
        expires = current.expiration_time if current else None
        key = (client.realm_id, expires // DAY if expires and expires > 0 else -1)
        counts[key] = counts.get(key, 0) + 1
    return counts


def stored() -> dict[tuple[int, int], int]:
    return {(row.realm_id, row.day): row.n for row in SecretExpiryCount.objects.exclude(n=0)}


def test_triggers_are_all_there():
    """A migration that rebuilds a clients table on SQLite drops them: it must create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s", ["%expiry_count%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", ["%expiry_count%"])
        names = {row[0] for row in cursor.fetchall()}
    expected = 4 if connection.vendor == "postgresql" else 6  # on clients' own tables only (0013)
    assert len(names) == expected, names


def test_every_kind_of_write_keeps_the_counts(realm):
    other = RealmFactory(name="other")
    assert stored() == recounted() == {}
    # Created by the service (a secret without expiry), and straight in the database.
    made = services.client_create(realm=realm, representation={"clientId": "made"}, actor=None)
    client_secrets_make(realm, "dated", created=T0, expires=T0 + 3 * DAY, rotated_expires=T0 + DAY)
    client_secrets_make(realm, "expired", created=T0, expires=T0 - 5 * DAY)
    client_secrets_make(realm, "zero", created=T0, expires=0)
    ClientFactory(realm=realm, client_id="no-secret", secret=False)
    PublicClientFactory(realm=realm, client_id="spa")
    ClientFactory(realm=realm, client_id="bearer", bearer_only=True)
    assert stored() == recounted()
    assert stored()[(realm.pk, -1)] == 3
    # Expiry changes, one by one and in bulk; usage stamps change nothing.
    secrets.secret_set_expiration(made, T0 + 10 * DAY)
    ClientSecret.objects.filter(client__client_id="dated", kind=ClientSecret.CURRENT).update(expiration_time=T0 + 40 * DAY)
    ClientSecret.objects.filter(kind=ClientSecret.ROTATED).update(expiration_time=T0 + 50 * DAY)
    ClientSecret.objects.update(last_used_time=T0, use_count=3)
    assert stored() == recounted()
    # Regenerated (the current secret's row changes), the rotated secret dropped, the secret removed.
    services.client_secret_regenerate(client=Client.objects.get(client_id="dated"), actor=None)
    secrets.secret_remove_rotated(Client.objects.get(client_id="dated"))
    ClientSecret.objects.filter(client__client_id="expired").delete()
    assert stored() == recounted()
    # A secret moved to another client, a kind swapped, bulk inserts.
    ClientSecret.objects.filter(client__client_id="zero").update(client=Client.objects.get(client_id="no-secret"))
    zero = Client.objects.get(client_id="zero")
    ClientSecret.objects.bulk_create([
        ClientSecret(client=zero, kind=ClientSecret.ROTATED, value_encrypted="x", created_time=T0, expiration_time=T0 + DAY)
    ])
    ClientSecret.objects.filter(client=zero).update(kind=ClientSecret.CURRENT)
    Client.objects.bulk_create([Client(realm=realm, client_id=f"bulk-{i}") for i in range(3)])
    assert stored() == recounted()
    # Access type changes, a move to another realm, deletions (the service, a queryset, the realm).
    Client.objects.filter(client_id="spa").update(public_client=False)
    Client.objects.filter(client_id="zero").update(bearer_only=True)
    Client.objects.filter(client_id="made").update(realm=other)
    assert stored() == recounted()
    services.client_delete(client=Client.objects.get(client_id="dated"), actor=None)
    Client.objects.filter(client_id__startswith="bulk-").delete()
    assert stored() == recounted()
    realm_services.realm_delete(realm=other, actor=None)
    assert stored() == recounted()
    assert {realm_id for realm_id, _ in stored()} == {realm.pk}


# Expiries on both sides of every cut: now, now + 7 days, now + 30 days, day starts, the chart's end.
EDGES = [T0 - DAY, T0 - 1, T0, T0 + 1, T0 - T0 % DAY, T0 - T0 % DAY + DAY - 1, T0 + 7 * DAY - 1, T0 + 7 * DAY,
         T0 + 7 * DAY + 1, T0 + 30 * DAY, T0 + 30 * DAY + 1, T0 - T0 % DAY + 90 * DAY - 1, T0 - T0 % DAY + 90 * DAY,
         None, 0, -5, 1]


@pytest.mark.parametrize("now", [T0, T0 - T0 % DAY, T0 - T0 % DAY + DAY - 1, T0 + 3 * DAY + 7])
def test_summary_and_chart_equal_counting_every_client(realm, now):
    for i, expires in enumerate(EDGES):
        client_secrets_make(realm, f"edge-{i:02}", created=T0 - DAY, expires=expires,
                            rotated_expires=T0 + i * 3600, rotated_last_used=T0 - i * 3600)
    ClientFactory(realm=realm, client_id="no-secret", secret=False)
    summary, chart = rotation.client_secrets_overview(realm=realm, now=now)

    def listed(**filters) -> int:
        return len(list(rotation.client_secrets_list(realm=realm, now=now, filters=rotation.SecretsFilter(**filters))))

    assert summary == rotation.SecretsSummary(
        total=len(EDGES) + 1,
        expired=listed(status=rotation.EXPIRED),
        expiring_within_7_days=listed(within_days=7),
        expiring_within_30_days=listed(status=rotation.EXPIRING),
        no_expiry=listed(status=rotation.NO_EXPIRY),
        rotated_in_use=listed(rotated_in_use=True),
    )
    assert chart == rotation.client_secrets_expiring_per_day(realm=realm, now=now)
    assert rotation.client_secrets_summary(realm=realm, now=now) == summary


def test_summary_query_count_and_rows_read_do_not_grow_with_clients(realm, django_assert_num_queries):
    """One query; what it reads from the counts is one row per expiry day, not one per client."""
    for i in range(40):
        client_secrets_make(realm, f"app-{i:02}", created=T0 - DAY, expires=T0 + (i % 4) * DAY)
    assert SecretExpiryCount.objects.filter(realm=realm).aggregate(rows=Count("pk"))["rows"] <= 5
    with django_assert_num_queries(1):
        summary = rotation.client_secrets_summary(realm=realm, now=T0)
    assert summary.total == 40 and summary.expiring_within_7_days == 40


# The rotated secret's last use and expiry on both sides of each edge of the rule: the rotation
# (the current secret's creation), the quiet period's start, the expiry at now.
ROTATED_AT = T0 - 2 * DAY


def _rotated_cases(realm) -> None:
    uses = [None, ROTATED_AT - 1, ROTATED_AT, ROTATED_AT + 1, T0 - DAY - 1, T0 - DAY, T0 - 60, T0]
    for i, last_used in enumerate(uses):
        for j, rotated_expires in enumerate([T0 - 1, T0, T0 + DAY, 0, -5]):
            client_secrets_make(realm, f"r-{i}-{j}", created=ROTATED_AT, expires=T0 + DAY,
                                rotated_expires=rotated_expires, rotated_last_used=last_used)
    # A rotation within the quiet period: used before it (not in use), and after it.
    client_secrets_make(realm, "fresh-before", created=T0 - 600, rotated_expires=T0 + DAY, rotated_last_used=T0 - 700)
    client_secrets_make(realm, "fresh-after", created=T0 - 600, rotated_expires=T0 + DAY, rotated_last_used=T0 - 500)
    # A rotated secret whose client has no current secret any more (raw write): never in use.
    orphan = client_secrets_make(realm, "orphan", created=ROTATED_AT, rotated_expires=T0 + DAY, rotated_last_used=T0)
    ClientSecret.objects.filter(client=orphan, kind=ClientSecret.CURRENT).delete()
    # Not counted: a public client's and another realm's rotated secrets in use.
    public = client_secrets_make(realm, "now-public", created=ROTATED_AT, rotated_expires=T0 + DAY, rotated_last_used=T0)
    Client.objects.filter(pk=public.pk).update(public_client=True)
    client_secrets_make(RealmFactory(), "elsewhere", created=ROTATED_AT, rotated_expires=T0 + DAY, rotated_last_used=T0)


def _in_use_by_the_rule(realm) -> int:
    """``rotated_secret_usage`` over every rotated secret of the realm's confidential clients."""
    in_use = 0
    for rotated in ClientSecret.objects.filter(kind=ClientSecret.ROTATED, client__realm=realm,
                                               client__public_client=False, client__bearer_only=False):
        current = ClientSecret.objects.filter(client_id=rotated.client_id, kind=ClientSecret.CURRENT).first()
        usage = rotation.rotated_secret_usage(rotated_at=current.created_time if current else None,
                                              expires=rotated.expiration_time, last_used=rotated.last_used_time, now=T0)
        in_use += usage == rotation.ROTATED_IN_USE
    return in_use


@pytest.mark.parametrize("quiet", [86400, 3600, 0])
def test_rotated_in_use_count_follows_the_rule(realm, settings, django_assert_num_queries, quiet):
    """The summary's count (rotated secrets looked up from the (kind, last use) index) is the
    rule's, with and without a quiet period, and one query still."""
    settings.ROTATED_SECRET_QUIET_PERIOD = quiet
    _rotated_cases(realm)
    expected = _in_use_by_the_rule(realm)
    assert expected > 0
    with django_assert_num_queries(1):
        summary = rotation.client_secrets_summary(realm=realm, now=T0)
    assert summary.rotated_in_use == expected
    listed = rotation.client_secrets_list(realm=realm, now=T0, filters=rotation.SecretsFilter(rotated_in_use=True))
    assert len(list(listed)) == expected


def _realm_with_counts(name: str):
    realm = RealmFactory(name=name)
    client_secrets_make(realm, "dated", created=T0, expires=T0 + 3 * DAY, rotated_expires=T0 + DAY)
    client_secrets_make(realm, "zero", created=T0, expires=0)
    ClientFactory(realm=realm, client_id="no-secret", secret=False)
    PublicClientFactory(realm=realm, client_id="spa")
    assert SecretExpiryCount.objects.filter(realm=realm).exclude(n=0).exists()
    return realm


def test_deleting_a_realm_leaves_no_count_rows(realm):
    """Its rows go with it, zero rows included, whichever order the cascade takes; other realms keep theirs."""
    doomed = _realm_with_counts("doomed")
    client_secrets_make(doomed, "moved", created=T0, expires=T0 + 9 * DAY)
    Client.objects.filter(realm=doomed, client_id="moved").update(realm=realm)  # leaves a zero row in the doomed realm
    client_secrets_make(realm, "kept", created=T0, expires=T0 + DAY)
    before = stored()
    assert SecretExpiryCount.objects.filter(realm=doomed, n=0).exists()

    realm_services.realm_delete(realm=doomed, actor=None)

    assert not SecretExpiryCount.objects.filter(realm_id=doomed.pk).exists()
    assert stored() == {key: n for key, n in before.items() if key[0] != doomed.pk} == recounted()


def test_counts_deleted_before_the_clients_do_not_come_back():
    """The cascade may delete the counts first; the clients' deletions then add rows back, and
    the last client's deletion takes them away."""
    doomed = _realm_with_counts("doomed")
    SecretExpiryCount.objects.filter(realm=doomed).delete()
    Client.objects.filter(realm=doomed).delete()
    assert not SecretExpiryCount.objects.filter(realm_id=doomed.pk).exists()


def test_a_realm_keeps_its_counts_while_it_has_clients():
    kept = _realm_with_counts("kept")
    Client.objects.filter(realm=kept, client_id="dated").delete()
    assert stored() == recounted()
    assert SecretExpiryCount.objects.filter(realm=kept, day=-1, n=2).exists()
