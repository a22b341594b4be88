"""Reads for the console pages."""

from __future__ import annotations

from dataclasses import dataclass

from oidc import keys
from oidc.models import InitialAccessToken, RealmKey
from realms import clock
from realms.models import Realm
from realms.selectors import page_of


@dataclass(frozen=True)
class KeyView:
    kid: str
    algorithm: str
    public_key: str  # base64 DER SubjectPublicKeyInfo
    active: bool
    published: bool
    created_at: object
    retired_at: object
    published_until: object


def realm_keys_list(*, realm: Realm) -> list[KeyView]:
    """Every key of the realm, active first; whether each one is still published in the JWKS."""
    now = clock.epoch()
    window = keys.published_window(realm)
    views = []
    for row in RealmKey.objects.filter(realm=realm).only("kid", "algorithm", "public_jwk", "active", "created", "retired_at"):
        until = None if row.active or row.retired_at is None else row.retired_at + window
        views.append(KeyView(
            kid=row.kid,
            algorithm=row.algorithm,
            public_key=keys.public_key_base64(row),
            active=row.active,
            published=row.active or (until is not None and until >= now),
            created_at=clock.from_epoch(row.created),
            retired_at=clock.from_epoch(row.retired_at),
            published_until=clock.from_epoch(until),
        ))
    return views


def initial_access_tokens_list(*, realm: Realm) -> list[InitialAccessToken]:
    """Newest first, at most the lists' ceiling (``page_of``): a realm may hold any number, one
    answer does not."""
    return list(page_of(InitialAccessToken.objects.filter(realm=realm), None, None))
