"""``manage.py client_auth_reset REALM [CLIENT_ID]``: lift the failed-authentication lockouts of a
client (for every source address, and its ceiling) or of every client of the realm (and the
per-address counts of unknown client ids) at the token and introspection endpoints."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from realms.services import client_auth_failures_reset


class Command(BaseCommand):
    help = "Forget failed client authentications (and lift lockouts) of a realm's client id, or of all its client ids."

    def add_arguments(self, parser):
        parser.add_argument("realm", help="realm name")
        parser.add_argument("client_id", nargs="?", help="the client id (all clients when left out)")

    def handle(self, *args, realm: str, client_id: str | None = None, **options):
        deleted = client_auth_failures_reset(realm_name=realm, client_id=client_id)
        self.stdout.write(f"Reset {deleted} client authentication throttle record(s) in realm {realm}.")
