"""Delete admin and login events older than a number of days (events are kept until then)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from realms import clock
from realms.models import AdminEvent, LoginEvent


class Command(BaseCommand):
    help = "Delete admin events and login events older than --days days (all realms, or --realm)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="keep this many days of events")
        parser.add_argument("--realm", help="only this realm")

    def handle(self, *args, days: int, realm: str | None, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more")
        cutoff_ms = (clock.epoch() - days * 86400) * 1000
        counts = {}
        for model in (AdminEvent, LoginEvent):
            rows = model.objects.filter(time__lt=cutoff_ms)
            if realm:
                rows = rows.filter(realm__name=realm)
            counts[model.__name__], _ = rows.delete()
        self.stdout.write(f"Deleted {counts['AdminEvent']} admin events and {counts['LoginEvent']} login events.")
