"""The job as a chain of django-tasks tasks on the ``default`` queue: each task queues the one
that carries on, then updates one chunk of clients; the task that finds no client left marks the
job finished. The waiting task is a row in the database, so a worker stopped at any point (or
``run_worker --max-tasks``) resumes when a worker runs again; result rows make a client already
done be skipped, so none is updated twice, even by two workers at once.
"""

from __future__ import annotations

from django.db import OperationalError, transaction
from django_tasks import task

from jobs import services
from jobs.models import Job
from policies.models import ClientPolicy
from realms.actor import Actor
from realms.models import Realm

# A database busy or locked for a moment (SQLite), or a dropped connection, does not end a job:
# the chunk is queued again, this many times in a row at most.
TRANSIENT_ATTEMPTS = 5


@task(queue_name="default")
def policy_apply_chunk(job_pk: int, attempt: int = 0) -> dict:
    """Update the next chunk of the job's clients (the task that carries on is queued first)."""
    try:
        updated = services.job_chunk_run(job_pk=job_pk, enqueue_next=lambda: policy_apply_chunk.enqueue(job_pk))
    except OperationalError as exc:
        if attempt + 1 >= TRANSIENT_ATTEMPTS:
            services.job_fail(job_pk=job_pk, error=f"{type(exc).__name__}: {exc}")
            raise
        # Clients already done have their result rows and are skipped by the retry; a task that
        # was already queued to carry on finds the same pending clients under the job's row lock.
        policy_apply_chunk.enqueue(job_pk, attempt + 1)
        return {"job": job_pk, "retry": attempt + 1}
    except Exception as exc:
        services.job_fail(job_pk=job_pk, error=f"{type(exc).__name__}: {exc}")
        raise
    return {"job": job_pk, "updated": updated}


def policy_apply_start(*, realm: Realm, policy: ClientPolicy, actor: Actor | None) -> Job:
    """Create the job and enqueue its first chunk, together (``JobAlreadyRunning`` when the realm
    has a job queued or running)."""
    with transaction.atomic():
        job = services.job_create(realm=realm, policy=policy, actor=actor)
        policy_apply_chunk.enqueue(job.pk)
    return job
