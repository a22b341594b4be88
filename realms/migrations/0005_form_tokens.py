"""The console's spent one-time form tokens (adminconsole.form_tokens)."""

from django.db import migrations, models


def forget_content_type(apps, schema_editor):
    # Unapplied, the content type Django made for the model goes with its table, so that a
    # database taken back before the realms app (tests/realms/test_migrations.py) holds none.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="realms", model="spentformtoken").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("realms", "0004_realm_representation_and_events_config"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, forget_content_type),
        migrations.CreateModel(
            name="SpentFormToken",
            fields=[
                ("nonce", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("spent_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "default_permissions": (),
            },
        ),
    ]
