"""The token endpoint's grants: client_credentials, password, refresh_token.

Each function takes an authenticated client and answers the token response body, or raises
``OAuthError`` with Keycloak's error code, text and status (a client policy's refusal is one:
``ClientPolicyError``, answered 400).
"""

from __future__ import annotations

from django.contrib.auth import authenticate

from clients.models import Client
from oidc import caches, keys, sessions, tokens
from oidc.errors import TokenError
from oidc.models import UserSession
from oidc.sessions import MASTER, service_account_subject
from policies.engine import Event, client_policies_trigger
from realms import clock
from realms.actor import client_ip
from realms.errors import OAuthError
from realms.models import Realm
from realms.permissions import roles_of
from users.selectors import user_password_temporary

DEFAULT_SCOPES = ("profile", "email")
REALM_MANAGEMENT = "realm-management"


def scope_of(requested: str | None) -> str:
    """The granted scope: ``openid`` when asked for, and the default client scopes."""
    asked = (requested or "").split()
    return " ".join((["openid"] if "openid" in asked else []) + list(DEFAULT_SCOPES))


def policies_trigger(event, *, realm: Realm, client: Client, grant_type: str, extra: dict | None = None) -> None:
    """The realm's client policies for a token-side ``event``; a refusal propagates (400)."""
    if event is None:
        return
    client_policies_trigger(event, realm=realm, client=client, extra={"grant_type": grant_type, **(extra or {})},
                            policies=caches.realm_policies(realm))


def user_claims(user, realm: Realm) -> dict:
    """Roles of a Django console user: realm-management client roles from their permissions."""
    realm_roles = [f"default-roles-{realm.name}"]
    if user.is_superuser:
        realm_roles += ["admin", "create-realm"]
    roles = roles_of(user)
    return {"realm_roles": realm_roles, "resource_access": {REALM_MANAGEMENT: roles} if roles else None}


def _response(*, access: str, expires_in: int, scope: str, refresh: str | None = None, refresh_expires_in: int = 0,
              id_token: str | None = None, session_id: str | None = None) -> dict:
    body = {"access_token": access, "expires_in": expires_in, "refresh_expires_in": refresh_expires_in}
    if refresh is not None:
        body["refresh_token"] = refresh
    body["token_type"] = "Bearer"
    if id_token is not None:
        body["id_token"] = id_token
    body["not-before-policy"] = 0
    if session_id is not None:
        body["session_state"] = session_id
    body["scope"] = scope
    return body


def grant_client_credentials(*, request, realm: Realm, client: Client, issuer: str) -> dict:
    if client.bearer_only:
        raise OAuthError(401, "unauthorized_client", "Bearer-only client not allowed to retrieve service account")
    if client.public_client:
        raise OAuthError(401, "unauthorized_client", "Public client not allowed to retrieve service account")
    if not client.service_accounts_enabled:
        raise OAuthError(401, "unauthorized_client", "Client not enabled to retrieve service account")
    username = f"service-account-{client.client_id}"
    realm_roles = [f"default-roles-{realm.name}"]
    resource_access = None
    if realm.name == MASTER:
        # A service account of realm master may administer: it acts as the user bound to this
        # client (by its internal id, never by its name).
        user = sessions.service_account_user(client)
        if user is not None:
            found = user_claims(user, realm)
            realm_roles, resource_access = found["realm_roles"], found["resource_access"]
    policies_trigger(Event.SERVICE_ACCOUNT_TOKEN_REQUEST, realm=realm, client=client, grant_type="client_credentials")
    scope = scope_of(request.POST.get("scope"))
    now = clock.epoch()
    ip = client_ip(request)
    access, claims = tokens.access_token_issue(
        realm=realm, issuer=issuer, client_id=client.client_id, subject=service_account_subject(client),
        username=username, scope=scope, realm_roles=realm_roles, resource_access=resource_access, now=now,
        extra={"client_id": client.client_id, "clientHost": ip, "clientAddress": ip},
    )
    id_token = None
    if "openid" in scope.split():
        id_token = tokens.id_token_issue(realm=realm, issuer=issuer, client_id=client.client_id, subject=claims["sub"],
                                         username=username, session_id=None, now=now)
    return _response(access=access, expires_in=claims["exp"] - now, scope=scope, id_token=id_token)


def _issue_user_tokens(*, realm: Realm, client: Client, issuer: str, user, scope: str, session: UserSession) -> dict:
    now = clock.epoch()
    found = user_claims(user, realm)
    username = user.get_username()
    session_id = session.sid
    # No token of the session outlives the session's maximum lifetime (Keycloak's SSO Session Max).
    remaining = sessions.session_remaining(session, now=now)
    lifespan = min(realm.access_token_lifespan, remaining)
    access, claims = tokens.access_token_issue(
        realm=realm, issuer=issuer, client_id=client.client_id, subject=str(user.pk), username=username, scope=scope,
        session_id=session_id, realm_roles=found["realm_roles"], resource_access=found["resource_access"], now=now,
        extra={"email_verified": False}, lifespan=lifespan,
    )
    refresh, refresh_claims = tokens.refresh_token_issue(
        realm=realm, issuer=issuer, client_id=client.client_id, subject=str(user.pk), session_id=session_id, scope=scope,
        now=now, lifespan=min(keys.REFRESH_TOKEN_LIFESPAN, remaining),
    )
    id_token = None
    if "openid" in scope.split():
        id_token = tokens.id_token_issue(realm=realm, issuer=issuer, client_id=client.client_id, subject=str(user.pk),
                                         username=username, session_id=session_id, now=now, extra={"email_verified": False},
                                         lifespan=lifespan)
    return _response(access=access, expires_in=claims["exp"] - now, scope=scope, refresh=refresh,
                     refresh_expires_in=refresh_claims["exp"] - now, id_token=id_token, session_id=session_id)


def _refuse_bearer_only(client: Client) -> None:
    if client.bearer_only:
        raise OAuthError(400, "invalid_client", "Bearer-only not allowed")


def grant_password(*, request, realm: Realm, client: Client, issuer: str) -> dict:
    _refuse_bearer_only(client)
    if not client.direct_access_grants_enabled:
        raise OAuthError(400, "unauthorized_client", "Client not allowed for direct access grants")
    policies_trigger(getattr(Event, "RESOURCE_OWNER_PASSWORD_CREDENTIALS_REQUEST", None), realm=realm, client=client, grant_type="password")
    username = request.POST.get("username") or ""
    password = request.POST.get("password") or ""
    if not username:
        raise OAuthError(401, "invalid_request", "Missing parameter: username")
    user = None
    if realm.name == MASTER and password:
        # Console administrators are Django users of realm master (throttled by django-axes).
        user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise OAuthError(401, "invalid_grant", "Invalid user credentials")
    if user_password_temporary(user):
        # A temporary password is for signing in once and choosing a new one (Keycloak's
        # required action), never for tokens.
        raise OAuthError(400, "invalid_grant", "Account is not fully set up")
    scope = scope_of(request.POST.get("scope"))
    session = sessions.session_start(user=user, client=client)
    return _issue_user_tokens(realm=realm, client=client, issuer=issuer, user=user, scope=scope, session=session)


def grant_refresh_token(*, request, realm: Realm, client: Client, issuer: str) -> dict:
    _refuse_bearer_only(client)
    token = request.POST.get("refresh_token")
    if not token:
        raise OAuthError(400, "invalid_request", "Missing parameter: refresh_token")
    claims = refresh_token_claims(token, realm=realm, check_expiry=False)
    if claims.get("azp") != client.client_id:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")
    session = sessions.session_live(claims)
    # The session answers first: after logout or its maximum lifetime it is "not active" for
    # good, whatever the token's own exp says.
    if session is None or session.client_id != client.pk:
        raise OAuthError(400, "invalid_grant", "Session not active")
    if claims["exp"] <= clock.epoch():
        raise OAuthError(400, "invalid_grant", "Token is not active")
    if sessions.token_stale(claims, session.client):
        # Issued before the client's notBefore (the kill switch): Keycloak's "Stale token".
        raise OAuthError(400, "invalid_grant", "Stale token")
    policies_trigger(Event.TOKEN_REFRESH, realm=realm, client=client, grant_type="refresh_token")
    scope = claims.get("scope") or scope_of(None)
    return _issue_user_tokens(realm=realm, client=client, issuer=issuer, user=session.user, scope=scope, session=session)


def refresh_token_claims(token: str, *, realm: Realm, check_expiry: bool = True) -> dict:
    """Verified refresh-token claims, or 400 invalid_grant with Keycloak's texts."""
    try:
        claims = tokens.refresh_token_verify(token, realm=realm.name, check_expiry=check_expiry)
    except TokenError as exc:
        text = "Token is not active" if exc.error_description == "Token is not active" else "Invalid refresh token"
        raise OAuthError(400, "invalid_grant", text) from None
    if not claims.get("sid"):
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    return claims


# grant_type -> grant; also what discovery publishes as grant_types_supported
GRANTS = {
    "client_credentials": grant_client_credentials,
    "password": grant_password,
    "refresh_token": grant_refresh_token,
}
