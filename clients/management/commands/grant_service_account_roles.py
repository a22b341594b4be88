"""Give a realm-master client's service account admin roles for the Admin REST API."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clients.service_accounts import ServiceAccountError, service_account_roles_set
from realms import permissions
from realms.actor import Actor


class Command(BaseCommand):
    help = (
        "Grant (or with --revoke, remove) realm-management roles to the service account of a client of "
        "realm master, so that its client_credentials tokens may call the Admin REST API. "
        f"Roles: {', '.join(permissions.ALL_ROLES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("realm", help="must be master: only realm master's tokens are admin tokens")
        parser.add_argument("client_id", help="the clientId of a confidential client with service accounts enabled")
        parser.add_argument("roles", nargs="+", metavar="ROLE", choices=permissions.ALL_ROLES)
        parser.add_argument("--revoke", action="store_true", help="remove the roles instead of granting them")

    def handle(self, *args, realm, client_id, roles, revoke, **options):
        if realm != "master":
            raise CommandError("Only service accounts of realm master can call the Admin REST API.")
        actor = Actor(source="system", username="manage.py")
        try:
            held = service_account_roles_set(
                client_id=client_id, grant=[] if revoke else roles, revoke=roles if revoke else [], actor=actor
            )
        except ServiceAccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"service-account-{client_id}: {', '.join(held) if held else 'no admin roles'}")
