"""A per-realm configuration version, kept by triggers on this app's tables.

``policies.engine.policies_load`` read a realm's enabled configuration (up to four queries) on
every admin write to compare it with what the worker built last. ``policies_configversion`` holds
one row per realm whose value changes in the transaction of every change of what that read reads:
a client policy inserted or deleted, or its id, realm, name, enabled flag or position changed; a
profile inserted or deleted, or its id, realm or name changed; any insert, update or delete of a
condition, a profile reference or an executor. Whichever code makes the change (services, bulk
writes, the JSON editors, import commands, a realm import, raw SQL), the engine reads the one row
and rebuilds only when its value is not the one it built from.

The value is never handed out twice, even by a transaction that rolled back, so a worker that
built a set inside a rolled-back transaction, or for a deleted realm whose id comes back (SQLite
reuses it after a rollback), never meets its version again: on PostgreSQL ``nextval`` of a
sequence (sequences ignore rollbacks), on SQLite ``random()`` (64 bits; SQLite has nothing
outside transactions). A counter plus one would come back after a rollback.

A realm's row goes with the realm through the table's own foreign key ``ON DELETE CASCADE``
(created here, on both databases): Django deletes a realm's policies and profiles before the realm
row, and their triggers write the version row meanwhile; the realm's DELETE then removes it.
Django's model says ``DO_NOTHING`` so that it does not delete the row earlier. The triggers write
a version only for a realm that is still there (they read ``realms_realm``): rows deleted after
their realm (a flush, raw SQL) leave nothing behind. No trigger sits on another app's table.

A later migration that rebuilds one of these tables on SQLite (Django copies the table) drops its
triggers, and one that rebuilds ``policies_configversion`` drops the cascade: it must create them
again (``SQLITE_CREATE``, ``TABLE``); ``tests/policies/test_config_version.py`` checks both. The
trigger bodies also name ``realms_realm``, ``policies_clientpolicy`` and ``policies_clientprofile``:
SQLite refuses to rename a rebuilt copy of one of those into place while the triggers exist, so a
migration that rebuilds one of them (the realm table included) runs ``SQLITE_DROP`` first and
``SQLITE_CREATE`` after. On PostgreSQL a ``TRUNCATE`` fires no row trigger: the version does not
move (the README says what to do after one).
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "policies_configversion"
SEQUENCE = "policies_configversion_seq"
NEXT = {"postgresql": f"nextval('{SEQUENCE}')", "sqlite": "random()"}

CREATE_TABLE = (f'CREATE TABLE "{TABLE}" ("realm_id" bigint NOT NULL PRIMARY KEY '
                f'REFERENCES "realms_realm" ("id") ON DELETE CASCADE, "version" bigint NOT NULL);')

# The tables with a realm column, and the columns the engine reads: an UPDATE of another one (a
# description, the "listed" flags) leaves the version alone.
PARENTS = {
    "policies_clientpolicy": ("id", "realm_id", "name", "enabled", "position"),
    "policies_clientprofile": ("id", "realm_id", "name"),
}
# The tables whose rows reach their realm through a parent (table, column); every column is read.
CHILDREN = {
    "policies_clientpolicycondition": ("policies_clientpolicy", "policy_id"),
    "policies_clientpolicyprofile": ("policies_clientpolicy", "policy_id"),
    "policies_clientprofileexecutor": ("policies_clientprofile", "profile_id"),
}


def _bump(vendor: str, table: str, row: str) -> str:
    """A fresh version for the realm of ``row`` (OLD or NEW) of ``table``.

    Only for a realm that is still there: whoever deletes a realm's rows after the realm (a flush,
    raw SQL; Django's cascade deletes the realm last) must not write a row that references none.
    SQLite wants a WHERE before ON CONFLICT when the values come from a SELECT."""
    if table in PARENTS:
        source = f" FROM realms_realm r WHERE r.id = {row}.realm_id"
    else:
        parent, column = CHILDREN[table]
        # A parent already deleted in the same transaction moved the version itself.
        source = f" FROM {parent} p JOIN realms_realm r ON r.id = p.realm_id WHERE p.id = {row}.{column}"
    return (f"INSERT INTO {TABLE} (realm_id, version) SELECT r.id, {NEXT[vendor]}{source} "
            f"ON CONFLICT (realm_id) DO UPDATE SET version = excluded.version;")


def _changed(table: str, distinct: str) -> str | None:
    columns = PARENTS.get(table)
    if columns is None:
        return None
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in columns)


TABLES = (*PARENTS, *CHILDREN)


def _sqlite_trigger(table: str, event: str) -> tuple[str, str]:
    name = f"{table}_version_{event.lower()}"
    if event == "INSERT":
        body = _bump("sqlite", table, "NEW")
    elif event == "DELETE":
        body = _bump("sqlite", table, "OLD")
    else:
        body = _bump("sqlite", table, "OLD") + " " + _bump("sqlite", table, "NEW")
    changed = _changed(table, "IS NOT") if event == "UPDATE" else None
    when = f" WHEN {changed}" if changed else ""
    return name, f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {body} END;"


SQLITE_TRIGGERS = dict(_sqlite_trigger(table, event) for table in TABLES for event in ("INSERT", "UPDATE", "DELETE"))
SQLITE_CREATE = list(SQLITE_TRIGGERS.values())
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


def _pg_function(table: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {table}_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump("postgresql", table, "OLD")} END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN {_bump("postgresql", table, "NEW")} END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {table}_version_change ON {table};
CREATE TRIGGER {table}_version_change AFTER INSERT OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_version();
DROP TRIGGER IF EXISTS {table}_version_update ON {table};
CREATE TRIGGER {table}_version_update AFTER UPDATE ON {table}
  FOR EACH ROW {f"WHEN ({_changed(table, 'IS DISTINCT FROM')}) " if table in PARENTS else ""}EXECUTE FUNCTION {table}_version();
"""


PG_CREATE = f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE};" + "".join(_pg_function(table) for table in TABLES)
PG_DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_version_change ON {table};"
                  f"DROP TRIGGER IF EXISTS {table}_version_update ON {table};"
                  f"DROP FUNCTION IF EXISTS {table}_version();" for table in TABLES) + f"DROP SEQUENCE IF EXISTS {SEQUENCE};"


def _populate(vendor: str) -> str:
    """A version for every realm that already has policies or profiles, in the triggers' transaction."""
    return (f"INSERT INTO {TABLE} (realm_id, version) SELECT realm_id, {NEXT[vendor]} FROM "
            "(SELECT realm_id FROM policies_clientpolicy UNION SELECT realm_id FROM policies_clientprofile) AS realms")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(CREATE_TABLE)
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    else:
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    schema_editor.execute(_populate(vendor))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    schema_editor.execute(f'DROP TABLE IF EXISTS "{TABLE}";')


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0003_realm_moved"),
        ("realms", "0004_realm_representation_and_events_config"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ConfigVersion",
                    fields=[
                        ("realm", models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING,
                                                       primary_key=True, related_name="+", serialize=False,
                                                       to="realms.realm")),
                        ("version", models.BigIntegerField()),
                    ],
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        ),
    ]
