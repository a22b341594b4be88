"""A failure counter row that another worker creates and a success deletes again, between this
worker's insert and its read back, is made once more: the failure is counted, never a 500.

``make soak`` found it: two instances, each with several workers, sending right and wrong secrets
of the same clients from one address.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from realms.models import ClientAuthFailure
from realms.throttle import client_auth_failure_record

pytestmark = pytest.mark.django_db


def test_a_row_created_and_deleted_by_other_workers_meanwhile_is_made_again(master, monkeypatch):
    create = ClientAuthFailure.objects.create
    raced = []

    def create_after_another_worker(**fields):
        if not raced:
            # What this worker sees when another one inserted the row first and a success there
            # deleted it before this worker could read it: a conflict, and then no row.
            raced.append(fields["source"])
            raise IntegrityError("duplicate key value violates unique constraint")
        return create(**fields)

    monkeypatch.setattr(ClientAuthFailure.objects, "create", create_after_another_worker)
    assert client_auth_failure_record(realm=master, client_id="app", source="198.51.100.1") is None
    assert raced == ["198.51.100.1"]
    counted = ClientAuthFailure.objects.get(realm_name="master", client_id="app", source="198.51.100.1")
    assert counted.failures == 1
