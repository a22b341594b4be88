"""Concurrent regenerations of one client on PostgreSQL: the row lock serialises them."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from clients import secrets as secret_store
from clients import services
from clients.models import Client, ClientSecret
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import ClientFactory, rotation_policy_make

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
THREADS = 8


@pytest.mark.skipif(not ON_POSTGRESQL, reason="row locks need PostgreSQL (runs in the PostgreSQL pass of make test)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_regenerations_leave_one_current_and_one_rotated_secret(realm):
    rotation_policy_make(realm, 3600, 600, 60, name="rotation", profile_name="rotation")
    client = ClientFactory(realm=realm, secret="original-secret")

    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    errors: list[BaseException] = []

    def regenerate(n: int) -> None:
        try:
            stale = Client.objects.get(pk=client.pk)  # each thread: its own connection and object
            barrier.wait()
            results.append(services.client_secret_regenerate(client=stale, actor=Actor(source="console", username=f"admin-{n}")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=regenerate, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len(set(results)) == THREADS
    rows = ClientSecret.objects.filter(client=client)
    assert rows.filter(kind=ClientSecret.CURRENT).count() == 1
    assert rows.filter(kind=ClientSecret.ROTATED).count() == 1
    current, rotated = secret_store.secret_rows(client)
    current_value, rotated_value = secret_store.secret_value(current), secret_store.secret_value(rotated)
    assert current_value in results
    # Serialised: the last regeneration replaced a secret an earlier one had returned, and kept it
    # as the rotated secret. (Unlocked, every thread reads "original-secret" as the old one.)
    assert rotated_value in results and rotated_value != current_value
    events = AdminEvent.objects.filter(realm=realm, operation_type="ACTION", resource_path=f"clients/{client.pk}/client-secret")
    assert events.count() == THREADS
    assert {e.auth_username for e in events} == {f"admin-{n}" for n in range(THREADS)}
