"""The per-realm configuration version (policies migration 0004) and what ``policies_load`` makes of it.

Every way of changing what the engine reads moves the realm's version in the same transaction
(services, model saves, bulk writes, ``update()``, raw SQL), and the next load builds from the
new rows; changes the engine does not read (a description) leave it; realms keep their own
versions; a rolled-back change never hands its version out again; a realm's deletion leaves no
row. Run on SQLite and on PostgreSQL (``scripts/pg-test-cluster``).
"""

from __future__ import annotations

import importlib

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from policies import engine, services
from policies.engine import policies_load
from policies.models import (
    ClientPolicy,
    ClientPolicyCondition,
    ClientPolicyProfile,
    ClientProfile,
    ClientProfileExecutor,
    ConfigVersion,
)
from realms.services import realm_create, realm_delete
from tests.factories import RealmFactory, policy_make, profile_make

VERSIONING = importlib.import_module("policies.migrations.0004_config_version")
ROLES = "client-roles"
ROTATION = {"expiration-period": "3600", "rotated-expiration-period": "600", "remaining-rotation-period": "1800"}


def _version(realm):
    return ConfigVersion.objects.filter(realm=realm).values_list("version", flat=True).first()


def _queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def _shape(loaded) -> tuple:
    """What a loaded set holds, comparable across builds."""
    return (
        tuple((p.name, tuple((type(c).__name__, c.group_key()) for c in p.conditions), p.profile_names) for p in loaded.policies),
        {name: tuple((type(e).__name__, repr(e.configuration)) for e in executors) for name, executors in loaded.profiles.items()},
    )


@pytest.fixture
def configured(db):
    """A realm with two enabled policies (conditions, profile references) and two profiles."""
    realm = realm_create(name="acme", access_token_lifespan=300)
    profile_make(realm, "rotation", [("secret-rotation", ROTATION)])
    profile_make(realm, "confidential", [("confidential-client", {})])
    policy_make(realm, "first", [(ROLES, {"roles": ["a"]}), ("client-access-type", {"type": ["confidential"]})], ["rotation"])
    policy_make(realm, "second", [(ROLES, {"roles": ["b"]})], ["rotation", "confidential"])
    return realm


def _raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _first(realm) -> ClientPolicy:
    return ClientPolicy.objects.get(realm=realm, name="first")


def _rotation(realm) -> ClientProfile:
    return ClientProfile.objects.get(realm=realm, name="rotation")


# Every kind of change of what the engine reads, each a different way of writing.
CHANGES = {
    # policies
    "service: policy created": lambda r: services.policy_create(realm=r, name="third"),
    "service: policy disabled": lambda r: services.policy_set_enabled(realm=r, policy=_first(r), enabled=False),
    "service: policy renamed": lambda r: services.policy_update(realm=r, policy=_first(r), name="renamed", description="", enabled=True),
    "service: policy deleted": lambda r: services.policy_delete(realm=r, policy=_first(r)),
    "service: policies document replaced": lambda r: services.policies_replace(realm=r, representation={"policies": []}),
    "save: policy moved": lambda r: ClientPolicy.objects.filter(pk=_first(r).pk).update(position=9),
    "bulk_update: policies enabled flag": lambda r: ClientPolicy.objects.bulk_update(
        [ClientPolicy(pk=p.pk, enabled=False) for p in ClientPolicy.objects.filter(realm=r)], ["enabled"]),
    "raw SQL: policy disabled": lambda r: _raw("UPDATE policies_clientpolicy SET enabled = %s WHERE id = %s", [False, _first(r).pk]),
    "raw SQL: policy deleted": lambda r: (
        _raw("DELETE FROM policies_clientpolicycondition WHERE policy_id = %s", [_first(r).pk]),
        _raw("DELETE FROM policies_clientpolicyprofile WHERE policy_id = %s", [_first(r).pk]),
        _raw("DELETE FROM policies_clientpolicy WHERE id = %s", [_first(r).pk]),
    ),
    # conditions
    "service: condition added": lambda r: services.policy_condition_add(realm=r, policy=_first(r), condition=ROLES, configuration={"roles": ["c"]}),
    "service: condition changed": lambda r: services.policy_condition_update(realm=r, policy=_first(r), index=0, configuration={"roles": ["z"]}),
    "service: condition deleted": lambda r: services.policy_condition_delete(realm=r, policy=_first(r), index=0),
    "bulk_create: condition": lambda r: ClientPolicyCondition.objects.bulk_create(
        [ClientPolicyCondition(policy=_first(r), position=5, provider_id=ROLES, configuration={"roles": ["d"]})]),
    "bulk_update: condition configuration": lambda r: ClientPolicyCondition.objects.bulk_update(
        [ClientPolicyCondition(pk=c.pk, configuration={"roles": ["y"]}) for c in ClientPolicyCondition.objects.filter(policy=_first(r))],
        ["configuration"]),
    "update(): condition moved": lambda r: ClientPolicyCondition.objects.filter(policy=_first(r), position=0).update(position=7),
    "raw SQL: condition configuration": lambda r: _raw(
        "UPDATE policies_clientpolicycondition SET configuration = %s WHERE policy_id = %s", ['{"roles":["x"]}', _first(r).pk]),
    # profile references
    "service: profile reference added": lambda r: services.policy_profiles_add(realm=r, policy=_first(r), profile_names=["confidential"]),
    "service: profile reference removed": lambda r: services.policy_profiles_remove(realm=r, policy=_first(r), profile_name="rotation"),
    "bulk_create: profile reference": lambda r: ClientPolicyProfile.objects.bulk_create(
        [ClientPolicyProfile(policy=_first(r), position=3, profile_name="confidential")]),
    "raw SQL: profile reference renamed": lambda r: _raw(
        "UPDATE policies_clientpolicyprofile SET profile_name = %s WHERE policy_id = %s", ["confidential", _first(r).pk]),
    # profiles
    "service: profile renamed": lambda r: services.profile_update(realm=r, profile=_rotation(r), name="weekly", description=""),
    "service: profile deleted": lambda r: services.profile_delete(realm=r, profile=_rotation(r)),
    "service: profiles document replaced": lambda r: services.profiles_replace(realm=r, representation={"profiles": []}),
    "update(): profile renamed": lambda r: ClientProfile.objects.filter(pk=_rotation(r).pk).update(name="other"),
    "raw SQL: profile renamed": lambda r: _raw("UPDATE policies_clientprofile SET name = %s WHERE id = %s", ["raw", _rotation(r).pk]),
    # executors
    "service: executor added": lambda r: services.profile_executor_add(realm=r, profile=_rotation(r), executor="confidential-client", configuration={}),
    "service: executor changed": lambda r: services.profile_executor_update(
        realm=r, profile=_rotation(r), index=0, configuration={**ROTATION, "expiration-period": "7200"}),
    "service: executor deleted": lambda r: services.profile_executor_delete(realm=r, profile=_rotation(r), index=0),
    "bulk_update: executor configuration": lambda r: ClientProfileExecutor.objects.bulk_update(
        [ClientProfileExecutor(pk=e.pk, configuration={**ROTATION, "expiration-period": "60"})
         for e in ClientProfileExecutor.objects.filter(profile=_rotation(r))], ["configuration"]),
    "raw SQL: executor configuration": lambda r: _raw(
        "UPDATE policies_clientprofileexecutor SET configuration = %s WHERE profile_id = %s",
        ['{"expiration-period":"99","rotated-expiration-period":"9","remaining-rotation-period":"9"}', _rotation(r).pk]),
    "update(): executor moved to another profile": lambda r: ClientProfileExecutor.objects.filter(profile=_rotation(r)).update(
        profile=ClientProfile.objects.get(realm=r, name="confidential")),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_moves_the_version_and_the_next_load_sees_it(configured, change):
    before = _version(configured)
    loaded = policies_load(configured)
    assert policies_load(configured) is loaded
    CHANGES[change](configured)
    assert _version(configured) not in (None, before)
    after = policies_load(configured)
    assert after is not loaded
    # Exactly what a worker that never saw the realm builds from the rows now stored.
    engine._built.clear()
    assert _shape(after) == _shape(policies_load(configured))


@pytest.mark.parametrize(
    "change",
    [
        lambda r: services.policy_update(realm=r, policy=_first(r), name="first", description="described", enabled=True),
        lambda r: services.profile_update(realm=r, profile=_rotation(r), name="rotation", description="described"),
        lambda r: ClientPolicy.objects.filter(realm=r).update(conditions_listed=False, profiles_listed=False),
        lambda r: ClientProfile.objects.filter(realm=r).update(executors_listed=False),
    ],
    ids=["policy description", "profile description", "policy listed flags", "profile listed flag"],
)
def test_what_the_engine_does_not_read_leaves_the_version(configured, change):
    before = _version(configured)
    loaded = policies_load(configured)
    change(configured)
    assert _version(configured) == before
    assert policies_load(configured) is loaded


def test_a_load_costs_one_query_while_the_version_stays(configured, django_assert_num_queries):
    with CaptureQueriesContext(connection) as built:
        loaded = policies_load(configured)
    # The version first, then the rows: policies with their conditions, references, executors.
    assert len(built.captured_queries) == 4
    assert '"policies_configversion"' in built.captured_queries[0]["sql"]
    for _ in range(3):
        with django_assert_num_queries(1):
            assert policies_load(configured) is loaded


def test_a_realm_without_policies_or_profiles_costs_one_query(db, django_assert_num_queries):
    realm = realm_create(name="empty", access_token_lifespan=300)
    assert _version(realm) is None
    with django_assert_num_queries(1):
        assert policies_load(realm).policies == ()


def test_a_realm_with_nothing_enabled_costs_one_query_once_built(db, django_assert_num_queries):
    realm = realm_create(name="idle", access_token_lifespan=300)
    profile_make(realm, "rotation", [("secret-rotation", ROTATION)])
    policy_make(realm, "off", [(ROLES, {"roles": ["a"]})], ["rotation"], enabled=False)
    with django_assert_num_queries(2):  # the version, then the (no) enabled policies
        loaded = policies_load(realm)
    assert loaded.policies == ()
    with django_assert_num_queries(1):
        assert policies_load(realm) is loaded


def test_two_realms_keep_their_own_versions(configured):
    other = realm_create(name="other", access_token_lifespan=300)
    profile_make(other, "rotation", [("secret-rotation", ROTATION)])
    policy_make(other, "first", [(ROLES, {"roles": ["a"]})], ["rotation"])
    mine, theirs = policies_load(configured), policies_load(other)
    versions = _version(configured), _version(other)
    assert versions[0] != versions[1]
    services.policy_set_enabled(realm=other, policy=_first(other), enabled=False)
    assert _version(configured) == versions[0] and _version(other) != versions[1]
    assert policies_load(configured) is mine
    assert policies_load(other) is not theirs and policies_load(other).policies == ()


def test_a_rolled_back_change_never_hands_its_version_out_again(configured):
    """A worker may build from rows its own transaction wrote and then rolled back."""
    policies_load(configured)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.policy_set_enabled(realm=configured, policy=_first(configured), enabled=False)
        rolled_back = policies_load(configured)
        assert [p.name for p in rolled_back.policies] == ["second"]
        raise RuntimeError("rolled back")
    # Another change, the same number of changes later: a counter would come back to the rolled
    # back value and serve the set built from rows that were never committed.
    services.policy_set_enabled(realm=configured, policy=ClientPolicy.objects.get(realm=configured, name="second"), enabled=False)
    loaded = policies_load(configured)
    assert loaded is not rolled_back
    assert [p.name for p in loaded.policies] == ["first"]


def test_the_version_is_read_before_the_rows(configured, monkeypatch):
    """A change committed between the two reads: the set is kept under the older version (its rows
    are newer), so the next load reads the newer version and builds again, never the reverse."""
    read = engine._version_read

    def then_a_concurrent_change(realm_id):
        version = read(realm_id)
        ClientPolicy.objects.filter(realm_id=realm_id, name="second").update(enabled=False)
        return version

    monkeypatch.setattr(engine, "_version_read", then_a_concurrent_change)
    raced = policies_load(configured)
    monkeypatch.setattr(engine, "_version_read", read)
    assert [p.name for p in raced.policies] == ["first"]  # the rows read after the change
    assert engine._built[configured.pk][0] != _version(configured)  # kept under the older version
    again = policies_load(configured)
    assert again is not raced and [p.name for p in again.policies] == ["first"]
    assert policies_load(configured) is again


def test_a_realm_deletion_leaves_no_version_row(configured):
    other = RealmFactory(name="kept")
    profile_make(other, "p", [("confidential-client", {})])
    realm_delete(realm=configured)
    assert not ConfigVersion.objects.filter(realm_id=configured.pk).exists()
    assert ConfigVersion.objects.filter(realm=other).exists()
    assert not ClientPolicy.objects.filter(realm_id=configured.pk).exists()


def test_rows_deleted_after_their_realm_leave_no_version_row(db):
    """Raw SQL (or a flush) may delete a realm before its policies: the foreign key's cascade took
    the version row, and the policies' triggers do not write one back for a realm that is gone
    (the version table's foreign key is checked at once: a row written back would fail here)."""
    realm = RealmFactory(name="bare")  # nothing else refers to it
    profile_make(realm, "rotation", [("secret-rotation", ROTATION)])
    policy_make(realm, "first", [(ROLES, {"roles": ["a"]})], ["rotation"])
    assert _version(realm) is not None
    _raw("DELETE FROM realms_realm WHERE id = %s", [realm.pk])
    assert not ConfigVersion.objects.filter(realm_id=realm.pk).exists()
    for table, parent, column in (("policies_clientpolicycondition", "policies_clientpolicy", "policy_id"),
                                  ("policies_clientpolicyprofile", "policies_clientpolicy", "policy_id"),
                                  ("policies_clientprofileexecutor", "policies_clientprofile", "profile_id")):
        _raw(f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM {parent} WHERE realm_id = %s)", [realm.pk])
    _raw("DELETE FROM policies_clientpolicy WHERE realm_id = %s", [realm.pk])
    _raw("DELETE FROM policies_clientprofile WHERE realm_id = %s", [realm.pk])
    assert not ConfigVersion.objects.filter(realm_id=realm.pk).exists()


def test_deleting_every_policy_and_profile_keeps_a_version_that_keeps_moving(configured):
    services.policies_replace(realm=configured, representation={"policies": []})
    services.profiles_replace(realm=configured, representation={"profiles": []})
    emptied = _version(configured)
    assert emptied is not None and policies_load(configured).policies == ()
    policy_make(configured, "back", [(ROLES, {"roles": ["a"]})], [])
    assert _version(configured) != emptied
    assert [p.name for p in policies_load(configured).policies] == ["back"]


def test_the_triggers_and_the_cascade_are_all_there(db):
    """A migration that rebuilds a policies table on SQLite drops them: it must create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s", ["%\\_version\\_%"])
            names = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT confdeltype FROM pg_constraint WHERE conrelid = 'policies_configversion'::regclass AND contype = 'f'"
            )
            cascades = [row[0] for row in cursor.fetchall()]
            expected = {f"{table}_version_{kind}" for table in VERSIONING.TABLES for kind in ("change", "update")}
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", ["%version%"])
            names = {row[0] for row in cursor.fetchall()}
            cursor.execute("PRAGMA foreign_key_list(policies_configversion)")
            cascades = ["c" if row[6] == "CASCADE" else row[6] for row in cursor.fetchall()]
            expected = set(VERSIONING.SQLITE_TRIGGERS)
    assert names == expected
    assert len(expected) == 5 * (2 if connection.vendor == "postgresql" else 3)
    assert cascades == ["c"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_realms_a_version():
    executor = MigrationExecutor(connection)
    before = [("policies", "0003_realm_moved")]
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)  # the other apps stay as they are: only this table and its triggers go
        assert "policies_configversion" not in connection.introspection.table_names()
        with_policy = RealmFactory(name="with-policy")
        with_profile = RealmFactory(name="with-profile")
        bare = RealmFactory(name="bare")
        ClientPolicy.objects.create(realm=with_policy, name="p", enabled=True)
        ClientProfile.objects.create(realm=with_profile, name="q")
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        assert set(ConfigVersion.objects.values_list("realm_id", flat=True)) == {with_policy.pk, with_profile.pk}
        assert [p.name for p in policies_load(with_policy.pk).policies] == ["p"]
        assert policies_load(bare.pk).policies == ()
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
