"""Keycloak's built-in ``realm-management`` client, with its six roles, in realm master when it
exists (a master made later gets it from ``users.services.realm_management_ensure``)."""

from django.db import migrations

ROLES = ("view-realm", "manage-realm", "view-clients", "manage-clients", "view-users", "manage-users")


def forwards(apps, schema_editor):
    Realm = apps.get_model("realms", "Realm")
    Client = apps.get_model("clients", "Client")
    ClientRole = apps.get_model("clients", "ClientRole")
    for realm in Realm.objects.filter(name="master"):
        client, _ = Client.objects.get_or_create(
            realm=realm,
            client_id="realm-management",
            defaults={"name": "${client_realm-management}", "bearer_only": True, "standard_flow_enabled": False},
        )
        for role in ROLES:
            ClientRole.objects.get_or_create(
                client=client, name=role, defaults={"description": "${role_" + role.replace("-", "_") + "}"}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        ("clients", "0008_sqlite_change_counter"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
