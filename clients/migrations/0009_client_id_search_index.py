"""PostgreSQL: a trigram index for searching clients by a Client ID substring.

The console's client search, the Secret rotation page's search and the Admin API's
``GET /clients?clientId=x&search=true`` all ask ``client_id__icontains``, which Django writes as
``UPPER(client_id::text) LIKE UPPER('%x%')``: without this index a scan of every client (at
100,000 clients, the slowest part of those pages). The index is on that same expression, so the
planner uses it for searches of three characters or more.

``pg_trgm`` is a trusted extension (PostgreSQL 13+): the database owner may create it. Where it
cannot be created, the migration leaves the index out and searches scan, as before; nothing else
depends on it. Nothing on other databases.
"""

from django.db import DatabaseError, migrations, transaction

INDEX = "clients_client_client_id_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint: a refusal undoes only this
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS {INDEX} ON clients_client USING gin ((UPPER("client_id"::text)) gin_trgm_ops)'
            )
    except DatabaseError:
        return


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0008_sqlite_change_counter")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
