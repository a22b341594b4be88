"""Per-worker caches of what every token request reads: the realm and its client policies.

A grant must not pay a query for data that changes a few times a day. Each worker keeps the
realm row and the realm's loaded client policies for ``TTL`` seconds; a change made in this
worker is seen at once (model signals clear the caches), a change made in another worker within
``TTL`` seconds. The signing key has its own cache (``keys.py``); client secrets are never cached
(a rotation must refuse the old secret on the next request).
"""

from __future__ import annotations

import time

from adminconsole.models import Realm

TTL = 2.0
MAX_ENTRIES = 1000

_realms: dict[str, tuple[float, Realm]] = {}
_policies: dict[int, tuple[float, object]] = {}


def _fresh(entry) -> bool:
    return entry is not None and time.monotonic() - entry[0] < TTL


def realm_by_name(name: str) -> Realm | None:
    """The realm (for reading only), or None."""
    hit = _realms.get(name)
    if _fresh(hit):
        return hit[1]
    realm = Realm.objects.filter(name=name).first()
    if realm is not None:
        if len(_realms) >= MAX_ENTRIES:
            _realms.clear()
        _realms[name] = (time.monotonic(), realm)
    return realm


def realm_policies(realm: Realm):
    """The realm's enabled client policies as the engine loads them (``policies.engine.PolicySet``)."""
    from policies.engine import policies_load

    hit = _policies.get(realm.pk)
    if _fresh(hit):
        return hit[1]
    loaded = policies_load(realm)
    if len(_policies) >= MAX_ENTRIES:
        _policies.clear()
    _policies[realm.pk] = (time.monotonic(), loaded)
    return loaded


def clear_realms(**kwargs) -> None:
    _realms.clear()
    _policies.clear()


def clear_policies(**kwargs) -> None:
    _policies.clear()


def connect_signals() -> None:
    """Cache invalidation only: no logic runs in these receivers."""
    from django.db.models.signals import post_delete, post_save

    from policies import models as policy_models

    for signal in (post_save, post_delete):
        signal.connect(clear_realms, sender=Realm, dispatch_uid=f"oidc-cache-realm-{signal is post_save}")
        for model in (policy_models.ClientProfile, policy_models.ClientProfileExecutor, policy_models.ClientPolicy,
                      policy_models.ClientPolicyCondition, policy_models.ClientPolicyProfile):
            signal.connect(clear_policies, sender=model, dispatch_uid=f"oidc-cache-{model.__name__}-{signal is post_save}")
