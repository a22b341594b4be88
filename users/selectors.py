"""Reads of realm master's users (the console's administrators) and the realm-management client."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from clients.models import Client, ClientRole, ServiceAccount
from realms import permissions
from realms.models import Realm
from users.models import TemporaryPassword

ADMIN_REALM = "master"
REALM_MANAGEMENT = "realm-management"
# Keycloak's lists: at most this many rows, whatever ``max`` says (README "Lists and filters").
MAX_RESULTS = 1000


def user_find(user_id) -> object | None:
    """A user of realm master by id (people and service accounts), or None."""
    try:
        pk = int(str(user_id))
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return get_user_model().objects.select_related("service_account__client").filter(pk=pk).first()


def users_query(*, search: str | None = None, username: str | None = None, email: str | None = None,
                first_name: str | None = None, last_name: str | None = None, exact: bool = False):
    """People of realm master (service-account users are left out, as Keycloak lists them), by username."""
    users = get_user_model().objects.filter(service_account__isnull=True).order_by("username")
    lookup = "iexact" if exact else "icontains"
    for field, value in (("username", username), ("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value:
            users = users.filter(**{f"{field}__{lookup}": value})
    if search:
        term = search.strip().strip("*")
        if term:
            users = users.filter(Q(username__icontains=term) | Q(email__icontains=term)
                                 | Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return users


def users_list(*, first: int = 0, max_results: int | None = None, **filters) -> list:
    limit = MAX_RESULTS if max_results is None else min(max_results, MAX_RESULTS)
    return list(users_query(**filters).select_related("temporary_password")[first:first + limit])


def users_count(**filters) -> int:
    return users_query(**filters).count()


def user_direct_roles(user) -> list[str]:
    """The realm-management roles mapped to ``user`` itself (a superuser: all of them)."""
    if user.is_superuser:
        return list(permissions.ALL_ROLES)
    codenames = {p.codename for p in user.user_permissions.all() if p.content_type.app_label == "realms"}
    return [role for role in permissions.ALL_ROLES if permissions.codename(role) in codenames]


def user_effective_roles(user) -> list[str]:
    """Every role ``user`` holds, a manage role counting for its view role."""
    held = user_direct_roles(user)
    return [role for role in permissions.ALL_ROLES if permissions.grants(held, role)]


def user_password_temporary(user) -> bool:
    return TemporaryPassword.objects.filter(user=user).exists()


def user_is_service_account(user) -> bool:
    return hasattr(user, "service_account")


def user_representation(user) -> dict:
    """Keycloak's UserRepresentation."""
    rep = {
        "id": str(user.pk),
        "username": user.get_username(),
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "emailVerified": False,
        "createdTimestamp": int(user.date_joined.timestamp() * 1000),
        "enabled": user.is_active,
        "totp": False,
        "disableableCredentialTypes": [],
        "requiredActions": ["UPDATE_PASSWORD"] if TemporaryPassword.objects.filter(user_id=user.pk).exists() else [],
        "notBefore": 0,
        "access": {"manageGroupMembership": False, "view": True, "mapRoles": True, "impersonate": False,
                   "manage": True},
    }
    account = getattr(user, "service_account", None) if user_is_service_account(user) else None
    if account is not None:
        rep["username"] = f"service-account-{account.client.client_id}"
        rep["serviceAccountClientId"] = account.client.client_id
    return rep


def realm_management_client(realm: Realm | None = None) -> Client | None:
    realm = realm or Realm.objects.filter(name=ADMIN_REALM).first()
    if realm is None:
        return None
    return Client.objects.filter(realm=realm, client_id=REALM_MANAGEMENT).first()


def realm_management_roles(client: Client) -> list[ClientRole]:
    """The client's roles in ``ALL_ROLES`` order."""
    roles = {role.name: role for role in ClientRole.objects.filter(client=client, name__in=permissions.ALL_ROLES)}
    return [roles[name] for name in permissions.ALL_ROLES if name in roles]


def role_representation(role: ClientRole) -> dict:
    """Keycloak's RoleRepresentation of a realm-management role (brief, as in mappings)."""
    return {"id": str(role.pk), "name": role.name, "description": role.description, "composite": False,
            "clientRole": True, "containerId": str(role.client_id)}


def manage_realm_holders():
    """Active people (not service accounts) who hold manage-realm, directly or as superusers."""
    manage_realm = Q(user_permissions__codename=permissions.codename(permissions.MANAGE_REALM),
                     user_permissions__content_type__app_label="realms")
    return (get_user_model().objects.filter(is_active=True, service_account__isnull=True)
            .filter(Q(is_superuser=True) | manage_realm).distinct())


def service_account_direct_roles(client: Client) -> list[str]:
    """The roles mapped to ``client``'s service account (none when it has no account yet)."""
    account = ServiceAccount.objects.select_related("user").filter(client=client).first()
    return user_direct_roles(account.user) if account else []


def role_holders(*, client: Client, role_name: str, first: int = 0, max_results: int = 100) -> list:
    """Users mapped to ``client``'s role ``role_name`` (a superuser holds every realm-management
    role), by username. Only realm-management's roles can be held by a user here."""
    rm = realm_management_client(client.realm)
    if rm is None or rm.pk != client.pk or role_name not in permissions.ALL_ROLES:
        return []
    mapped = Q(user_permissions__codename=permissions.codename(role_name),
               user_permissions__content_type__app_label="realms")
    holders = get_user_model().objects.filter(Q(is_superuser=True) | mapped).distinct().order_by("username")
    return list(holders.select_related("temporary_password")[first:first + max_results])

