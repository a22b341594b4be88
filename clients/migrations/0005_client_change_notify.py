"""PostgreSQL: NOTIFY oidc_client_changed on every change of a client or client secret row.

Keeps the per-worker client cache of the token endpoint exact (``oidc.client_cache``). Nothing on
other databases (they run without that cache). The triggers sit on this app's tables, so this app
installs them; databases where ``oidc.0003_client_change_notify`` installed them before get the
same function and triggers again (replaced, never doubled).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION oidc_client_changed() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('oidc_client_changed', '*');
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'clients_client' THEN
    IF TG_OP = 'DELETE' THEN PERFORM pg_notify('oidc_client_changed', OLD.id::text);
    ELSE PERFORM pg_notify('oidc_client_changed', NEW.id::text); END IF;
  ELSE
    IF TG_OP = 'DELETE' THEN PERFORM pg_notify('oidc_client_changed', OLD.client_id::text);
    ELSE PERFORM pg_notify('oidc_client_changed', NEW.client_id::text); END IF;
    IF TG_OP = 'UPDATE' AND OLD.client_id IS DISTINCT FROM NEW.client_id THEN
      PERFORM pg_notify('oidc_client_changed', OLD.client_id::text);
    END IF;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS oidc_client_changed_row ON clients_client;
CREATE TRIGGER oidc_client_changed_row AFTER INSERT OR UPDATE OR DELETE ON clients_client
  FOR EACH ROW EXECUTE FUNCTION oidc_client_changed();
DROP TRIGGER IF EXISTS oidc_client_changed_truncate ON clients_client;
CREATE TRIGGER oidc_client_changed_truncate AFTER TRUNCATE ON clients_client
  FOR EACH STATEMENT EXECUTE FUNCTION oidc_client_changed();
DROP TRIGGER IF EXISTS oidc_clientsecret_changed_row ON clients_clientsecret;
CREATE TRIGGER oidc_clientsecret_changed_row AFTER INSERT OR UPDATE OR DELETE ON clients_clientsecret
  FOR EACH ROW EXECUTE FUNCTION oidc_client_changed();
DROP TRIGGER IF EXISTS oidc_clientsecret_changed_truncate ON clients_clientsecret;
CREATE TRIGGER oidc_clientsecret_changed_truncate AFTER TRUNCATE ON clients_clientsecret
  FOR EACH STATEMENT EXECUTE FUNCTION oidc_client_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS oidc_client_changed_row ON clients_client;
DROP TRIGGER IF EXISTS oidc_client_changed_truncate ON clients_client;
DROP TRIGGER IF EXISTS oidc_clientsecret_changed_row ON clients_clientsecret;
DROP TRIGGER IF EXISTS oidc_clientsecret_changed_truncate ON clients_clientsecret;
DROP FUNCTION IF EXISTS oidc_client_changed();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_realm_moved"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
