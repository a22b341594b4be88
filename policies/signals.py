"""Saving or deleting a policy or profile drops the engine's per-request cache.

Cache invalidation only: no logic runs in these receivers. ``PoliciesConfig.ready()`` connects
them; writes that send no signals (``bulk_create``, ``update()``) call
``policies_cache_invalidate()`` themselves (``policies.services``).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from policies import models
from policies.engine import policies_cache_invalidate

MODELS = (
    models.ClientPolicy,
    models.ClientPolicyCondition,
    models.ClientPolicyProfile,
    models.ClientProfile,
    models.ClientProfileExecutor,
)


def policies_changed(**_kwargs) -> None:
    policies_cache_invalidate()


def connect_signals() -> None:
    for model in MODELS:
        for signal in (post_save, post_delete):
            signal.connect(policies_changed, sender=model, dispatch_uid=f"policies-cache-{model.__name__}-{signal is post_save}")
