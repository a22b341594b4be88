"""Realm services: every state change is one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from adminconsole.models import Realm


class RealmExists(Exception):
    def __init__(self, name: str):
        super().__init__(f"Realm {name} already exists")
        self.name = name


@transaction.atomic
def realm_create(*, name: str, display_name: str = "", enabled: bool = True, access_token_lifespan: int | None = None) -> Realm:
    realm = Realm(name=name, display_name=display_name, enabled=enabled)
    if access_token_lifespan is not None:
        realm.access_token_lifespan = access_token_lifespan
    realm.full_clean(validate_unique=False)
    if Realm.objects.filter(name=name).exists():
        raise RealmExists(name)
    try:
        with transaction.atomic():
            realm.save()
    except IntegrityError as exc:
        raise RealmExists(name) from exc
    for hook in REALM_CREATED_HOOKS:
        hook(realm)
    return realm


# Other apps register what a new realm needs (signing keys, built-in clients) here.
REALM_CREATED_HOOKS: list = []


@transaction.atomic
def realm_update(*, realm: Realm, **changes) -> Realm:
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    for field, value in changes.items():
        setattr(realm, field, value)
    try:
        realm.full_clean(validate_unique=False)
    except ValidationError:
        raise
    realm.save()
    return realm


@transaction.atomic
def realm_delete(*, realm: Realm) -> None:
    Realm.objects.select_for_update().filter(pk=realm.pk).delete()
