"""Bearer authentication for the Admin REST API.

Tokens are access tokens issued by realm ``master``'s token endpoint (password grant with
``admin-cli`` for administrators, client_credentials for a service account that was granted admin
roles). They are verified by ``oidc.tokens.access_token_verify`` (signature, expiry,
issuer). As in Keycloak, a role counts only when the token carries it
(``resource_access["realm-management"].roles``) *and* its user still holds it now
(``realms.permissions``, the console's model), so revoking a permission takes effect at once.
A token of an ended session, or of a disabled or deleted user or client, is refused (401).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError
from ninja.security import HttpBearer

from adminconsole.api.errors import forbidden, unauthorized
from oidc.sessions import token_holder
from oidc.tokens import access_token_verify
from realms import permissions
from realms.actor import ADMIN_API, Actor, client_ip

logger = logging.getLogger(__name__)

ADMIN_REALM = "master"
ROLES_CLIENT = "realm-management"


@dataclass(frozen=True)
class AdminAuth:
    """Who is calling: the verified token's claims and the roles that count."""

    username: str
    user_id: str
    client_id: str | None
    roles: frozenset[str]
    ip_address: str | None = None
    claims: dict = field(default_factory=dict, repr=False, compare=False)

    def has(self, role: str) -> bool:
        return permissions.grants(self.roles, role)

    def has_any(self) -> bool:
        return bool(self.roles)

    def require(self, role: str) -> None:
        if not self.has(role):
            raise forbidden()

    @property
    def actor(self) -> Actor:
        return Actor(
            source=ADMIN_API,
            username=self.username,
            user_id=self.user_id,
            client_id=self.client_id,
            auth_realm=ADMIN_REALM,
            ip_address=self.ip_address,
            roles=self.roles,
        )


def verify_access_token(token: str) -> dict:
    """The token's claims; raises on a bad signature, expiry or issuer (any exception = invalid)."""
    claims = access_token_verify(token)
    if not isinstance(claims, dict):
        raise ValueError("no claims")
    issuer = str(claims.get("iss") or "").rstrip("/")
    if not issuer.endswith(f"/realms/{ADMIN_REALM}"):
        raise ValueError("not a master realm token")
    if str(claims.get("typ") or "Bearer").lower() != "bearer":
        raise ValueError("not an access token")
    return claims


def token_roles(claims: dict) -> set[str]:
    access = claims.get("resource_access")
    if not isinstance(access, dict):
        return set()
    entry = access.get(ROLES_CLIENT)
    roles = entry.get("roles") if isinstance(entry, dict) else None
    if not isinstance(roles, list):
        return set()
    return {r for r in roles if isinstance(r, str) and r in permissions.ALL_ROLES}


class BearerAuth(HttpBearer):
    """ninja auth: every failure is Keycloak's 401 with a ``WWW-Authenticate: Bearer`` challenge."""

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            raise unauthorized(invalid_token=False)
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized(invalid_token=True)
        return self.authenticate(request, token)

    def authenticate(self, request, token: str) -> AdminAuth:
        try:
            claims = verify_access_token(token)
        except (OperationalError, InterfaceError):
            raise  # the database is down: a 503 (adminconsole.errors), not "invalid token"
        except Exception:  # any refusal by the verifier means "invalid token"
            logger.info("Admin API: refused bearer token from %s", client_ip(request))
            raise unauthorized(invalid_token=True) from None
        # The token's session, user and client must still be live (logout, deactivation and
        # deletion take effect at once); a service account acts as the user bound to its client.
        holder = token_holder(claims)
        if holder is None:
            raise unauthorized(invalid_token=True)
        # A service account without a bound user holds no admin roles: a valid token without permission (403).
        held = set(permissions.roles_of(holder.user)) if holder.user is not None else set()
        roles = frozenset(token_roles(claims) & held)
        username = f"service-account-{holder.client.client_id}" if holder.service_account else holder.user.get_username()
        azp = claims.get("azp")
        auth = AdminAuth(
            username=username,
            user_id=str(claims.get("sub") or ""),
            client_id=azp if isinstance(azp, str) else None,
            roles=roles,
            ip_address=client_ip(request),
            claims=claims,
        )
        request.admin = auth
        return auth
