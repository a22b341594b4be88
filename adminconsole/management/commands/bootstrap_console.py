"""Create realm ``master`` and the bootstrap administrator (idempotent)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from adminconsole.config import env
from realms import selectors, services

# Keycloak's master realm default: 60-second admin access tokens.
MASTER_ACCESS_TOKEN_LIFESPAN = 60


class Command(BaseCommand):
    help = "Create realm master and the bootstrap administrator when they do not exist."

    def handle(self, *args, **options):
        with transaction.atomic():
            if not selectors.realm_exists(name="master"):
                services.realm_create(name="master", display_name="Keycloak", access_token_lifespan=MASTER_ACCESS_TOKEN_LIFESPAN)
                self.stdout.write("Created realm master.")
            User = get_user_model()
            username = env("CONSOLE_ADMIN_USERNAME", "admin")
            if User.objects.filter(is_superuser=True).exists():
                return
            password = env("CONSOLE_ADMIN_PASSWORD")
            generated = password is None
            if generated:
                password = secrets.token_urlsafe(18)
            try:
                # The same validators as every console password (AUTH_PASSWORD_VALIDATORS).
                validate_password(password, User(username=username))
            except ValidationError as exc:
                raise CommandError(
                    "CONSOLE_ADMIN_PASSWORD is too weak: " + " ".join(exc.messages) + " Choose another and run again."
                ) from None
            User.objects.create_superuser(username=username, password=password, email="")
        if generated:
            # Printed once, on the first run only; it is stored only as a password hash.
            self.stdout.write(self.style.WARNING(
                f"Bootstrap administrator created.\n  username: {username}\n  password: {password}\n"
                "This password is shown once. Set CONSOLE_ADMIN_PASSWORD to choose your own."
            ))
        else:
            self.stdout.write(f"Bootstrap administrator {username} created.")
