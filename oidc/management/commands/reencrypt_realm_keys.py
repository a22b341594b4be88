"""Re-encrypt every realm signing key's private key under the first key of SECRET_ENCRYPTION_KEYS.

Run it with ``reencrypt_secrets`` when rotating the encryption keys: new key first in
SECRET_ENCRYPTION_KEYS, run both commands, then drop the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clients import crypto
from oidc.models import RealmKey


class Command(BaseCommand):
    help = "Re-encrypt every realm signing key under the first encryption key."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                rows = list(RealmKey.objects.select_for_update().order_by("pk").only("pk", "private_key_encrypted"))
                for row in rows:
                    row.private_key_encrypted = crypto.reencrypt(row.private_key_encrypted)
                RealmKey.objects.bulk_update(rows, ["private_key_encrypted"])
        except crypto.InvalidToken:
            raise CommandError(
                "A realm key cannot be decrypted with any key in SECRET_ENCRYPTION_KEYS; nothing was changed."
            ) from None
        self.stdout.write(f"Re-encrypted {len(rows)} realm signing key(s) under the first key.")
