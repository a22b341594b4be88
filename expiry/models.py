"""Secret expiry: each realm's settings, the warnings sent, the automatic rotations tried, and the
sweep's schedule.

A current secret is named by its client and its ``created_time``: Re-generate gives the client a
new current secret with a new creation time, so a new secret gets fresh warnings and may be
rotated again, while the unique keys below make each warning and each rotation happen once,
however many workers sweep at the same time.
"""

from __future__ import annotations

from django.db import models

from clients.models import Client
from realms.models import Realm

DAY = 86400
DEFAULT_WARN_BEFORE = [30 * DAY, 7 * DAY, DAY]
DEFAULT_AUTO_ROTATE_BEFORE = 2 * DAY


def default_warn_before() -> list[int]:
    return list(DEFAULT_WARN_BEFORE)


def default_recipients() -> list[str]:
    return []


class ExpirySettings(models.Model):
    """One row per realm, made with the defaults the first time it is written."""

    realm = models.OneToOneField(Realm, on_delete=models.CASCADE, primary_key=True, related_name="expiry_settings")
    # Seconds before expiry, largest first.
    warn_before = models.JSONField(default=default_warn_before)
    auto_rotate = models.BooleanField(default=False)
    # Up to 100 years in seconds: past a 32-bit integer (PostgreSQL's ``integer``).
    auto_rotate_before = models.PositiveBigIntegerField(default=DEFAULT_AUTO_ROTATE_BEFORE)
    email_recipients = models.JSONField(default=default_recipients)


class SecretWarning(models.Model):
    """A warning sent for one current secret: ``threshold`` seconds before its expiry, or 0 once
    it has expired."""

    EXPIRED = 0

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    secret_created = models.BigIntegerField()
    threshold = models.PositiveBigIntegerField()  # up to 100 years in seconds
    expiration_time = models.BigIntegerField()
    sent_time = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "secret_created", "threshold"], name="secretwarning_once"),
        ]


class AutoRotation(models.Model):
    """An automatic rotation of one current secret, done or refused (then not tried again for it)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    secret_created = models.BigIntegerField()
    # When the row was written (the per-minute limit counts these), not when the sweep started.
    time = models.BigIntegerField(db_index=True)
    succeeded = models.BooleanField()
    # The creation time of the secret this rotation made (``None`` when refused): while that secret
    # is current and the rotated one it kept is unexpired, the client is not rotated again.
    new_secret_created = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "secret_created"], name="autorotation_once")]


class SweepSchedule(models.Model):
    """The one row (pk 1) that makes the sweep a single chain: the id of the pending sweep task.
    Every sweep task locks it first; one that is not the pending one steps aside."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    task_id = models.CharField(max_length=64, blank=True, default="")
    last_run = models.BigIntegerField(default=0)
