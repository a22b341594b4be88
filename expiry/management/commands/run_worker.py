"""``manage.py run_worker``: the background worker for production (``make run`` starts one too).

It is django-tasks-db's ``db_worker`` (same options; every queue unless ``--queue-name`` says
otherwise), after making sure a secret-expiry sweep is waiting, so a new database or one whose
sweep chain was lost starts sweeping at once.
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from expiry.tasks import sweep_ensure_scheduled


class Command(DbWorkerCommand):
    help = "Run the background worker (secret-expiry sweep, webhook deliveries) after scheduling the sweep."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def handle(self, *args, **options):
        if sweep_ensure_scheduled():
            self.stdout.write("Secret-expiry sweep scheduled")
        super().handle(*args, **options)
