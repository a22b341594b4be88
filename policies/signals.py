"""Saving or deleting a policy or profile drops the engine's per-request cache of policies;
saving or deleting a client role drops its per-request client facts.

Cache invalidation only: no logic runs in these receivers. ``PoliciesConfig.ready()`` connects
them; writes that send no signals (``bulk_create``, ``update()``) call
``policies_cache_invalidate()`` themselves (``policies.services``). The per-worker sets built
from a configuration version need no receiver: they are looked up by the version just read, which
database triggers move with every change (``policies.engine.policies_load``, migration 0004).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from clients.models import ClientRole
from policies import models
from policies.engine import client_facts_invalidate, policies_cache_invalidate

MODELS = (
    models.ClientPolicy,
    models.ClientPolicyCondition,
    models.ClientPolicyProfile,
    models.ClientProfile,
    models.ClientProfileExecutor,
)
# What the client facts are read from (``policies.providers.conditions``: "roles").
FACT_MODELS = (ClientRole,)


def policies_changed(**_kwargs) -> None:
    policies_cache_invalidate()


def client_facts_changed(**_kwargs) -> None:
    client_facts_invalidate()


def connect_signals() -> None:
    for signal in (post_save, post_delete):
        for model in MODELS:
            signal.connect(policies_changed, sender=model, dispatch_uid=f"policies-cache-{model.__name__}-{signal is post_save}")
        for model in FACT_MODELS:
            signal.connect(client_facts_changed, sender=model, dispatch_uid=f"policies-facts-{model.__name__}-{signal is post_save}")
