"""A database made before the realms app existed migrates forward with nothing lost.

Realm, AdminEvent, LoginEvent and ClientAuthFailure moved from adminconsole to realms: their rows,
the other apps' foreign keys to the realm, and the realm-management permissions users hold (Django
permissions hang on the model's content type) all carry over. On PostgreSQL, the client-change
triggers an older database already has are replaced, never doubled.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from realms import permissions

# The last migrations before the move, per app.
BEFORE = [
    ("adminconsole", "0006_client_auth_lockout"),
    ("clients", "0003_sec_lockout"),
    ("oidc", "0004_sec_sessions"),
    ("policies", "0002_representation_verbatim"),
]
# What oidc.0003 installed on such a database.
OLD_TRIGGERS = """
CREATE OR REPLACE FUNCTION oidc_client_changed() RETURNS trigger AS $$
BEGIN RETURN NULL; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER oidc_client_changed_row AFTER INSERT OR UPDATE OR DELETE ON clients_client
  FOR EACH ROW EXECUTE FUNCTION oidc_client_changed();
CREATE TRIGGER oidc_client_changed_truncate AFTER TRUNCATE ON clients_client
  FOR EACH STATEMENT EXECUTE FUNCTION oidc_client_changed();
CREATE TRIGGER oidc_clientsecret_changed_row AFTER INSERT OR UPDATE OR DELETE ON clients_clientsecret
  FOR EACH ROW EXECUTE FUNCTION oidc_client_changed();
CREATE TRIGGER oidc_clientsecret_changed_truncate AFTER TRUNCATE ON clients_clientsecret
  FOR EACH STATEMENT EXECUTE FUNCTION oidc_client_changed();
"""


def _triggers() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_old_database_migrates_forward_keeping_rows_foreign_keys_and_permissions():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    assert "adminconsole_realm" in connection.introspection.table_names()
    Realm, Client = old.get_model("adminconsole", "Realm"), old.get_model("clients", "Client")
    AdminEvent, RealmKey = old.get_model("adminconsole", "AdminEvent"), old.get_model("oidc", "RealmKey")
    ClientPolicy = old.get_model("policies", "ClientPolicy")
    realm = Realm.objects.create(name="acme", display_name="Acme")
    Client.objects.create(realm=realm, client_id="app")
    AdminEvent.objects.create(realm=realm, time=1, operation_type="CREATE", resource_type="CLIENT", resource_path="clients/x")
    RealmKey.objects.create(realm=realm, kid="k1", private_key_encrypted="x", public_jwk={}, created=1)
    ClientPolicy.objects.create(realm=realm, name="p")
    ContentType.objects.clear_cache()
    realm_type = ContentType.objects.get_or_create(app_label="adminconsole", model="realm")[0]
    assert not ContentType.objects.filter(app_label="realms").exists()
    view_realm = Permission.objects.get_or_create(content_type=realm_type, codename="view_realm", defaults={"name": "view-realm"})[0]
    user = get_user_model().objects.create_user(username="auditor", password="x")
    user.user_permissions.add(view_realm)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(OLD_TRIGGERS)

    call_command("migrate", verbosity=0)
    ContentType.objects.clear_cache()

    from clients.models import Client as NewClient
    from oidc.models import RealmKey as NewRealmKey
    from policies.models import ClientPolicy as NewClientPolicy
    from realms.models import AdminEvent as NewAdminEvent
    from realms.models import Realm as NewRealm

    tables = connection.introspection.table_names()
    assert "realms_realm" in tables and "adminconsole_realm" not in tables
    acme = NewRealm.objects.get(name="acme")
    assert acme.display_name == "Acme" and acme.pk == realm.pk
    assert NewClient.objects.get(client_id="app").realm == acme
    assert NewAdminEvent.objects.get().realm == acme
    assert NewRealmKey.objects.get(kid="k1").realm == acme
    assert NewClientPolicy.objects.get(name="p").realm == acme
    assert NewRealm.objects.create(name="after").pk > acme.pk  # the id sequence came along
    assert not ContentType.objects.filter(app_label="adminconsole").exists()
    assert ContentType.objects.get_for_model(NewRealm).pk == realm_type.pk
    user = get_user_model().objects.get(username="auditor")
    assert permissions.has(user, permissions.VIEW_REALM)
    assert not permissions.has(user, permissions.MANAGE_REALM)
    if connection.vendor == "postgresql":
        assert _triggers() == [
            ("clients_client_expiry_count_change", "clients_client"),
            ("clients_client_expiry_count_update", "clients_client"),
            ("clients_clientsecret_expiry_count_change", "clients_clientsecret"),
            ("clients_clientsecret_expiry_count_update", "clients_clientsecret"),
            ("oidc_client_changed_row", "clients_client"),
            ("oidc_client_changed_truncate", "clients_client"),
            ("oidc_clientrole_changed_row", "clients_clientrole"),
            ("oidc_clientrole_changed_truncate", "clients_clientrole"),
            ("oidc_clientsecret_changed_row", "clients_clientsecret"),
            ("oidc_clientsecret_changed_truncate", "clients_clientsecret"),
            # The configuration version's (policies 0004), on the policies app's own tables
            ("policies_clientpolicy_version_change", "policies_clientpolicy"),
            ("policies_clientpolicy_version_update", "policies_clientpolicy"),
            ("policies_clientpolicycondition_version_change", "policies_clientpolicycondition"),
            ("policies_clientpolicycondition_version_update", "policies_clientpolicycondition"),
            ("policies_clientpolicyprofile_version_change", "policies_clientpolicyprofile"),
            ("policies_clientpolicyprofile_version_update", "policies_clientpolicyprofile"),
            ("policies_clientprofile_version_change", "policies_clientprofile"),
            ("policies_clientprofile_version_update", "policies_clientprofile"),
            ("policies_clientprofileexecutor_version_change", "policies_clientprofileexecutor"),
            ("policies_clientprofileexecutor_version_update", "policies_clientprofileexecutor"),
        ]
        with connection.cursor() as cursor:  # the real function replaced the old one
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'oidc_client_changed'")
            (source,) = cursor.fetchone()
        assert "pg_notify" in source


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
