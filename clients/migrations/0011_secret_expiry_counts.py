"""Per-realm counts of confidential clients by their current secret's UTC expiry day, kept by triggers.

The Secret rotation summary and chart (``clients.rotation``) counted every confidential client of
the realm on each request. ``clients_secretexpirycount`` holds, per realm and day
(``expiration_time // 86400``; -1 for a client without a current secret or with one without
expiry), how many confidential clients have their current secret there. Database triggers keep it
in the transaction of every change, whichever code makes it (services, bulk actions, the rotation
executor, the expiry sweep, a realm import, raw SQL): a client inserted, deleted, moved to another
realm or made public/bearer-only, and a current secret inserted, deleted or given another expiry.
Usage stamps (last use, use count) and key re-encryption do not touch it (the UPDATE triggers fire
only when the kind, the expiry or the client changes).

Every trigger touches the realm's -1 row first, so that concurrent writers on PostgreSQL lock the
rows of a realm in the same order.

A later migration that rebuilds ``clients_client`` or ``clients_clientsecret`` on SQLite (Django
copies the table) drops these triggers, as it drops those of 0008: it must create them again, as
0013 left them (its ``SQLITE_CREATE``; ``tests/clients/test_rotation_counts.py`` checks they are
all there). 0013 also replaced the trigger on ``realms_realm`` below by one on ``clients_client``.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "clients_secretexpirycount"
DAY = 86400


def _add(realm: str, day: str, delta: str, where: str, source: str = "") -> str:
    """Add ``delta`` to the (realm, day) row, creating it; nothing when ``where`` is false."""
    return (f"INSERT INTO {TABLE} (realm_id, day, n) SELECT {realm}, {day}, {delta}{source} WHERE {where} "
            f"ON CONFLICT (realm_id, day) DO UPDATE SET n = {TABLE}.n + excluded.n;")


def _confidential(row: str) -> str:
    return f"NOT {row}.public_client AND NOT {row}.bearer_only"


def _client_day(client_id: str) -> str:
    """The day of a client's current secret, from the table as it is now; -1 without one."""
    return (f"COALESCE((SELECT s.expiration_time / {DAY} FROM clients_clientsecret s WHERE s.client_id = {client_id} "
            f"AND s.kind = 'current' AND s.expiration_time > 0), -1)")


def _client(sign: str, row: str) -> str:
    """A client row (OLD or NEW) taken out of (sign -1) or put into (+1) its realm's counts."""
    day = _client_day(f"{row}.id")
    return (_add(f"{row}.realm_id", "-1", f"CASE WHEN {day} = -1 THEN {sign} ELSE 0 END", _confidential(row))
            + " " + _add(f"{row}.realm_id", day, sign, f"{_confidential(row)} AND {day} <> -1"))


def _secret(sign: str, row: str) -> str:
    """A current secret row (OLD or NEW) taken from (-1) or given to (+1) its client: the client
    moves between the -1 row and the secret's day. Nothing for a rotated secret or a client that
    is not confidential (or, during a deletion, no longer there)."""
    where = f"c.id = {row}.client_id AND {_confidential('c')} AND {row}.kind = 'current'"
    day = f"CASE WHEN {row}.expiration_time > 0 THEN {row}.expiration_time / {DAY} ELSE -1 END"
    opposite = "1" if sign == "-1" else "-1"
    source = " FROM clients_client c"
    return _add("c.realm_id", "-1", opposite, where, source) + " " + _add("c.realm_id", day, sign, where, source)


CLIENT_CHANGED = "OLD.realm_id <> NEW.realm_id OR OLD.public_client <> NEW.public_client OR OLD.bearer_only <> NEW.bearer_only"
SECRET_CHANGED = ("OLD.kind <> NEW.kind OR OLD.client_id <> NEW.client_id "
                  "OR OLD.expiration_time IS DISTINCT FROM NEW.expiration_time")

SQLITE_TRIGGERS = {
    "clients_client_expiry_count_insert": ("AFTER INSERT ON clients_client", _client("1", "NEW")),
    "clients_client_expiry_count_delete": ("AFTER DELETE ON clients_client", _client("-1", "OLD")),
    "clients_client_expiry_count_update": (f"AFTER UPDATE ON clients_client WHEN {CLIENT_CHANGED}",
                                           _client("-1", "OLD") + " " + _client("1", "NEW")),
    "clients_clientsecret_expiry_count_insert": ("AFTER INSERT ON clients_clientsecret", _secret("1", "NEW")),
    "clients_clientsecret_expiry_count_delete": ("AFTER DELETE ON clients_clientsecret", _secret("-1", "OLD")),
    "clients_clientsecret_expiry_count_update": (
        f"AFTER UPDATE ON clients_clientsecret WHEN {SECRET_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')}",
        _secret("-1", "OLD") + " " + _secret("1", "NEW"),
    ),
}
# A realm's row goes last in its deletion (after its clients and secrets, whose triggers may have
# added rows back after Django deleted the realm's counts): its counts go with it.
REALM_DELETED = f"DELETE FROM {TABLE} WHERE realm_id = OLD.id;"
SQLITE_TRIGGERS["realms_realm_expiry_count_delete"] = ("AFTER DELETE ON realms_realm", REALM_DELETED)

SQLITE_CREATE = [f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {body} END;"
                 for name, (when, body) in SQLITE_TRIGGERS.items()]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION clients_client_expiry_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_client("-1", "OLD")} END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN {_client("1", "NEW")} END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION clients_clientsecret_expiry_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_secret("-1", "OLD")} END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN {_secret("1", "NEW")} END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS clients_client_expiry_count_change ON clients_client;
CREATE TRIGGER clients_client_expiry_count_change AFTER INSERT OR DELETE ON clients_client
  FOR EACH ROW EXECUTE FUNCTION clients_client_expiry_count();
DROP TRIGGER IF EXISTS clients_client_expiry_count_update ON clients_client;
CREATE TRIGGER clients_client_expiry_count_update AFTER UPDATE ON clients_client
  FOR EACH ROW WHEN ({CLIENT_CHANGED}) EXECUTE FUNCTION clients_client_expiry_count();
DROP TRIGGER IF EXISTS clients_clientsecret_expiry_count_change ON clients_clientsecret;
CREATE TRIGGER clients_clientsecret_expiry_count_change AFTER INSERT OR DELETE ON clients_clientsecret
  FOR EACH ROW EXECUTE FUNCTION clients_clientsecret_expiry_count();
CREATE OR REPLACE FUNCTION realms_realm_expiry_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {REALM_DELETED}
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS realms_realm_expiry_count_delete ON realms_realm;
CREATE TRIGGER realms_realm_expiry_count_delete AFTER DELETE ON realms_realm
  FOR EACH ROW EXECUTE FUNCTION realms_realm_expiry_count();
DROP TRIGGER IF EXISTS clients_clientsecret_expiry_count_update ON clients_clientsecret;
CREATE TRIGGER clients_clientsecret_expiry_count_update AFTER UPDATE ON clients_clientsecret
  FOR EACH ROW WHEN ({SECRET_CHANGED}) EXECUTE FUNCTION clients_clientsecret_expiry_count();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS clients_client_expiry_count_change ON clients_client;
DROP TRIGGER IF EXISTS clients_client_expiry_count_update ON clients_client;
DROP TRIGGER IF EXISTS clients_clientsecret_expiry_count_change ON clients_clientsecret;
DROP TRIGGER IF EXISTS clients_clientsecret_expiry_count_update ON clients_clientsecret;
DROP TRIGGER IF EXISTS realms_realm_expiry_count_delete ON realms_realm;
DROP FUNCTION IF EXISTS realms_realm_expiry_count();
DROP FUNCTION IF EXISTS clients_client_expiry_count();
DROP FUNCTION IF EXISTS clients_clientsecret_expiry_count();
"""

# The counts of the clients already there, in the same transaction as the triggers' creation.
POPULATE = f"""
INSERT INTO {TABLE} (realm_id, day, n)
SELECT c.realm_id, CASE WHEN s.expiration_time > 0 THEN s.expiration_time / {DAY} ELSE -1 END, COUNT(*)
FROM clients_client c LEFT JOIN clients_clientsecret s ON s.client_id = c.id AND s.kind = 'current'
WHERE {_confidential('c')}
GROUP BY 1, 2
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    else:
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    schema_editor.execute(POPULATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    else:
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0010_role_change_triggers"),
        ("realms", "0004_realm_representation_and_events_config"),
    ]

    operations = [
        migrations.CreateModel(
            name="SecretExpiryCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.BigIntegerField()),
                ("n", models.BigIntegerField(default=0)),
                ("realm", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="realms.realm")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("realm", "day"), name="secretexpirycount_realm_day")],
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
