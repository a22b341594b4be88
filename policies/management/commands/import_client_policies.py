"""``manage.py import_client_policies REALM FILE``: client profiles and policies from a Keycloak
realm export.

FILE is a realm export (``kc.sh export`` or the console's partial export; other keys are ignored)
or the output of ``export_client_policies``; ``-`` reads stdin. ``clientProfiles`` replaces the
realm's profiles and ``clientPolicies`` its policies, with the same validation as the Admin REST
API, all or nothing. A key that is absent leaves that half unchanged.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from policies.errors import PolicyValidationError
from policies.services import client_policies_import
from realms.actor import SYSTEM, Actor
from realms.json_input import json_parse
from realms.selectors import realm_find


class Command(BaseCommand):
    help = "Replace a realm's client profiles and client policies with those of a Keycloak realm export file."

    def add_arguments(self, parser):
        parser.add_argument("realm", help="realm name")
        parser.add_argument("file", help="realm export JSON file ('-' for stdin)")

    def handle(self, *args, realm: str, file: str, **options):
        realm_obj = realm_find(name=realm)
        if realm_obj is None:
            raise CommandError(f"Realm {realm} not found")
        document = self._read(file)
        if isinstance(document, list):  # a multi-realm export: pick the realm by name
            document = next((r for r in document if isinstance(r, dict) and r.get("realm") == realm), None)
            if document is None:
                raise CommandError(f"The file has no realm named {realm}")
        if not isinstance(document, dict):
            raise CommandError("The file is not a realm export (expected a JSON object)")
        if "clientProfiles" not in document and "clientPolicies" not in document:
            raise CommandError("The file has neither clientProfiles nor clientPolicies")
        try:
            profiles, policies = client_policies_import(
                realm=realm_obj,
                client_profiles=document.get("clientProfiles"),
                client_policies=document.get("clientPolicies"),
                actor=Actor(source=SYSTEM, username="manage.py import_client_policies"),
            )
        except PolicyValidationError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from exc
        parts = []
        if profiles is not None:
            parts.append(f"{len(profiles['profiles'])} client profile(s)")
        if policies is not None:
            parts.append(f"{len(policies['policies'])} client policy(ies)")
        self.stdout.write(f"Imported {' and '.join(parts)} into realm {realm}.")

    @staticmethod
    def _read(file: str):
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        try:
            return json_parse(text)  # the same refusals as the JSON editor: nothing unstorable gets in
        except ValueError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from exc
