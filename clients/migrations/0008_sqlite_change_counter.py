"""SQLite: a change log of client and client secret rows, for the per-worker client cache.

PostgreSQL tells every worker about a change with NOTIFY (``0005_client_change_notify``); SQLite
has no such channel, so triggers append the changed client's id to ``clients_clientchange`` in
the same transaction as the change. Each worker reads the rows after the last one it saw before
every cached lookup (one indexed range read, on its own read-only connection: ``oidc.client_cache``).
SQLite has one writer at a time, so the sequence numbers commit in order and a reader never skips
one. The log keeps its newest ``KEEP`` rows; a worker that finds the row it saw last gone drops
its whole cache. The seed row ``*`` means "everything" and keeps the log from ever being empty.

A migration that rebuilds ``clients_client`` or ``clients_clientsecret`` on SQLite (Django copies
the table) drops these triggers: the cache checks they are there and stays off without them
(``tests/oidc/test_client_cache.py`` fails too), so such a migration must run ``CREATE`` again.
Nothing on other databases.
"""

from django.db import migrations

KEEP = 1000
TRIGGERS = (
    "clients_client_changed_insert",
    "clients_client_changed_update",
    "clients_client_changed_delete",
    "clients_clientsecret_changed_insert",
    "clients_clientsecret_changed_update",
    "clients_clientsecret_changed_delete",
)

_LOG = "INSERT INTO clients_clientchange (client) VALUES ({row}.{column});"
_PRUNE = f"DELETE FROM clients_clientchange WHERE seq <= (SELECT MAX(seq) FROM clients_clientchange) - {KEEP};"


def _trigger(table: str, event: str, column: str) -> str:
    body = _LOG.format(row="OLD" if event == "DELETE" else "NEW", column=column)
    if event == "UPDATE" and table == "clients_clientsecret":
        # A client's id never changes; a secret row could move to another client: both are told.
        body += f" INSERT INTO clients_clientchange (client) SELECT OLD.{column} WHERE OLD.{column} IS NOT NEW.{column};"
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_changed_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {body} {_PRUNE} END;")


CREATE = [
    "CREATE TABLE IF NOT EXISTS clients_clientchange (seq INTEGER PRIMARY KEY AUTOINCREMENT, client TEXT NOT NULL);",
    "INSERT INTO clients_clientchange (client) VALUES ('*');",
    *(_trigger(table, event, column)
      for table, column in (("clients_client", "id"), ("clients_clientsecret", "client_id"))
      for event in ("INSERT", "UPDATE", "DELETE")),
]

DROP = [*(f"DROP TRIGGER IF EXISTS {name};" for name in TRIGGERS), "DROP TABLE IF EXISTS clients_clientchange;"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_role_attributes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
