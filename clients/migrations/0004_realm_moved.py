"""Foreign keys to the realm now name ``realms.Realm`` (the model moved from adminconsole).

State only: the column and its constraint already reference the realm table, which stays.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("clients", "0003_sec_lockout"),
        ("realms", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="client",
                    name="realm",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="clients", to="realms.realm"),
                ),
            ]
        )
    ]
