"""Per-worker caches of what every token request reads: the realm and its client policies.

A grant must not pay a query for data that changes a few times a day. Each worker keeps the
realm row and the realm's loaded client policies for ``TTL`` seconds (less if
``CLIENT_CACHE_MAX_AGE`` is less; 0 keeps nothing), measured with the project clock. A change
made in this worker is seen at once (model signals clear the caches, and again when the change
commits, so that another thread cannot re-read the old rows in between and keep them), a change
made in another worker within the bound. The signing key has its own cache (``keys.py``);
client rows have theirs (``client_cache.py``).

Threads (gunicorn ``gthread``): the dictionaries are only touched while holding ``_lock``; the
database is read outside it, and what was read while the caches were cleared is not stored.
The cached objects are shared by threads, for reading only.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from policies import models as policy_models
from policies.engine import policies_load
from realms import clock
from realms.models import Realm

TTL = 2.0
MAX_ENTRIES = 1000

_lock = threading.Lock()
_realms: dict[str, tuple[float, Realm]] = {}
_policies: dict[int, tuple[float, object]] = {}
_generation = 0  # bumped by every clear


def ttl() -> float:
    return min(TTL, float(settings.CLIENT_CACHE_MAX_AGE))


def _cached(cache: dict, key, load):
    bound = ttl()
    now = clock.seconds()
    with _lock:
        hit = cache.get(key)
        generation = _generation
    # A clock set back makes the age negative: a miss, never an entry fresh for ever.
    if hit is not None and 0 <= now - hit[0] < bound:
        return hit[1]
    value = load()
    if value is not None and bound > 0:
        with _lock:
            if generation == _generation:
                if len(cache) >= MAX_ENTRIES:
                    cache.clear()
                cache[key] = (now, value)
    return value


def realm_by_name(name: str) -> Realm | None:
    """The realm (for reading only), or None."""
    return _cached(_realms, name, lambda: Realm.objects.filter(name=name).first())


def realm_policies(realm: Realm):
    """The realm's enabled client policies as the engine loads them (``policies.engine.PolicySet``)."""
    return _cached(_policies, realm.pk, lambda: policies_load(realm))


def _forget(*, realms: bool) -> None:
    global _generation
    with _lock:
        if realms:
            _realms.clear()
        _policies.clear()
        _generation += 1


def clear_realms(using=None, **kwargs) -> None:
    _forget(realms=True)
    transaction.on_commit(lambda: _forget(realms=True), using=using)


def clear_policies(using=None, **kwargs) -> None:
    _forget(realms=False)
    transaction.on_commit(lambda: _forget(realms=False), using=using)


def connect_signals() -> None:
    """Cache invalidation only: no logic runs in these receivers."""
    for signal in (post_save, post_delete):
        signal.connect(clear_realms, sender=Realm, dispatch_uid=f"oidc-cache-realm-{signal is post_save}")
        for model in (policy_models.ClientProfile, policy_models.ClientProfileExecutor, policy_models.ClientPolicy,
                      policy_models.ClientPolicyCondition, policy_models.ClientPolicyProfile):
            signal.connect(clear_policies, sender=model, dispatch_uid=f"oidc-cache-{model.__name__}-{signal is post_save}")
