"""Foreign keys to the realm now name ``realms.Realm`` (the model moved from adminconsole).

State only: the column and its constraint already reference the realm table, which stays.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0002_representation_verbatim"),
        ("realms", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="clientpolicy",
                    name="realm",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="client_policies", to="realms.realm"),
                ),
                migrations.AlterField(
                    model_name="clientprofile",
                    name="realm",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="client_profiles", to="realms.realm"),
                ),
            ]
        )
    ]
