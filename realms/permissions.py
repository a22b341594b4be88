"""Keycloak's realm-management roles as Django permissions, shared by console and API."""

from __future__ import annotations

VIEW_REALM = "view-realm"
MANAGE_REALM = "manage-realm"
VIEW_CLIENTS = "view-clients"
MANAGE_CLIENTS = "manage-clients"
VIEW_USERS = "view-users"
MANAGE_USERS = "manage-users"

ROLES = (VIEW_REALM, MANAGE_REALM, VIEW_CLIENTS, MANAGE_CLIENTS)
# The administrators' own roles (Users pages and the users API). Kept apart from ``ROLES`` because
# manage-realm implies them: a token or whoami lists them only when held without manage-realm.
USER_ROLES = (VIEW_USERS, MANAGE_USERS)
ALL_ROLES = (*ROLES, *USER_ROLES)

# A manage permission implies its view permission, as in Keycloak; manage-realm implies the users roles.
IMPLIED = {
    VIEW_REALM: (VIEW_REALM, MANAGE_REALM),
    VIEW_CLIENTS: (VIEW_CLIENTS, MANAGE_CLIENTS),
    VIEW_USERS: (VIEW_USERS, MANAGE_USERS, MANAGE_REALM),
    MANAGE_USERS: (MANAGE_USERS, MANAGE_REALM),
}


def codename(role: str) -> str:
    return role.replace("-", "_")


def has(user, role: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(user.has_perm(f"realms.{codename(r)}") for r in IMPLIED.get(role, (role,)))


def grants(held, role: str) -> bool:
    """Whether the roles ``held`` (a token's, an actor's) include ``role``; a manage role counts for its view role."""
    return any(r in held for r in IMPLIED.get(role, (role,)))


def missing(held, required) -> list[str]:
    """The roles of ``required`` that ``held`` does not include, in ``ALL_ROLES`` order."""
    return [role for role in ALL_ROLES if role in required and not grants(held, role)]


def roles_of(user) -> list[str]:
    """The roles ``user`` holds; a users role only when manage-realm does not already imply it."""
    roles = [role for role in ROLES if has(user, role)]
    if MANAGE_REALM not in roles:
        roles += [role for role in USER_ROLES if has(user, role)]
    return roles
