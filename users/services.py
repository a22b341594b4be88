"""Writes for realm master's users (the console's administrators) and their realm-management roles.

Every write is one transaction that locks realm master's row (so two administrators cannot each
remove "the other" last manage-realm holder), checks who may do it, and records an admin event
(never a password). The rules, for every caller but an operator's command:

* the caller must hold every role the user holds (changing the password of someone who holds more
  would be a way to act with their roles), and every role it grants or removes;
* nobody deletes or disables themselves, and the last active person holding manage-realm cannot
  lose it (by unassignment, disabling or deletion).

Role mappings of a service-account user are the same Django permissions (``clients.service_accounts``
is the client-side face of ``user_roles_change``); changing them also needs access to the client
(``clients.selectors.client_access_require``).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Permission
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction

from clients.models import Client, ClientRole
from clients.selectors import ClientAccessDenied, client_access_require
from realms import permissions
from realms.actor import Actor
from realms.events import admin_event_record
from realms.models import Realm
from users import selectors
from users.errors import UserAccessDenied, UserError, UserExists, UserNotFound
from users.models import TemporaryPassword

ROLE_DESCRIPTIONS = {role: "${role_" + role.replace("-", "_") + "}" for role in permissions.ALL_ROLES}
NAME_LIMIT = 150
EMAIL_LIMIT = 254
PASSWORD_LIMIT = 1024


# --- built-ins ------------------------------------------------------------------------------------


def realm_management_ensure(realm: Realm) -> Client | None:
    """REALM_CREATED_HOOKS entry (and the data migration's twin): Keycloak's built-in
    ``realm-management`` client of realm master, bearer-only (no secret), with the six roles.

    Only master: its roles are the administrators' roles, and the administrators live there. The
    other realms have no users to map them to, so they get no such client (a client list of
    another realm shows only what its people made)."""
    if realm.name != selectors.ADMIN_REALM:
        return None
    client, _ = Client.objects.get_or_create(
        realm=realm,
        client_id=selectors.REALM_MANAGEMENT,
        defaults={"name": "${client_realm-management}", "bearer_only": True, "standard_flow_enabled": False},
    )
    for role in permissions.ALL_ROLES:
        ClientRole.objects.get_or_create(client=client, name=role, defaults={"description": ROLE_DESCRIPTIONS[role]})
    return client


def user_permissions_ensure(sender, **kwargs) -> None:
    """post_migrate: the Permission rows of the users roles (``realms.view_users``, ``realms.manage_users``)."""
    if getattr(sender, "name", None) != "users":
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="realms", model="realm")
    for role in permissions.USER_ROLES:
        Permission.objects.get_or_create(content_type=content_type, codename=permissions.codename(role),
                                         defaults={"name": role})


# --- helpers --------------------------------------------------------------------------------------


def _lock_master() -> Realm:
    realm = Realm.objects.select_for_update(of=("self",)).filter(name=selectors.ADMIN_REALM).first()
    if realm is None:
        raise UserError("Realm master does not exist")
    return realm


def _locked_user(user_id):
    user = selectors.user_find(user_id)
    if user is None:
        raise UserNotFound()
    return get_user_model().objects.select_for_update(of=("self",)).get(pk=user.pk)


def _restricted(actor: Actor | None) -> bool:
    return actor is not None and not actor.unrestricted


def _require(actor: Actor | None, roles) -> None:
    if _restricted(actor):
        missing = permissions.missing(actor.held_roles, set(roles))
        if missing:
            raise UserAccessDenied(missing)


def _require_manage(actor: Actor | None, user) -> None:
    """manage-users for a person; for a service account, manage-users or manage-clients with
    access to its client; and in both cases every role the user holds."""
    if not _restricted(actor):
        return
    account = getattr(user, "service_account", None) if selectors.user_is_service_account(user) else None
    if account is not None:
        if not (permissions.grants(actor.held_roles, permissions.MANAGE_USERS)
                or permissions.grants(actor.held_roles, permissions.MANAGE_CLIENTS)):
            raise UserAccessDenied([permissions.MANAGE_CLIENTS])
        client = Client.objects.select_for_update(of=("self",)).get(pk=account.client_id)
        try:
            client_access_require(client=client, actor=actor)
        except ClientAccessDenied as exc:
            raise UserAccessDenied(list(exc.missing) if hasattr(exc, "missing") else []) from None
    else:
        _require(actor, {permissions.MANAGE_USERS})
    _require(actor, selectors.user_effective_roles(user))


def _is_self(actor: Actor | None, user) -> bool:
    return actor is not None and actor.user_id is not None and actor.user_id == str(user.pk)


def _holds_manage_realm(user) -> bool:
    return user.is_active and permissions.grants(selectors.user_direct_roles(user), permissions.MANAGE_REALM)


def _keep_a_manage_realm_holder(user) -> None:
    """Refuse when ``user`` is the last active person holding manage-realm."""
    if selectors.user_is_service_account(user) or not _holds_manage_realm(user):
        return
    if not selectors.manage_realm_holders().exclude(pk=user.pk).exists():
        raise UserError("The last user holding manage-realm cannot lose it")


def _text(name: str, value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"Invalid value for {name}")
    value = value.strip()
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise UserError(f"Invalid value for {name}")
    return value


def _username(value) -> str:
    username = _text("username", value, NAME_LIMIT).lower()  # Keycloak keeps usernames in lower case
    if not username:
        raise UserError("User name is missing")
    if username.startswith("service-account-"):
        raise UserError("Usernames starting with service-account- are reserved for service accounts")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise UserError("Invalid username: use letters, digits and @ . + - _ only") from None
    return username


def _email(value) -> str:
    email = _text("email", value, EMAIL_LIMIT)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise UserError("Invalid email address") from None
    return email


def _record(realm: Realm, operation: str, path: str, actor: Actor | None, representation=None, resource_type="USER") -> None:
    admin_event_record(realm=realm, operation=operation, resource_type=resource_type, resource_path=path,
                       actor=actor, representation=representation)


# --- users ----------------------------------------------------------------------------------------


@transaction.atomic
def user_create(*, username, email=None, first_name=None, last_name=None, enabled: bool = True,
                password: str | None = None, temporary: bool = False, actor: Actor | None = None):
    """A person of realm master without roles; with ``password`` (the Admin API's ``credentials``),
    checked by the password validators before anything is written, as ``user_password_set``."""
    realm = _lock_master()
    _require(actor, {permissions.MANAGE_USERS})
    User = get_user_model()
    username = _username(username)
    email = _email(email)
    if User.objects.filter(username__iexact=username).exists():
        raise UserExists()
    if email and User.objects.filter(email__iexact=email).exists():
        raise UserExists("User exists with same email")
    user = User(username=username, email=email, first_name=_text("firstName", first_name, NAME_LIMIT),
                last_name=_text("lastName", last_name, NAME_LIMIT), is_active=bool(enabled))
    if password is None:
        user.set_unusable_password()
    else:
        _password_check(password, user)  # the similarity check reads the unsaved user's names
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise UserExists() from None
    _record(realm, "CREATE", f"users/{user.pk}", actor, selectors.user_representation(user))
    if password is not None:
        if temporary:
            TemporaryPassword.objects.create(user=user)
        _record(realm, "ACTION", f"users/{user.pk}/reset-password", actor)
    return user


@transaction.atomic
def user_update(*, user_id, actor: Actor | None = None, username=None, email=None, first_name=None,
                last_name=None, enabled: bool | None = None):
    """Change the given fields (None keeps a field)."""
    realm = _lock_master()
    user = _locked_user(user_id)
    _require_manage(actor, user)
    User = get_user_model()
    if username is not None and username.strip().lower() != user.username:
        if selectors.user_is_service_account(user):
            raise UserError("The username of a service account cannot be changed")
        username = _username(username)
        if User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
            raise UserExists()
        user.username = username
    if email is not None:
        email = _email(email)
        if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise UserExists("User exists with same email")
        user.email = email
    if first_name is not None:
        user.first_name = _text("firstName", first_name, NAME_LIMIT)
    if last_name is not None:
        user.last_name = _text("lastName", last_name, NAME_LIMIT)
    if enabled is not None and bool(enabled) != user.is_active:
        if not enabled:
            if _is_self(actor, user):
                raise UserError("You cannot disable yourself")
            _keep_a_manage_realm_holder(user)
        user.is_active = bool(enabled)
    user.save()
    _record(realm, "UPDATE", f"users/{user.pk}", actor, selectors.user_representation(user))
    return user


@transaction.atomic
def user_delete(*, user_id, actor: Actor | None = None) -> None:
    realm = _lock_master()
    user = _locked_user(user_id)
    _require_manage(actor, user)
    if _is_self(actor, user):
        raise UserError("You cannot delete yourself")
    if selectors.user_is_service_account(user):
        raise UserError("A service account goes with its client: delete the client or turn its service account off")
    _keep_a_manage_realm_holder(user)
    pk = user.pk
    user.delete()
    _record(realm, "DELETE", f"users/{pk}", actor)


@transaction.atomic
def user_password_set(*, user_id, password, temporary: bool = False, actor: Actor | None = None) -> None:
    """Keycloak's reset-password: Django's password validators apply; ``temporary`` makes the
    user change it at their next console sign-in. The event never holds the password."""
    realm = _lock_master()
    user = _locked_user(user_id)
    _require_manage(actor, user)
    if selectors.user_is_service_account(user):
        raise UserError("A service account has no password")
    _password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    if temporary:
        TemporaryPassword.objects.get_or_create(user=user)
    else:
        TemporaryPassword.objects.filter(user=user).delete()
    _record(realm, "ACTION", f"users/{user.pk}/reset-password", actor)


def _password_check(password, user) -> None:
    """An administrator-set password: Django's password validators (length, common, numeric only,
    similar to the user's names), with the reason in the refusal."""
    if not isinstance(password, str) or not password or len(password) > PASSWORD_LIMIT or "\x00" in password:
        raise UserError("Invalid password")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise UserError(f"Invalid password: {' '.join(exc.messages)}") from None


@transaction.atomic
def user_password_change(*, user, password: str, actor: Actor | None = None) -> None:
    """The user's own change (the console's *Update password* page after a temporary one)."""
    realm = _lock_master()
    locked = get_user_model().objects.select_for_update(of=("self",)).get(pk=user.pk)
    try:
        password_validation.validate_password(password, locked)
    except ValidationError as exc:
        raise UserError(" ".join(exc.messages)) from None
    locked.set_password(password)
    locked.save(update_fields=["password"])
    TemporaryPassword.objects.filter(user=locked).delete()
    _record(realm, "ACTION", f"users/{locked.pk}/reset-password", actor)


# --- role mappings --------------------------------------------------------------------------------


@transaction.atomic
def user_roles_change(*, user_id, grant=(), revoke=(), actor: Actor | None = None) -> list[str]:
    """Map (``grant``) and unmap (``revoke``) realm-management roles; returns the user's direct roles.

    The caller must hold every role named and every role the user holds; the last manage-realm
    holder keeps it; a superuser's roles are not mappings and cannot be removed.
    """
    unknown = [role for role in [*grant, *revoke] if role not in permissions.ALL_ROLES]
    if unknown:
        raise UserError(f"Could not find role: {unknown[0]}", status=404)
    realm = _lock_master()
    user = _locked_user(user_id)
    _require_manage(actor, user)
    _require(actor, {*grant, *revoke})
    if revoke and user.is_superuser:
        raise UserError("The roles of a superuser cannot be removed")
    before = set(selectors.user_direct_roles(user))
    if permissions.MANAGE_REALM in revoke and permissions.MANAGE_REALM in before:
        _keep_a_manage_realm_holder(user)
    perms = {p.codename: p for p in Permission.objects.filter(
        content_type__app_label="realms", codename__in=[permissions.codename(r) for r in permissions.ALL_ROLES])}
    added = [r for r in grant if r not in before and r not in revoke]
    removed = [r for r in revoke if r in before]
    if added:
        user.user_permissions.add(*[perms[permissions.codename(r)] for r in added])
    if removed:
        user.user_permissions.remove(*[perms[permissions.codename(r)] for r in removed])
    client = selectors.realm_management_client(realm)
    target = str(client.pk) if client else selectors.REALM_MANAGEMENT
    roles = {role.name: role for role in selectors.realm_management_roles(client)} if client else {}
    path = f"users/{user.pk}/role-mappings/clients/{target}"

    def reps(names):
        return [selectors.role_representation(roles[n]) if n in roles else {"name": n} for n in names]

    if added:
        _record(realm, "CREATE", path, actor, reps(added), resource_type="CLIENT_ROLE_MAPPING")
    if removed:
        _record(realm, "DELETE", path, actor, reps(removed), resource_type="CLIENT_ROLE_MAPPING")
    fresh = get_user_model().objects.get(pk=user.pk)  # drop the permission cache
    return selectors.user_direct_roles(fresh)
