"""Reads for the Secret expiry tab, its API and the sweep. No side effects."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery, Value

from clients import secrets as secret_store
from clients.models import ClientSecret
from expiry.models import AutoRotation, ExpirySettings, SecretWarning
from policies.engine import policies_load
from policies.providers.executors import SecretRotationExecutor
from realms.models import Realm


def expiry_settings_get(*, realm: Realm) -> ExpirySettings:
    """The realm's settings: its row, or the defaults (unsaved) when it has none yet."""
    return ExpirySettings.objects.filter(realm=realm).first() or ExpirySettings(realm=realm)


def expiry_settings_representation(settings: ExpirySettings) -> dict:
    """What the Admin API answers and the admin event records (no secret in it)."""
    return {
        "warnBefore": list(settings.warn_before),
        "autoRotate": settings.auto_rotate,
        "autoRotateBefore": settings.auto_rotate_before,
        "emailRecipients": list(settings.email_recipients),
    }


@dataclass(frozen=True)
class LifetimeConflict:
    """Settings at least as long as the Secret Expiration (``lifetime``) of one secret-rotation
    executor of ``profile``, which the enabled policy ``policy`` names. ``lead``: the automatic
    rotation's lead time (when it is on), which the sweep then refuses for every such secret;
    ``thresholds``: the warnings that fire as soon as such a secret is made."""

    policy: str
    profile: str
    lifetime: int
    lead: int | None
    thresholds: tuple[int, ...]


def expiry_lifetime_conflicts(*, realm: Realm, settings: ExpirySettings) -> list[LifetimeConflict]:
    """Where the realm's settings do not fit its rotation policies, in the policies' order: a
    warning for the Secret expiry tab, not a refusal (the policies may change later).

    Reads the enabled policies as the engine does (at most four queries). A policy without
    conditions is left out: it never applies.
    """
    loaded = policies_load(realm)
    conflicts = []
    for policy in loaded.policies:
        if not policy.conditions:
            continue
        for profile in dict.fromkeys(policy.profile_names):
            for executor in loaded.executors_of(profile):
                if not isinstance(executor, SecretRotationExecutor):
                    continue
                lifetime = executor.expiration_period
                lead = settings.auto_rotate_before if settings.auto_rotate and settings.auto_rotate_before >= lifetime else None
                thresholds = tuple(seconds for seconds in settings.warn_before if seconds >= lifetime)
                if lead is not None or thresholds:
                    conflicts.append(LifetimeConflict(policy.name, profile, lifetime, lead, thresholds))
    return list(dict.fromkeys(conflicts))


def expiry_settings_all() -> dict[int, ExpirySettings]:
    """Every realm's stored settings, by realm id: one query."""
    return {row.realm_id: row for row in ExpirySettings.objects.all()}


def sweep_candidates(*, now: int, horizon: int, rotating_realms: list[int]) -> QuerySet[ClientSecret]:
    """The current secrets the sweep must look at, soonest expiry first: one query on the
    ``(kind, expiration_time)`` index, whatever the number of clients.

    Only secrets with an expiry at most ``horizon`` seconds away are read (the largest warning
    threshold or rotation lead time of any realm). Each comes with its client and realm,
    ``warned_min`` (the smallest threshold already warned for this secret, ``None`` if none) and
    ``rotation_tried``. Secrets already warned as expired are left out unless their realm rotates
    automatically and no rotation was tried for them yet.
    """
    warned = SecretWarning.objects.filter(client=OuterRef("client"), secret_created=OuterRef("created_time"))
    tried = AutoRotation.objects.filter(client=OuterRef("client"), secret_created=OuterRef("created_time"))
    rotating = Q(client__realm_id__in=rotating_realms) if rotating_realms else Q(pk__in=[])
    return (
        secret_store.current_secrets_dated_until(until=now + horizon)
        .annotate(
            warned_min=Subquery(warned.order_by("threshold").values("threshold")[:1]),
            rotation_tried=Exists(tried) if rotating_realms else Value(False, output_field=BooleanField()),
        )
        .exclude(Q(Exists(warned.filter(threshold=SecretWarning.EXPIRED))) & (Q(Exists(tried)) | ~rotating))
    )


def rotations_since(*, since: int) -> int:
    """Automatic rotations done since ``since`` (epoch seconds): the rate limit's count."""
    return AutoRotation.objects.filter(time__gt=since, succeeded=True).count()
