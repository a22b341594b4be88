"""The Secret rotation page: summary counts of a seeded realm, the links that filter the table,
the chart and its table, sorting, pagination, CSV, permissions and constant query counts."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients import rotation
from tests.factories import ClientFactory, PublicClientFactory, RealmFactory, client_secrets_make
from tests.permissions import TO_LOGIN, get

T0 = 1_780_000_000  # Thursday, 28 May 2026 20:26:40 UTC
DAY = 86400
HTMX = {"HTTP_HX_REQUEST": "true"}

# client id → (status, in the 7-day count, rotated secret in use)
EXPECTED = {
    "expired-1": "expired",
    "expired-2": "expired",
    "soon-1": "expiring",
    "soon-now": "expiring",
    "month-1": "expiring",
    "month-30": "expiring",
    "rotated-used": "expiring",
    "later-1": "active",
    "later-2": "active",
    "rotated-idle": "active",
    "never-1": "no-expiry",
    "never-0": "no-expiry",
    "rotated-expired": "no-expiry",
}


def seed(realm, now: int = T0) -> None:
    """Thirteen confidential clients in every state, plus clients that must not count."""
    make = client_secrets_make
    make(realm, "expired-1", created=now - 40 * DAY, expires=now - 100, last_used=now - 200, use_count=7)
    make(realm, "expired-2", created=now - 40 * DAY, expires=now - 10 * DAY)
    make(realm, "soon-1", created=now - DAY, expires=now + DAY)
    make(realm, "soon-now", created=now - DAY, expires=now)  # valid at its expiry's exact second
    make(realm, "month-1", created=now - DAY, expires=now + 20 * DAY)
    make(realm, "month-30", created=now - DAY, expires=now + 30 * DAY)
    make(realm, "later-1", created=now - DAY, expires=now + 60 * DAY)
    make(realm, "later-2", created=now - DAY, expires=now + 200 * DAY)
    make(realm, "never-1", created=now - DAY, expires=None)
    make(realm, "never-0", created=now - DAY, expires=0)
    # Rotated an hour ago; the old secret is still valid for an hour and was used after the rotation.
    make(realm, "rotated-used", created=now - 3600, expires=now + 10 * DAY, last_used=now - 30, use_count=3,
         rotated_expires=now + 3600, rotated_last_used=now - 60, rotated_use_count=42)
    # Rotated an hour ago; the old secret was last used before the rotation: safe to invalidate.
    make(realm, "rotated-idle", created=now - 3600, expires=now + 100 * DAY,
         rotated_expires=now + 3600, rotated_last_used=now - 7200, rotated_use_count=5)
    # The rotated secret was used after the rotation but has expired since.
    make(realm, "rotated-expired", created=now - 3600, rotated_expires=now - 1, rotated_last_used=now - 10)
    PublicClientFactory(realm=realm, client_id="spa")
    ClientFactory(realm=realm, client_id="bearer", bearer_only=True)
    make(RealmFactory(name="elsewhere"), "expired-elsewhere", created=now - 40 * DAY, expires=now - 100)


@pytest.fixture
def seeded(realm):
    seed(realm)
    return realm


@pytest.fixture
def at_t0():
    with time_machine.travel(T0, tick=False):
        yield


def page_url(realm, **query):
    base = reverse("secret-rotation", kwargs={"realm": realm.name})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def shown_clients(response) -> list[str]:
    return re.findall(r'<tr data-client="([^"]+)"', response.content.decode())


def summary_counts(response) -> dict[str, int]:
    body = response.content.decode()
    pairs = re.findall(r'data-summary="([^"]+)"[^>]*>\s*<span class="d-block h4 mb-0" data-count>(\d+)</span>', body)
    return {key: int(n) for key, n in pairs}


# --- the selectors ------------------------------------------------------------------------------


def test_summary_counts_match_the_seeded_realm(seeded, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = rotation.client_secrets_summary(realm=seeded, now=T0)
    assert summary == rotation.SecretsSummary(
        total=13, expired=2, expiring_within_7_days=2, expiring_within_30_days=5, no_expiry=3, rotated_in_use=1
    )


def test_list_status_of_every_client(seeded, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(rotation.client_secrets_list(realm=seeded, now=T0))
    assert {row["client_id"]: row["status"] for row in rows} == EXPECTED
    # Sorted by expiry, soonest first; those without one last.
    dated = [row["expires"] for row in rows if row["expires"]]
    assert dated == sorted(dated)
    assert [row["client_id"] for row in rows[-3:]] == ["never-0", "never-1", "rotated-expired"]


def test_list_each_filter(seeded):
    def ids(**filters):
        return sorted(r["client_id"] for r in rotation.client_secrets_list(
            realm=seeded, now=T0, filters=rotation.SecretsFilter(**filters)))

    for status in rotation.STATUSES:
        assert ids(status=status) == sorted(k for k, v in EXPECTED.items() if v == status)
    assert ids(within_days=7) == ["soon-1", "soon-now"]
    assert ids(rotated_in_use=True) == ["rotated-used"]
    assert ids(expires_before=T0 + DAY) == ["expired-1", "expired-2", "soon-now"]
    assert ids(search="ROTATED") == ["rotated-expired", "rotated-idle", "rotated-used"]
    assert ids(status="expiring", search="month") == ["month-1", "month-30"]


def test_expiring_per_day_is_one_grouped_query(seeded, django_assert_num_queries):
    with django_assert_num_queries(1):
        per_day = rotation.client_secrets_expiring_per_day(realm=seeded, now=T0)
    assert len(per_day) == 90
    today = T0 - T0 % DAY
    assert per_day[0] == (today, 1)  # soon-now (soon-1 expires tomorrow)
    counts = {(day - today) // DAY: n for day, n in per_day if n}
    assert counts == {0: 1, 1: 1, 10: 1, 20: 1, 30: 1, 60: 1}  # expired and later than 90 days left out


# --- the page -----------------------------------------------------------------------------------


def test_page_shows_the_summary_chart_and_table(seeded, admin_client, at_t0):
    response = admin_client.get(page_url(seeded, max=100))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1 class=\"h3\">Secret rotation</h1>" in body
    assert summary_counts(response) == {
        "expired": 2, "expiring-7": 2, "expiring": 5, "no-expiry": 3, "rotated-in-use": 1,
    }
    for label in ("Expired", "Expiring within 7 days", "Expiring within 30 days", "No expiry", "Rotated secret in use"):
        assert f'<span class="small text-body-secondary">{label}</span>' in body
    for column in ("Client ID", "Secret expires", "Rotated secret expires", "Last used", "Rotated secret last used", "Status"):
        assert f">{column}</" in body
    assert sorted(shown_clients(response)) == sorted(EXPECTED)
    # The chart: an SVG with one bar per day that has expiring secrets, and the same data as a table.
    assert 'id="chart-title">Upcoming expirations</h2>' in body
    assert body.count("<rect ") == 6
    assert "<caption>Upcoming expirations" in body
    assert "<tr><td>2026-05-28</td><td>1</td></tr>" in body and "<tr><td>2026-07-27</td><td>1</td></tr>" in body
    # No inline style anywhere (the CSP forbids it), and no secret.
    assert "style=" not in body
    assert "rotated-rotated" not in body
    # The menu entry, after Clients.
    menu = body[body.index('aria-label="Console menu"'):body.index("</nav>", body.index('aria-label="Console menu"'))]
    assert menu.index(">Clients</a>") < menu.index(">Secret rotation</a>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("expired", ["expired-1", "expired-2"]),
        ("expiring-7", ["soon-1", "soon-now"]),
        ("expiring", ["month-1", "month-30", "rotated-used", "soon-1", "soon-now"]),
        ("no-expiry", ["never-0", "never-1", "rotated-expired"]),
        ("rotated-in-use", ["rotated-used"]),
        ("active", ["later-1", "later-2", "rotated-idle"]),
    ],
)
def test_each_summary_link_filters_the_table(seeded, admin_client, at_t0, value, expected):
    response = admin_client.get(page_url(seeded, max=100))
    link = re.search(rf'href="([^"]+)" data-summary="{value}"', response.content.decode())
    # Active has no summary link; the status filter offers it.
    target = page_url(seeded, status=value, max=100) if link is None else link.group(1) + "&max=100"
    assert (link is None) == (value == "active")
    filtered = admin_client.get(target)
    assert sorted(shown_clients(filtered)) == expected
    assert f'<option value="{value}" selected>' in filtered.content.decode()


def test_search_sort_and_pagination(seeded, admin_client, at_t0):
    assert shown_clients(admin_client.get(page_url(seeded, search="LATER"))) == ["later-1", "later-2"]
    first = admin_client.get(page_url(seeded))
    assert shown_clients(first)[:3] == ["expired-2", "expired-1", "soon-now"]
    assert len(shown_clients(first)) == 10 and "1 - 10 of 13" in first.content.decode()
    second = admin_client.get(page_url(seeded, page=2))
    assert shown_clients(second) == ["never-0", "never-1", "rotated-expired"]
    newest = admin_client.get(page_url(seeded, order="-expires", max=20))
    assert shown_clients(newest)[:2] == ["later-2", "rotated-idle"]
    assert shown_clients(newest)[-3:] == ["never-0", "never-1", "rotated-expired"]  # no expiry stays last
    assert 'aria-sort="descending"' in newest.content.decode()
    # htmx: the table alone.
    fragment = admin_client.get(page_url(seeded, status="expired"), **HTMX)
    assert fragment.content.decode().lstrip().startswith('<div id="secret-table">')
    assert shown_clients(fragment) == ["expired-2", "expired-1"]
    # Unknown values are ignored, not an error.
    assert admin_client.get(page_url(seeded, status="bogus", order="x", max="y", page="z")).status_code == 200


def test_export_csv_with_the_same_filters(seeded, admin_client, at_t0):
    page = admin_client.get(page_url(seeded, status="expiring", search="o"))
    link = re.search(r'<a class="btn btn-link" href="([^"]+)" download>Export CSV</a>', page.content.decode())
    href = link.group(1).replace("&amp;", "&")
    assert "status=expiring" in href and "search=o" in href
    response = admin_client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="secret-rotation-acme.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == rotation_views_header()
    by_id = {row[0]: row for row in rows[1:]}
    assert sorted(by_id) == ["month-1", "month-30", "rotated-used", "soon-1", "soon-now"]
    assert by_id["rotated-used"] == [
        "rotated-used", "expiring", "2026-06-07T20:26:40Z", "3", "2026-05-28T20:26:10Z",
        "2026-05-28T21:26:40Z", "2026-05-28T20:25:40Z", "42",
    ]
    assert by_id["soon-1"][5:] == ["", "", ""]
    everything = admin_client.get(reverse("secret-rotation-csv", kwargs={"realm": seeded.name}))
    body = b"".join(everything.streaming_content).decode()
    assert len(body.strip().splitlines()) == 14
    assert "rotated-rotated" not in body  # never a secret


def rotation_views_header():
    return ["Client ID", "Status", "Secret expires", "Secret use count", "Last used",
            "Rotated secret expires", "Rotated secret last used", "Rotated secret use count"]


def test_csv_cells_never_start_a_formula(realm, admin_client, at_t0):
    client_secrets_make(realm, "=HYPERLINK(1)", created=T0, expires=T0 + DAY)
    response = admin_client.get(reverse("secret-rotation-csv", kwargs={"realm": realm.name}))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_permissions(seeded, permission_matrix):
    urls = [get(page_url(seeded)), get(reverse("secret-rotation-csv", kwargs={"realm": seeded.name}))]
    permission_matrix(
        urls, anonymous=TO_LOGIN, outsider=403, outsider_roles=["view-realm"],
        viewer=200, viewer_roles=["view-clients"],
    )


def test_menu_entry_only_for_view_clients(seeded, console_client):
    body = console_client(["view-realm"]).get(reverse("realm-settings", kwargs={"realm": seeded.name})).content.decode()
    assert ">Secret rotation</a>" not in body


def test_empty_realm(realm, admin_client, at_t0):
    body = admin_client.get(page_url(realm)).content.decode()
    assert "No confidential client matches." in body
    assert "No secret expires in the next 90 days." in body


@pytest.mark.parametrize("with_csv", [False, True])
def test_query_count_does_not_grow_with_clients(realm, admin_client, at_t0, django_assert_num_queries, with_csv):
    def add(start, end):
        for i in range(start, end):
            client_secrets_make(realm, f"app-{i:03}", created=T0 - 3600, expires=T0 + i * DAY, last_used=T0 - 10,
                                rotated_expires=T0 + 3600, rotated_last_used=T0 - 5)

    url = reverse("secret-rotation-csv", kwargs={"realm": realm.name}) if with_csv else page_url(realm, max=100)

    def fetch():
        response = admin_client.get(url)
        if with_csv:
            return b"".join(response.streaming_content).decode().count("\n") - 1
        return len(shown_clients(response))

    add(0, 5)
    fetch()  # warm the session and realm caches
    with CaptureQueriesContext(connection) as five:
        assert fetch() == 5
    add(5, 50)
    with django_assert_num_queries(len(five.captured_queries)):
        assert fetch() == 50


# --- the quiet period: one rule for the summary, the filter, the list and the Credentials tab ------


def quiet_seed(realm) -> None:
    """Rotated at T0 - 3 days, the old secret valid until T0 + 4 days, last used at various ages."""
    rotated_at = T0 - 3 * DAY
    for name, last_used in (("used-now", T0), ("used-1h", T0 - 3600), ("used-1d", T0 - DAY),
                            ("used-2d", T0 - 2 * DAY), ("used-before", rotated_at - 1), ("never", None)):
        client_secrets_make(realm, name, created=rotated_at, expires=T0 + 90 * DAY,
                            rotated_expires=T0 + 4 * DAY, rotated_last_used=last_used, rotated_use_count=1)


@pytest.mark.parametrize(
    ("quiet", "in_use"),
    [
        (86400, ["used-1d", "used-1h", "used-now"]),  # the default: a use exactly a day ago still counts
        (3600, ["used-1h", "used-now"]),
        (60, ["used-now"]),
        (0, ["used-1d", "used-1h", "used-2d", "used-now"]),  # no window: any use since the rotation
    ],
)
def test_quiet_period_decides_in_use_everywhere(realm, settings, admin_client, at_t0, quiet, in_use, django_assert_num_queries):
    settings.ROTATED_SECRET_QUIET_PERIOD = quiet
    quiet_seed(realm)
    with django_assert_num_queries(1):
        assert rotation.client_secrets_summary(realm=realm, now=T0).rotated_in_use == len(in_use)
    filtered = rotation.client_secrets_list(realm=realm, now=T0, filters=rotation.SecretsFilter(rotated_in_use=True))
    assert sorted(row["client_id"] for row in filtered) == in_use
    # The rule on rows in hand (the Credentials tab's) gives the same answer for every client.
    for row in rotation.client_secrets_list(realm=realm, now=T0):
        usage = rotation.rotated_secret_usage(
            rotated_at=T0 - 3 * DAY, expires=row["rotated_expires"], last_used=row["rotated_last_used"], now=T0)
        assert (usage == rotation.ROTATED_IN_USE) == (row["client_id"] in in_use), row["client_id"]
    # The page's summary link and table agree.
    response = admin_client.get(page_url(realm, max=100))
    assert summary_counts(response)["rotated-in-use"] == len(in_use)
    assert sorted(shown_clients(admin_client.get(page_url(realm, status="rotated-in-use", max=100)))) == in_use


def test_rotated_secret_in_use_ends_when_it_goes_quiet(seeded, admin_client):
    """The seeded "rotated-used" was last used a minute before T0, its rotated secret expires an
    hour after T0: with a quiet period of 30 minutes it is in use at T0, safe 30 minutes later."""
    with override_settings(ROTATED_SECRET_QUIET_PERIOD=1800):
        with time_machine.travel(T0, tick=False):
            assert summary_counts(admin_client.get(page_url(seeded)))["rotated-in-use"] == 1
        with time_machine.travel(T0 + 1800 - 60, tick=False):
            assert summary_counts(admin_client.get(page_url(seeded)))["rotated-in-use"] == 1
        with time_machine.travel(T0 + 1800 - 59, tick=False):
            response = admin_client.get(page_url(seeded))
            assert summary_counts(response)["rotated-in-use"] == 0
            assert shown_clients(admin_client.get(page_url(seeded, status="rotated-in-use"))) == []


@pytest.mark.parametrize(("value", "accepted"), [("86400", True), ("0", True), ("-1", False), ("a day", False)])
def test_quiet_period_setting_is_checked_at_start(value, accepted):
    env = {**os.environ, "ROTATED_SECRET_QUIET_PERIOD": value, "DJANGO_SETTINGS_MODULE": "adminconsole.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.ROTATED_SECRET_QUIET_PERIOD)"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    if accepted:
        assert (result.returncode, result.stdout.strip()) == (0, value)
    else:
        assert result.returncode != 0
        assert "ROTATED_SECRET_QUIET_PERIOD must be a whole number of seconds, 0 or more" in result.stderr


@pytest.mark.parametrize("order", rotation.ORDERS)
def test_every_slice_matches_the_one_query_order(seeded, order, django_assert_max_num_queries):
    """The list is read in parts (dated, then undated) so each walks an index; any slice gives the
    rows the single full query gives, in a bounded number of queries."""
    filters = rotation.SecretsFilter(order=order)
    everything = [row["client_id"] for row in rotation.client_secrets_list(realm=seeded, now=T0, filters=filters)]
    assert len(everything) == 13
    for start in range(0, 15):
        for stop in range(start, 16):
            with django_assert_max_num_queries(3):
                rows = rotation.client_secrets_list(realm=seeded, now=T0, filters=filters)[start:stop]
            assert [row["client_id"] for row in rows] == everything[start:stop], (start, stop)
    assert rotation.client_secrets_list(realm=seeded, now=T0, filters=filters).count() == 13


@pytest.mark.parametrize("quiet", [86400, 30])
def test_overview_is_the_summary_and_the_chart_in_one_query(seeded, settings, django_assert_num_queries, quiet):
    settings.ROTATED_SECRET_QUIET_PERIOD = quiet
    quiet_seed(RealmFactory(name="quiet"))  # another realm: not counted
    with django_assert_num_queries(1):
        summary, per_day = rotation.client_secrets_overview(realm=seeded, now=T0)
    assert summary == rotation.client_secrets_summary(realm=seeded, now=T0)
    assert per_day == rotation.client_secrets_expiring_per_day(realm=seeded, now=T0)
    assert summary.rotated_in_use == (1 if quiet > 60 else 0)
