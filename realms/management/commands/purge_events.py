"""Delete admin and login events older than a number of days (events are kept until then)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from realms.services import events_purge


class Command(BaseCommand):
    help = "Delete admin events and login events older than --days days (all realms, or --realm)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="keep this many days of events")
        parser.add_argument("--realm", help="only this realm")

    def handle(self, *args, days: int, realm: str | None, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more")
        admin_events, login_events = events_purge(days=days, realm_name=realm)
        self.stdout.write(f"Deleted {admin_events} admin events and {login_events} login events.")
