"""Realm services: every state change is one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from realms.actor import Actor
from realms.events import admin_event_record
from realms.models import Realm

# Realm changes are recorded as admin events when the caller says who acted (``actor``); internal
# callers that record their own, more specific event (e.g. the Tokens tab) pass none.


class RealmExists(Exception):
    def __init__(self, name: str):
        super().__init__(f"Realm {name} already exists")
        self.name = name


@transaction.atomic
def realm_create(
    *, name: str, display_name: str = "", enabled: bool = True, access_token_lifespan: int | None = None, actor: Actor | None = None
) -> Realm:
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
    if actor is not None:
        _record(realm, "CREATE", actor)
    return realm


# Other apps register what a new realm needs (signing keys, built-in clients) here.
REALM_CREATED_HOOKS: list = []


class RealmProtected(Exception):
    """Realm master signs every admin token: it can be neither renamed nor deleted."""


@transaction.atomic
def realm_update(*, realm: Realm, actor: Actor | None = None, **changes) -> Realm:
    realm = Realm.objects.select_for_update().get(pk=realm.pk)
    if realm.name == "master" and changes.get("name", "master") != "master":
        raise RealmProtected("Can't rename master realm")
    for field, value in changes.items():
        setattr(realm, field, value)
    try:
        realm.full_clean(validate_unique=False)
    except ValidationError:
        raise
    realm.save()
    if actor is not None:
        _record(realm, "UPDATE", actor)
    return realm


@transaction.atomic
def realm_delete(*, realm: Realm, actor: Actor | None = None) -> None:
    if realm.name == "master":
        raise RealmProtected("Can't delete master realm")
    Realm.objects.select_for_update().filter(pk=realm.pk).delete()
    # A realm's own events go with it; the deletion is recorded in the admin realm.
    admin_realm = Realm.objects.filter(name=(actor.auth_realm if actor else None) or "master").first()
    if actor is not None and admin_realm is not None:
        _record(admin_realm, "DELETE", actor, path=realm.name, representation={"realm": realm.name})


def _record(realm: Realm, operation: str, actor: Actor, *, path: str = "", representation: dict | None = None) -> None:
    if representation is None:
        representation = {
            "id": realm.name,
            "realm": realm.name,
            "displayName": realm.display_name,
            "enabled": realm.enabled,
            "accessTokenLifespan": realm.access_token_lifespan,
        }
    admin_event_record(
        realm=realm, operation=operation, resource_type="REALM", resource_path=path, actor=actor, representation=representation
    )
