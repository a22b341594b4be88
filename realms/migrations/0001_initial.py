"""Realm, AdminEvent, LoginEvent and ClientAuthFailure now belong to the realms app.

They were made by the adminconsole app's migrations 0001-0005. This migration only takes them
over in Django's migration state, on the tables that already exist; nothing is done to the
database here. ``adminconsole.0007_realm_moved`` drops them from adminconsole's state once the
other apps' foreign keys point here, and ``0002_table_names`` then gives the tables this app's
names.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import realms.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("adminconsole", "0006_client_auth_lockout"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Realm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=255, unique=True, validators=[django.core.validators.RegexValidator("^[A-Za-z0-9_.-]+$", "Use letters, digits, '.', '_' and '-' only."), realms.models.realm_name_not_dot_segment])),
                ("display_name", models.CharField(blank=True, default="", max_length=255)),
                ("enabled", models.BooleanField(default=True)),
                ("access_token_lifespan", models.PositiveIntegerField(default=300)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "db_table": "adminconsole_realm",
                "ordering": ["name"],
                "permissions": [("view_realm", "view-realm"), ("manage_realm", "manage-realm"), ("view_clients", "view-clients"), ("manage_clients", "manage-clients")],
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="AdminEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("time", models.BigIntegerField(db_index=True)),
                ("operation_type", models.CharField(choices=[("CREATE", "CREATE"), ("UPDATE", "UPDATE"), ("DELETE", "DELETE"), ("ACTION", "ACTION")], max_length=16)),
                ("resource_type", models.CharField(max_length=64)),
                ("resource_path", models.CharField(max_length=1024)),
                ("source", models.CharField(default="console", max_length=32)),
                ("auth_realm", models.CharField(blank=True, default="", max_length=255)),
                ("auth_user_id", models.CharField(blank=True, default="", max_length=255)),
                ("auth_username", models.CharField(blank=True, default="", max_length=255)),
                ("auth_client_id", models.CharField(blank=True, default="", max_length=255)),
                ("ip_address", models.CharField(blank=True, default="", max_length=64)),
                ("representation", models.TextField(blank=True, default="")),
                ("realm", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="admin_events", to="realms.realm")),
            ],
            options={
                "db_table": "adminconsole_adminevent",
                "ordering": ["-time", "-id"],
                "indexes": [models.Index(fields=["realm", "-time"], name="adminevent_realm_time")],
            },
        ),
        migrations.CreateModel(
            name="ClientAuthFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("realm_name", models.CharField(max_length=255)),
                ("client_id", models.CharField(max_length=255)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("window_start", models.BigIntegerField()),
                ("locked_until", models.BigIntegerField(default=0)),
                ("expires_at", models.BigIntegerField(db_index=True)),
                ("source", models.CharField(default="*", max_length=64)),
            ],
            options={
                "db_table": "adminconsole_clientauthfailure",
                "constraints": [models.UniqueConstraint(fields=("realm_name", "client_id", "source"), name="clientauthfailure_unique_source")],
            },
        ),
        migrations.CreateModel(
            name="LoginEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("time", models.BigIntegerField()),
                ("type", models.CharField(choices=[("CLIENT_LOGIN", "CLIENT_LOGIN"), ("CLIENT_LOGIN_ERROR", "CLIENT_LOGIN_ERROR")], max_length=32)),
                ("client_id", models.CharField(blank=True, default="", max_length=255)),
                ("secret_used", models.CharField(blank=True, choices=[("current", "current"), ("rotated", "rotated")], default="", max_length=16)),
                ("error", models.CharField(blank=True, default="", max_length=255)),
                ("ip_address", models.CharField(blank=True, default="", max_length=64)),
                ("details", models.JSONField(blank=True, default=dict)),
                ("realm", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="login_events", to="realms.realm")),
            ],
            options={
                "db_table": "adminconsole_loginevent",
                "ordering": ["-time", "-id"],
                "indexes": [models.Index(fields=["realm", "-time"], name="loginevent_realm_time")],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
