"""Background work of the webhooks: one task per delivery attempt, on the ``webhooks`` queue (its
own worker, so a slow receiver delays nothing else). ``manage.py db_worker --queue-name webhooks``."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from webhooks import sending


def delivery_enqueue(*, delivery_id: int, attempt: int, run_after: dt.datetime | None = None) -> None:
    """Queue attempt ``attempt`` of a delivery, at once or not before ``run_after``. Inside a
    transaction, the queued task commits (or rolls back) with it."""
    deliver = webhook_deliver if run_after is None else webhook_deliver.using(run_after=run_after)
    deliver.enqueue(delivery_id, attempt)


@task(queue_name="webhooks")
def webhook_deliver(delivery_id: int, attempt: int) -> str:
    return sending.delivery_attempt(delivery_id=delivery_id, attempt=attempt, schedule=delivery_enqueue)
