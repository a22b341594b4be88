"""``manage.py export_client_policies REALM``: the realm's client profiles and policies as they
appear in a Keycloak realm export (``clientProfiles`` / ``clientPolicies``), on stdout."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from policies.services import policies_representation, profiles_representation
from realms.selectors import realm_find


class Command(BaseCommand):
    help = 'Print a realm\'s client profiles and client policies as {"clientProfiles": ..., "clientPolicies": ...}.'

    def add_arguments(self, parser):
        parser.add_argument("realm", help="realm name")

    def handle(self, *args, realm: str, **options):
        realm_obj = realm_find(name=realm)
        if realm_obj is None:
            raise CommandError(f"Realm {realm} not found")
        document = {
            "clientProfiles": profiles_representation(realm_obj),
            "clientPolicies": policies_representation(realm_obj),
        }
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
