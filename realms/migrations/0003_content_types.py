"""The moved models' content types follow them (app label adminconsole → realms).

Django's permissions hang on content types: moving the rows, rather than letting new ones be
made, keeps every user's realm-management roles (``view_realm`` and the rest are declared on
``Realm``). A database made from scratch has no such rows yet: nothing to do.
"""

from django.db import migrations

MODELS = ("realm", "adminevent", "loginevent", "clientauthfailure")


def _move(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (content types were made for the new label before this ran): keep the
        # target, carry over the permissions it lacks, and drop the old row.
        taken = set(Permission.objects.filter(content_type=new).values_list("codename", flat=True))
        Permission.objects.filter(content_type=old).exclude(codename__in=taken).update(content_type=new)
        for perm in Permission.objects.filter(content_type=old):
            target_perm = Permission.objects.get(content_type=new, codename=perm.codename)
            for user in perm.user_set.all():
                user.user_permissions.add(target_perm)
            for group in perm.group_set.all():
                group.permissions.add(target_perm)
        old.delete()


def forwards(apps, schema_editor):
    _move(apps, "adminconsole", "realms")


def backwards(apps, schema_editor):
    _move(apps, "realms", "adminconsole")


class Migration(migrations.Migration):

    dependencies = [
        ("realms", "0002_table_names"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
