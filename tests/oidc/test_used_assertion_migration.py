"""Used client assertions recorded before their keys became digests still refuse a replay."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oidc.services import assertion_jti_register

BEFORE = [("oidc", "0006_revoked_access_token")]


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_the_digest_still_guard_their_assertions():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("oidc", "UsedClientAssertion")
    old.objects.create(key="7:old-jti", expires=4_000_000_000)

    call_command("migrate", verbosity=0)

    from oidc.models import UsedClientAssertion

    assert [len(key) for key in UsedClientAssertion.objects.values_list("key", flat=True)] == [64]
    assert assertion_jti_register("7:old-jti", 60) is False
    assert assertion_jti_register("7:new-jti", 60) is True
