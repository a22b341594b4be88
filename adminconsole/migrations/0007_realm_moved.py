"""Realm and the event and throttle models moved to the realms app (``realms.0001_initial``).

State only: their tables stay, now owned by realms. Runs after every app's foreign keys point to
``realms.Realm``.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("adminconsole", "0006_client_auth_lockout"),
        ("realms", "0001_initial"),
        ("clients", "0004_realm_moved"),
        ("oidc", "0005_realm_moved"),
        ("policies", "0003_realm_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AdminEvent"),
                migrations.DeleteModel(name="LoginEvent"),
                migrations.DeleteModel(name="ClientAuthFailure"),
                migrations.DeleteModel(name="Realm"),
            ]
        )
    ]
