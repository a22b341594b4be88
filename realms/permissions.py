"""Keycloak's realm-management roles as Django permissions, shared by console and API."""

from __future__ import annotations

VIEW_REALM = "view-realm"
MANAGE_REALM = "manage-realm"
VIEW_CLIENTS = "view-clients"
MANAGE_CLIENTS = "manage-clients"

ROLES = (VIEW_REALM, MANAGE_REALM, VIEW_CLIENTS, MANAGE_CLIENTS)

# A manage permission implies its view permission, as in Keycloak.
IMPLIED = {VIEW_REALM: (VIEW_REALM, MANAGE_REALM), VIEW_CLIENTS: (VIEW_CLIENTS, MANAGE_CLIENTS)}


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
    """The roles of ``required`` that ``held`` does not include, in ``ROLES`` order."""
    return [role for role in ROLES if role in required and not grants(held, role)]


def roles_of(user) -> list[str]:
    return [role for role in ROLES if has(user, role)]
