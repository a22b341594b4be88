"""The migration that binds service accounts to their clients keeps what the old command granted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("clients", "0001_initial")]
AFTER = [("clients", "0002_sec_sessions")]


@pytest.mark.django_db(transaction=True)
def test_users_made_by_the_old_command_are_bound_and_look_alikes_are_not():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Realm, Client = old.get_model("adminconsole", "Realm"), old.get_model("clients", "Client")
    User = get_user_model()  # its table is not touched by these migrations
    master = Realm.objects.create(name="master")
    for client_id in ("robot", "person", "gone-public"):
        Client.objects.create(realm=master, client_id=client_id, service_accounts_enabled=True,
                              public_client=client_id == "gone-public")
    User.objects.create(username="service-account-robot", password="!unusable")  # what the command made
    User.objects.create(username="service-account-person", password="md5$salt$hash")  # a person: never bound
    User.objects.create(username="service-account-gone-public", password="!unusable")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    bound = new.get_model("clients", "ServiceAccount").objects.values_list("client__client_id", "user__username")
    assert list(bound) == [("robot", "service-account-robot")]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
