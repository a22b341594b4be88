"""Re-encrypt every stored client secret under the first key of SECRET_ENCRYPTION_KEYS.

Key rotation: put the new key first in SECRET_ENCRYPTION_KEYS (keep the old ones after it),
run this command, then drop the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clients import crypto
from clients.secrets import secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every client secret (current and rotated) under the first encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int = 500, **options):
        try:
            done = secrets_reencrypt(batch_size=batch_size)
        except crypto.InvalidToken:
            raise CommandError(
                "A stored secret cannot be decrypted with any key in SECRET_ENCRYPTION_KEYS; nothing was changed."
            ) from None
        self.stdout.write(f"Re-encrypted {done} client secret(s) under the first key.")
