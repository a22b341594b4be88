"""Re-encrypt every realm signing key's private key under the first key of SECRET_ENCRYPTION_KEYS.

Run it with ``reencrypt_secrets`` when rotating the encryption keys: new key first in
SECRET_ENCRYPTION_KEYS, run both commands, then drop the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clients import crypto
from oidc.keys import realm_keys_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every realm signing key under the first encryption key."

    def handle(self, *args, **options):
        try:
            count = realm_keys_reencrypt()
        except crypto.InvalidToken:
            raise CommandError(
                "A realm key cannot be decrypted with any key in SECRET_ENCRYPTION_KEYS; nothing was changed."
            ) from None
        self.stdout.write(f"Re-encrypted {count} realm signing key(s) under the first key.")
