"""The per-worker realm and client-policy caches of the OIDC endpoints (``oidc.caches``)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from oidc import caches
from realms.models import Realm
from tests.oidc.conftest import SECRET, at


@pytest.fixture
def fresh_caches():
    caches.clear_realms()
    yield
    caches.clear_realms()


@pytest.mark.django_db
def test_a_change_made_by_another_worker_is_seen_within_the_bound(fresh_caches, realm):
    with at(0) as clock:
        assert caches.realm_by_name("acme").enabled
        Realm.objects.filter(pk=realm.pk).update(enabled=False)  # no signal here: as in another worker
        assert caches.realm_by_name("acme").enabled
        clock.shift(caches.TTL)
        assert not caches.realm_by_name("acme").enabled


@pytest.mark.django_db
def test_the_bound_follows_client_cache_max_age(fresh_caches, realm, settings):
    settings.CLIENT_CACHE_MAX_AGE = 0
    with at(0):
        assert caches.realm_by_name("acme").enabled
        Realm.objects.filter(pk=realm.pk).update(enabled=False)
        assert not caches.realm_by_name("acme").enabled


@pytest.mark.django_db(transaction=True)
def test_a_thread_reading_during_a_change_does_not_keep_the_old_realm(fresh_caches):
    """The change clears the cache before it commits; another thread may re-read the old row meanwhile."""
    if connection.vendor != "postgresql":
        pytest.skip("a second connection reading during a write transaction needs PostgreSQL")
    from realms.services import realm_create

    realm_create(name="acme")
    seen = []

    def other_thread():
        try:
            seen.append(caches.realm_by_name("acme"))
        finally:
            connection.close()

    with at(0):
        with transaction.atomic():
            realm = Realm.objects.get(name="acme")
            realm.enabled = False
            realm.save(update_fields=["enabled"])
            reader = threading.Thread(target=other_thread)
            reader.start()
            reader.join(10)
            assert seen[0].enabled  # the committed row, read while the change was not
        assert not caches.realm_by_name("acme").enabled


def _selects_extras(queries) -> list[str]:
    return [q["sql"] for q in queries if "extras" in q["sql"]]


@pytest.mark.django_db
def test_the_cached_realm_leaves_the_stored_representation_unread(fresh_caches, realm):
    """Up to 1 MB of stored RealmRepresentation fields per realm: no token request reads them."""
    Realm.objects.filter(pk=realm.pk).update(extras={"loginTheme": "x" * 10_000})
    with at(0), CaptureQueriesContext(connection) as queries:
        cached = caches.realm_by_name("acme")
    assert cached.name == "acme" and "extras" in cached.get_deferred_fields()
    assert len(queries) == 1 and not _selects_extras(queries)


@pytest.mark.django_db
def test_a_token_request_never_selects_the_stored_representation(fresh_caches, realm, svc, token_post):
    Realm.objects.filter(pk=realm.pk).update(extras={"loginTheme": "x" * 10_000})
    with at(0), CaptureQueriesContext(connection) as queries:
        response = token_post("acme", {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
    assert response.status_code == 200
    assert queries.captured_queries and not _selects_extras(queries)
