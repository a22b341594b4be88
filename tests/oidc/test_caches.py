"""The per-worker realm and client-policy caches of the OIDC endpoints (``oidc.caches``)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from oidc import caches
from realms.models import Realm
from tests.oidc.conftest import at


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
