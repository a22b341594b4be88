"""The expiry-day counts of a deleted realm go with its last client, not by a trigger on the realm.

0011 cleared a deleted realm's ``clients_secretexpirycount`` rows with a trigger on
``realms_realm``, a table of another app. The clients app now does it on its own table: when a
client is deleted and its realm has no client left, the realm's count rows are deleted, after the
deleted client's own adjustment and in the same trigger (on SQLite, triggers on one event fire in
no promised order, so it cannot be a second trigger).

A realm deletion deletes the realm's clients before the realm (their foreign key holds it), so
whichever order Django's cascade takes (the counts first, then the clients' triggers adding rows
back; or the clients first), the last client's trigger leaves no row. A realm that has no clients
has no rows its cascade does not delete. Only ``clients_client``'s DELETE changes: the INSERT and
UPDATE triggers and the secret triggers are as 0011 made them.
"""

import importlib

from django.db import migrations

COUNTS = importlib.import_module("clients.migrations.0011_secret_expiry_counts")
TABLE = COUNTS.TABLE

# After the deleted client's adjustment: its realm's rows, once the realm has no client left.
REALM_EMPTIED = (f"DELETE FROM {TABLE} WHERE realm_id = OLD.realm_id "
                 "AND NOT EXISTS (SELECT 1 FROM clients_client c WHERE c.realm_id = OLD.realm_id);")

SQLITE_DELETE = "clients_client_expiry_count_delete"
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS realms_realm_expiry_count_delete;",
    f"DROP TRIGGER IF EXISTS {SQLITE_DELETE};",
    f"CREATE TRIGGER {SQLITE_DELETE} AFTER DELETE ON clients_client BEGIN {COUNTS._client('-1', 'OLD')} {REALM_EMPTIED} END;",
]
# Every expiry-count trigger on SQLite as of this migration: what a later migration that rebuilds
# clients_client or clients_clientsecret on SQLite (Django copies the table, dropping its
# triggers) runs again.
SQLITE_CREATE = [statement for statement in COUNTS.SQLITE_CREATE
                 if "realms_realm_expiry_count_delete" not in statement and SQLITE_DELETE not in statement]
SQLITE_CREATE.append(SQLITE_FORWARD[-1])
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {SQLITE_DELETE};", *COUNTS.SQLITE_CREATE]

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION clients_client_expiry_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {COUNTS._client("-1", "OLD")} END IF;
  IF TG_OP = 'DELETE' THEN {REALM_EMPTIED} END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN {COUNTS._client("1", "NEW")} END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS realms_realm_expiry_count_delete ON realms_realm;
DROP FUNCTION IF EXISTS realms_realm_expiry_count();
"""

# Rows a realm deleted before this migration may have left behind (none, with 0011's trigger).
ORPHANS = f"DELETE FROM {TABLE} WHERE realm_id NOT IN (SELECT id FROM realms_realm)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    else:
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    schema_editor.execute(ORPHANS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COUNTS.PG_CREATE)
    else:
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0012_rotated_secret_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
