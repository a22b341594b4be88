"""Background jobs an administrator starts on purpose: today, applying a client policy to the
realm's existing clients. A job lists its target clients when it starts and records one result
row per client, written in the same transaction as that client's update, so a client is never
updated twice by one job however often the worker restarts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from realms.models import Realm

OUTCOMES = ("expiry-set", "rotated", "unchanged", "refused")


class Job(models.Model):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    STATUS_CHOICES = [(s, s) for s in (QUEUED, RUNNING, FINISHED, FAILED)]
    ACTIVE = (QUEUED, RUNNING)

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="jobs")
    policy_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    outcomes = models.JSONField(default=dict)  # count by outcome
    targets = models.JSONField(default=list)  # the matching clients' ids when the job started, in order
    actor = models.JSONField(default=dict)  # who started it: the updates' admin events name them
    created_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.BigIntegerField()  # epoch seconds, as every time here
    started_at = models.BigIntegerField(null=True, blank=True)
    finished_at = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Two jobs for one realm never run at once: a second start fails on this index.
            models.UniqueConstraint(fields=["realm"], condition=Q(status__in=["queued", "running"]), name="job_one_active_per_realm"),
            models.CheckConstraint(condition=Q(status__in=["queued", "running", "finished", "failed"]), name="job_status_valid"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.policy_name}, {self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE


class JobResult(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="results")
    client_pk = models.CharField(max_length=64)  # the client's id (the client may be deleted later)
    client_id = models.CharField(max_length=255)  # its clientId at the time
    outcome = models.CharField(max_length=16, choices=[(o, o) for o in OUTCOMES])
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["job", "client_pk"], name="jobresult_once_per_client")]
