"""The job as a chain of django-tasks tasks on the ``default`` queue: each task updates one chunk
of clients and, when some remain, enqueues the next. The pending task is a row in the database,
so a worker stopped between chunks (or ``run_worker --max-tasks``) resumes with the next chunk
when a worker runs again; result rows make a chunk that is run again skip what it already did.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from jobs import services
from jobs.models import Job
from policies.models import ClientPolicy
from realms.actor import Actor
from realms.models import Realm


@task(queue_name="default")
def policy_apply_chunk(job_pk: int) -> dict:
    """Update the next chunk of the job's clients; enqueue the next chunk if any remain."""
    try:
        more = services.job_chunk_run(job_pk=job_pk)
    except Exception as exc:
        services.job_fail(job_pk=job_pk, error=f"{type(exc).__name__}: {exc}")
        raise
    if more:
        policy_apply_chunk.enqueue(job_pk)
    return {"job": job_pk, "more": more}


def policy_apply_start(*, realm: Realm, policy: ClientPolicy, actor: Actor | None) -> Job:
    """Create the job and enqueue its first chunk, together (``JobAlreadyRunning`` when the realm
    has a job queued or running)."""
    with transaction.atomic():
        job = services.job_create(realm=realm, policy=policy, actor=actor)
        policy_apply_chunk.enqueue(job.pk)
    return job
