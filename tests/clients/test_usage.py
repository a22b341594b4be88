"""Usage evidence per secret: successful authentications counted per worker and written with the
once-a-minute last-used stamp (``clients.secrets.secret_mark_used``); the Credentials tab shows
them and whether the rotated secret is safe to invalidate."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from clients import secrets as store
from clients import services
from clients.authentication import ClientAuthError, client_authenticate
from clients.models import ClientSecret
from realms.actor import Actor
from tests.factories import ClientFactory
from tests.oidc.conftest import rotation_policy

T0 = 1_780_000_000  # Thursday, 28 May 2026 20:26:40 UTC
CONSOLE = Actor(source="console", username="admin")
SECRET = "Sup3rSecretValue0123456789abcdef"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_worker():
    store.secret_uses_forget()
    yield
    store.secret_uses_forget()


@pytest.fixture
def app(realm):
    return ClientFactory(realm=realm, client_id="my-app", secret=SECRET)


def use(realm, secret=SECRET, *, ip="192.0.2.7", client_id="my-app"):
    return client_authenticate(realm=realm, client_id=client_id, client_secret=secret, method="client_secret_post", ip=ip)


def row(client, kind=ClientSecret.CURRENT) -> ClientSecret:
    return store.secret_get(client, kind)


def test_counts_and_addresses_accumulate_with_one_write_a_minute(realm, app):
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as first:
        use(realm, ip="192.0.2.1")
    assert [q for q in first.captured_queries if q["sql"].startswith("UPDATE")]  # the first use writes at once
    assert (row(app).use_count, row(app).last_used_ip, row(app).last_used_time) == (1, "192.0.2.1", T0)
    for offset, ip in ((10, "192.0.2.2"), (30, "192.0.2.3"), (59, "192.0.2.4")):
        with time_machine.travel(T0 + offset, tick=False), CaptureQueriesContext(connection) as within:
            use(realm, ip=ip)
        assert len(within.captured_queries) == 1  # the read; counted in memory, no write
    assert (row(app).use_count, row(app).last_used_ip, row(app).last_used_time) == (1, "192.0.2.1", T0)
    assert store.secret_uses_pending(secret=row(app)) == 3
    with time_machine.travel(T0 + 61, tick=False), CaptureQueriesContext(connection) as after:
        use(realm, ip="192.0.2.5")
    assert len(after.captured_queries) == 2  # the read, then one UPDATE with everything pending
    assert (row(app).use_count, row(app).last_used_ip, row(app).last_used_time) == (5, "192.0.2.5", T0 + 61)
    assert store.secret_uses_pending(secret=row(app)) == 0
    # Another minute boundary, a use with no address known: the address stays the last known one.
    with time_machine.travel(T0 + 100, tick=False):
        use(realm, ip="192.0.2.6")
    with time_machine.travel(T0 + 122, tick=False):
        use(realm, ip=None)
    assert (row(app).use_count, row(app).last_used_ip, row(app).last_used_time) == (7, "192.0.2.6", T0 + 122)


def test_failed_authentications_are_not_counted(realm, app):
    with time_machine.travel(T0, tick=False), pytest.raises(ClientAuthError):
        use(realm, "wrong")
    assert (row(app).use_count, row(app).last_used_time) == (0, None)
    assert store.secret_uses_pending(secret=row(app)) == 0


def rotate(client, *, now: int) -> str:
    """What a Re-generate under a rotation policy leaves: a new current secret created at ``now``
    and the old one rotated, valid for a day."""
    new = store.secret_set_current(client, now=now)
    store.secret_store_rotated(client, SECRET, now=now, expiration_time=now + 86400)
    return new


def test_each_secret_has_its_own_count(realm, app):
    new = rotate(app, now=T0)
    with time_machine.travel(T0 + 5, tick=False):
        use(realm, SECRET, ip="192.0.2.7")  # the rotated (old) secret
        use(realm, new, ip="198.51.100.1")
        use(realm, new, ip="198.51.100.2")
    rotated, current = row(app, ClientSecret.ROTATED), row(app)
    assert (rotated.use_count, rotated.last_used_ip) == (1, "192.0.2.7")
    assert (current.use_count, current.last_used_ip) == (1, "198.51.100.1")
    assert store.secret_uses_pending(secret=current) == 1


@pytest.fixture
def rotating(realm):
    """A rotation policy: a Re-generate keeps the old value as the rotated secret for a day."""
    rotation_policy(realm, expiration=7 * 86400, rotated=86400, remaining=86400)


@pytest.mark.parametrize("policy", [True, False], ids=["rotation-policy", "no-rotated-secret"])
def test_a_regenerate_race_never_credits_the_new_secret(realm, app, request, policy):
    """Uses counted against the old value are written only to that value: the row keeps its id
    across a Re-generate, the compare-and-set on the ciphertext refuses them, and they go to the
    rotated row, which holds the old value now (found by the value, not by the row). With no
    rotated secret the value is gone, and so are they."""
    if policy:
        request.getfixturevalue("rotating")
    with time_machine.travel(T0, tick=False):
        compared = use(realm).secret
        use(realm)  # pending: 1
    with time_machine.travel(T0 + 10, tick=False):
        services.client_secret_regenerate(client=app, actor=CONSOLE)
    with time_machine.travel(T0 + 61, tick=False):
        assert store.secret_mark_used(compared, ip="203.0.113.9") is False  # compared before the Re-generate
    current = row(app)
    assert current.pk == compared.pk
    assert (current.use_count, current.last_used_ip, current.last_used_time) == (0, "", None)
    rotated = row(app, ClientSecret.ROTATED)
    if policy:
        assert store.secret_value(rotated) == SECRET
        assert (rotated.use_count, rotated.last_used_ip, rotated.last_used_time) == (2, "203.0.113.9", T0 + 61)
    else:
        assert rotated is None
    assert store.secret_uses_pending(secret=current) == 0
    # The new secret's first use starts from its own count: the old value's pending uses are dropped.
    with time_machine.travel(T0 + 62, tick=False):
        use(realm, store.secret_value(current), ip="198.51.100.1")
    current = row(app)
    assert (current.use_count, current.last_used_ip, current.last_used_time) == (1, "198.51.100.1", T0 + 62)
    if policy:
        assert row(app, ClientSecret.ROTATED).use_count == 2


def test_a_raced_use_waits_for_the_rotated_rows_next_minute(realm, app, rotating):
    """Another worker credited the rotated row this minute: the moved uses wait for this worker's
    next write of that row, still never reaching the new secret."""
    with time_machine.travel(T0, tick=False):
        compared = use(realm).secret
    with time_machine.travel(T0 + 10, tick=False):
        services.client_secret_regenerate(client=app, actor=CONSOLE)
    with time_machine.travel(T0 + 61, tick=False):
        assert store.secret_mark_used(row(app, ClientSecret.ROTATED), ip="192.0.2.1") is True  # "another worker"
        store.secret_uses_forget()
        assert store.secret_mark_used(compared, ip="203.0.113.9") is False
    rotated = row(app, ClientSecret.ROTATED)
    assert (rotated.use_count, rotated.last_used_ip) == (1, "192.0.2.1")
    assert store.secret_uses_pending(secret=rotated) == 1
    with time_machine.travel(T0 + 122, tick=False):
        assert store.secret_mark_used(rotated, ip="192.0.2.2") is True
    assert (row(app, ClientSecret.ROTATED).use_count, row(app).use_count) == (3, 0)


def test_another_workers_write_keeps_this_workers_uses_for_its_next_write(realm, app):
    stale = row(app)
    with time_machine.travel(T0, tick=False):
        assert store.secret_mark_used(row(app), ip="192.0.2.1") is True
        store.secret_uses_forget()  # that was "another worker"
        assert store.secret_mark_used(stale, ip="192.0.2.2") is False  # written this minute already
    assert row(app).use_count == 1
    assert store.secret_uses_pending(secret=stale) == 1
    with time_machine.travel(T0 + 61, tick=False):
        assert store.secret_mark_used(stale, ip="192.0.2.3") is True
    assert (row(app).use_count, row(app).last_used_ip) == (3, "192.0.2.3")


def test_counting_is_thread_safe(realm, app):
    secret = row(app)
    secret.last_used_time = T0  # within the minute: every call only counts
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(500):
            store.secret_mark_used(secret, T0 + 1, ip="192.0.2.7")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.secret_uses_pending(secret=secret) == 4000


# --- the Credentials tab -----------------------------------------------------------------------


def credentials(http, realm, client) -> str:
    page = http.get(reverse("client-credentials", kwargs={"realm": realm.name, "id": client.pk}))
    assert page.status_code == 200
    return page.content.decode().replace("&#x27;", "'")


def rotated_part(html: str) -> str:
    return html[html.index("Secret rotated"):html.index("Registration access token")]


def current_part(html: str) -> str:
    return html[html.index("Client Secret"):html.index("Secret rotated")]


@pytest.fixture
def rotated(realm, app):
    rotate(app, now=T0)
    return app


def test_rotated_secret_unused_since_the_rotation_is_safe_to_invalidate(admin_client, realm, rotated):
    with time_machine.travel(T0 + 180, tick=False):
        html = credentials(admin_client, realm, rotated)
    assert "Not used since the rotation — safe to invalidate" in rotated_part(html)
    assert "applications still use it" not in html


def test_rotated_secret_in_use_says_so_with_when_and_where(admin_client, viewer_client, realm, rotated):
    new = store.secret_value(row(rotated))
    with time_machine.travel(T0 + 20, tick=False):
        use(realm, SECRET, ip="192.0.2.7")
        use(realm, new, ip="198.51.100.1")
        use(realm, new, ip="198.51.100.1")
    with time_machine.travel(T0 + 90, tick=False):
        use(realm, new, ip="198.51.100.2")
    with time_machine.travel(T0 + 200, tick=False):
        html = credentials(admin_client, realm, rotated)
        viewer_html = credentials(viewer_client, realm, rotated)
    old_part = rotated_part(html)
    assert "Last used 3 minutes ago from 192.0.2.7 — applications still use it" in old_part
    assert "Last used 28 May 2026, 20:27 UTC (3 minutes ago) from 192.0.2.7" in strip_tags(old_part)
    assert "1 authentication<" in old_part
    assert "safe to invalidate" not in html
    new_part = current_part(html)
    assert "Last used 28 May 2026, 20:28 UTC (1 minute ago) from 198.51.100.2" in strip_tags(new_part)
    assert "3 authentications" in new_part
    # View-only administrators see the evidence, never the values.
    assert "applications still use it" in rotated_part(viewer_html)
    assert "3 authentications" in current_part(viewer_html)
    assert SECRET not in viewer_html and new not in viewer_html


def test_a_use_before_the_rotation_leaves_the_rotated_secret_safe(admin_client, realm, app):
    with time_machine.travel(T0 - 30, tick=False):
        use(realm, SECRET)
    rotate(app, now=T0)
    # The rotated row was used before the current secret was created (an older record, kept).
    ClientSecret.objects.filter(client=app, kind=ClientSecret.ROTATED).update(last_used_time=T0 - 30, use_count=4)
    with time_machine.travel(T0 + 60, tick=False):
        html = credentials(admin_client, realm, app)
    assert "Not used since the rotation — safe to invalidate" in rotated_part(html)
    assert "4 authentications" in rotated_part(html)


# --- the quiet period: "in use" ends when the rotated secret goes quiet --------------------------


def test_rotated_secret_goes_safe_after_the_quiet_period(admin_client, realm, rotated, settings):
    settings.ROTATED_SECRET_QUIET_PERIOD = 3600
    with time_machine.travel(T0 + 20, tick=False):
        use(realm, SECRET, ip="192.0.2.7")
    with time_machine.travel(T0 + 3620, tick=False):  # exactly the quiet period after the last use
        assert "Last used 1 hour ago from 192.0.2.7 — applications still use it" in rotated_part(
            credentials(admin_client, realm, rotated))
    with time_machine.travel(T0 + 3621, tick=False):
        part = rotated_part(credentials(admin_client, realm, rotated))
    assert "Not used in the last 1 hour: last used 1 hour ago from 192.0.2.7 — safe to invalidate" in part
    assert 'data-rotated-secret-usage="quiet"' in part
    assert "applications still use it" not in part


def rotate_for(client, *, now: int, days: int) -> None:
    """A Re-generate whose rotated secret stays valid for ``days`` days."""
    store.secret_set_current(client, now=now)
    store.secret_store_rotated(client, SECRET, now=now, expiration_time=now + days * 86400)


def test_default_quiet_period_is_a_day(admin_client, realm, app):
    rotate_for(app, now=T0, days=7)
    with time_machine.travel(T0 + 20, tick=False):
        use(realm, SECRET, ip="192.0.2.7")
    with time_machine.travel(T0 + 20 + 86400, tick=False):
        assert "applications still use it" in rotated_part(credentials(admin_client, realm, app))
    with time_machine.travel(T0 + 20 + 2 * 86400 - 60, tick=False):
        part = rotated_part(credentials(admin_client, realm, app))
    assert "Not used in the last 1 day: last used 1 day ago from 192.0.2.7 — safe to invalidate" in part


def test_quiet_period_zero_counts_any_use_since_the_rotation(admin_client, realm, app, settings):
    settings.ROTATED_SECRET_QUIET_PERIOD = 0
    rotate_for(app, now=T0, days=30)
    with time_machine.travel(T0 + 20, tick=False):
        use(realm, SECRET, ip="192.0.2.7")
    with time_machine.travel(T0 + 10 * 86400, tick=False):
        assert "Last used 1 week ago from 192.0.2.7 — applications still use it" in rotated_part(
            credentials(admin_client, realm, app))


def test_an_expired_rotated_secret_is_safe_to_invalidate(admin_client, realm, rotated):
    with time_machine.travel(T0 + 20, tick=False):
        use(realm, SECRET, ip="192.0.2.7")
    with time_machine.travel(T0 + 86401, tick=False):  # the rotated secret expired at T0 + 86400
        part = rotated_part(credentials(admin_client, realm, rotated))
    assert "Expired, no longer accepted — safe to invalidate" in part
    assert "applications still use it" not in part
