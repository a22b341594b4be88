"""The client cache's triggers on client roles: a role change tells every worker, like a secret's.

The per-worker client cache (``oidc.client_cache``) keeps each client's role names with its rows,
so that client-roles policy conditions cost the token path no query. A role inserted, renamed,
moved or deleted must then drop the client from every worker's cache, by the same two channels as
the client and secret rows:

* PostgreSQL: ``NOTIFY oidc_client_changed`` with the role's client id (the function of
  ``0005_client_change_notify``, which reads ``client_id`` on every table but ``clients_client``),
  and ``*`` on a TRUNCATE;
* SQLite: a row in the change log ``clients_clientchange`` of ``0008_sqlite_change_counter``, in
  the transaction of the change. A later migration that rebuilds ``clients_clientrole`` on SQLite
  drops these triggers: the cache then stays off (it counts them) until ``SQLITE_CREATE`` runs again.
"""

from django.db import migrations

ROLE_TABLE = "clients_clientrole"

PG_CREATE = f"""
DROP TRIGGER IF EXISTS oidc_clientrole_changed_row ON {ROLE_TABLE};
CREATE TRIGGER oidc_clientrole_changed_row AFTER INSERT OR UPDATE OR DELETE ON {ROLE_TABLE}
  FOR EACH ROW EXECUTE FUNCTION oidc_client_changed();
DROP TRIGGER IF EXISTS oidc_clientrole_changed_truncate ON {ROLE_TABLE};
CREATE TRIGGER oidc_clientrole_changed_truncate AFTER TRUNCATE ON {ROLE_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION oidc_client_changed();
"""
PG_DROP = f"""
DROP TRIGGER IF EXISTS oidc_clientrole_changed_row ON {ROLE_TABLE};
DROP TRIGGER IF EXISTS oidc_clientrole_changed_truncate ON {ROLE_TABLE};
"""

SQLITE_TRIGGERS = tuple(f"{ROLE_TABLE}_changed_{event}" for event in ("insert", "update", "delete"))
_PRUNE = "DELETE FROM clients_clientchange WHERE seq <= (SELECT MAX(seq) FROM clients_clientchange) - 1000;"
SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {ROLE_TABLE}_changed_insert AFTER INSERT ON {ROLE_TABLE} "
    f"BEGIN INSERT INTO clients_clientchange (client) VALUES (NEW.client_id); {_PRUNE} END;",
    # A role moved to another client (never done by the services, possible by hand): both are told.
    f"CREATE TRIGGER IF NOT EXISTS {ROLE_TABLE}_changed_update AFTER UPDATE ON {ROLE_TABLE} "
    "BEGIN INSERT INTO clients_clientchange (client) VALUES (NEW.client_id); "
    "INSERT INTO clients_clientchange (client) SELECT OLD.client_id WHERE OLD.client_id IS NOT NEW.client_id; "
    f"{_PRUNE} END;",
    f"CREATE TRIGGER IF NOT EXISTS {ROLE_TABLE}_changed_delete AFTER DELETE ON {ROLE_TABLE} "
    f"BEGIN INSERT INTO clients_clientchange (client) VALUES (OLD.client_id); {_PRUNE} END;",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clients", "0009_client_id_search_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
