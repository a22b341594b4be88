"""Realms made before this app existed get a signing key; realm master gets admin-cli."""

import time

from django.db import migrations


def forwards(apps, schema_editor):
    from clients import crypto
    from oidc.keys import ALGORITHM, key_generate

    Realm = apps.get_model("adminconsole", "Realm")
    RealmKey = apps.get_model("oidc", "RealmKey")
    Client = apps.get_model("clients", "Client")
    for realm in Realm.objects.all():
        if not RealmKey.objects.filter(realm=realm, active=True).exists():
            key, kid = key_generate()
            RealmKey.objects.create(
                realm=realm,
                kid=kid,
                algorithm=ALGORITHM,
                private_key_encrypted=crypto.encrypt(key.as_pem(private=True).decode()),
                public_jwk=key.as_dict(private=False),
                active=True,
                created=int(time.time()),
            )
        if realm.name == "master":
            Client.objects.get_or_create(
                realm=realm,
                client_id="admin-cli",
                defaults={
                    "name": "admin-cli",
                    "public_client": True,
                    "standard_flow_enabled": False,
                    "direct_access_grants_enabled": True,
                    "client_authenticator_type": "client-secret",
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("oidc", "0001_initial"),
        ("clients", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
