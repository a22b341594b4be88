"""Service accounts bound to their client by internal id (clients.models.ServiceAccount).

Until now a realm-master client's service account acted as the Django user named
``service-account-<clientId>``. The users that ``grant_service_account_roles`` made that way (no
usable password, not a superuser) are bound to the client that has that clientId now, so existing
automation keeps its roles; from then on only the binding counts, never the name.
"""

import django.db.models.deletion
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.conf import settings
from django.db import migrations, models


PREFIX = "service-account-"


def bind_existing_service_accounts(apps, schema_editor):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Client = apps.get_model("clients", "Client")
    ServiceAccount = apps.get_model("clients", "ServiceAccount")
    users = User.objects.filter(
        username__startswith=PREFIX, password__startswith=UNUSABLE_PASSWORD_PREFIX, is_superuser=False
    )
    for user in users:
        client = Client.objects.filter(
            realm__name="master", client_id=user.username[len(PREFIX):], service_accounts_enabled=True,
            public_client=False, bearer_only=False,
        ).first()
        # A client made after the user cannot be the one the operator granted the roles to.
        if client is not None and client.created_at > user.date_joined:
            continue
        if client is not None and not ServiceAccount.objects.filter(client=client).exists():
            ServiceAccount.objects.create(client=client, user=user)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('client', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='service_account', to='clients.client')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='service_account', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.RunPython(bind_existing_service_accounts, migrations.RunPython.noop),
    ]
