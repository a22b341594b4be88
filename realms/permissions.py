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


def roles_of(user) -> list[str]:
    return [role for role in ROLES if has(user, role)]
