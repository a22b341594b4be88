"""Dynamic client registration endpoints: ``/realms/{realm}/clients-registrations/openid-connect``.

Who may call, from ``Authorization: Bearer <token>``:

* an access token (a JWT of this realm or of realm ``master``) of a user with ``manage-clients``
  (read: ``view-clients``); as in the Admin API, a role counts when the token carries it and its
  user still holds it;
* an initial access token (create only);
* the client's registration access token (read, update, delete), replaced on every update.

The client secret is answered only to the client's own registration access token and to
``manage-clients``; a ``view-clients`` reader gets the metadata without it. A client whose service
account holds admin roles is read without its secret, and refused an update or delete (403
``insufficient_scope``), unless the caller holds all of those roles (a registration access token
holds none). Anonymous registration is refused (401): the product has no client-registration
policies.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpResponse

from adminconsole.api.auth import token_roles
from clients.models import Client
from clients.representations import RepresentationError
from clients.selectors import (
    ClientAccessDenied,
    client_access_allowed,
    client_find_with_secrets,
    client_registration_token_valid,
)
from clients.services import ClientExists
from oidc import services, sessions, tokens
from oidc.errors import TokenError
from oidc.metadata import client_metadata, metadata_parse, metadata_to_representation
from oidc.views.endpoint import bearer_token, endpoint, issuer_of, json_response, realm_get
from policies.engine import ClientPolicyError, Event
from realms import permissions
from realms.actor import DYNAMIC_REGISTRATION, Actor, client_ip
from realms.errors import OAuthError
from realms.json_input import JSONInputError, json_parse
from realms.models import Realm

# Client-policy refusals on these "before" events answer 403; on the "after" events 400, as in Keycloak.
BEFORE_EVENTS = {Event.REGISTER, Event.UPDATE, Event.VIEW, Event.UNREGISTER}
MAX_BODY = 256 * 1024


@dataclass
class RegistrationAuth:
    kind: str | None  # "bearer", "initial-access-token", "registration-access-token" or None
    actor: Actor
    user: object = None
    initial_access_token_id: int | None = None
    # Whether the answer may carry the client secret: the client's own registration access token,
    # or an admin token with manage-clients. Never a view-clients reader.
    may_see_secret: bool = False


def _unauthorized(action: str) -> OAuthError:
    return OAuthError(401, "invalid_token", f"Not authorized to {action} client. Maybe missing token or bad token type.")


def _forbidden(description: str = "Forbidden") -> OAuthError:
    return OAuthError(403, "insufficient_scope", description)


def _actor(request, kind: str | None, roles=frozenset(), **extra) -> Actor:
    """Only an admin bearer token brings roles; the other tokens hold none."""
    return Actor(source=DYNAMIC_REGISTRATION, token_kind=kind, ip_address=client_ip(request), roles=frozenset(roles), **extra)


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def _bearer_auth(request, realm: Realm, token: str, role: str) -> RegistrationAuth | None:
    """An admin access token with ``role``; None when ``token`` is no access token at all."""
    if not _looks_like_jwt(token):
        return None
    try:
        claims = tokens.access_token_verify(token)
    except TokenError:
        return None
    if tokens.realm_of(claims) not in (realm.name, "master"):
        return None
    holder = sessions.token_holder(claims)
    if holder is None:
        return None  # ended session, or a disabled or deleted user or client: not a live token
    user = holder.user if tokens.realm_of(claims) == sessions.MASTER else None
    roles = _roles(claims, user)
    if not _grants(roles, role):
        raise _forbidden()
    actor = _actor(request, "bearer", roles, username=claims.get("preferred_username"), user_id=str(user.pk),
                   client_id=claims.get("azp"), auth_realm=tokens.realm_of(claims))
    return RegistrationAuth(kind="bearer", actor=actor, user=user, may_see_secret=_grants(roles, permissions.MANAGE_CLIENTS))


def _roles(claims: dict, user) -> set[str]:
    """The realm-management roles that count: carried by the token *and* still held by its user,
    so a token issued before a grant gains nothing and a revoked role is gone at once."""
    if user is None:
        return set()
    return token_roles(claims) & set(permissions.roles_of(user))


def _grants(roles: set[str], role: str) -> bool:
    return permissions.grants(roles, role)


def _client_auth(request, realm: Realm, client: Client | None, *, action: str, role: str) -> RegistrationAuth:
    """Registration access token of ``client``, or an admin bearer token with ``role``."""
    token = bearer_token(request)
    if not token:
        raise _unauthorized(action)
    if client is not None and client_registration_token_valid(client=client, token=token):
        return RegistrationAuth(kind="registration-access-token", may_see_secret=True,
                                actor=_actor(request, "registration-access-token", client_id=client.client_id))
    auth = _bearer_auth(request, realm, token, role)
    if auth is None:
        raise _unauthorized(action)
    return auth


def _json_body(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise OAuthError(400, "invalid_client_metadata", "Client metadata too large")
    if not request.body.strip():
        raise OAuthError(400, "invalid_client_metadata", "Client metadata must be a JSON object")
    try:
        return json_parse(request.body)
    except JSONInputError as exc:
        if exc.nul:  # PostgreSQL refuses NUL in text; the middleware only sees JSON content types
            raise OAuthError(400, "invalid_request", "Invalid characters in request") from None
        raise OAuthError(400, "invalid_request", "Cannot parse the JSON") from None


def _registration_uri(request, realm: Realm, client: Client) -> str:
    return f"{issuer_of(request, realm)}/clients-registrations/openid-connect/{client.client_id}"


# What the services refuse a registration or an update with; ``_refusal`` answers each.
REFUSALS = (ClientPolicyError, RepresentationError, ClientExists, ClientAccessDenied)


def _refusal(exc: Exception) -> OAuthError:
    if isinstance(exc, ClientPolicyError):
        # The engine names the refused event: 403 before the change, 400 after it.
        if exc.event in BEFORE_EVENTS:
            return OAuthError(403, "insufficient_scope", exc.error_description)
        return exc
    if isinstance(exc, ClientAccessDenied):
        return _forbidden()
    return OAuthError(400, "invalid_client_metadata", exc.message)  # ClientExists, RepresentationError


@endpoint("POST")
def register(request, realm: str):
    """POST: create a client (RFC 7591)."""
    realm_obj = realm_get(realm, enabled=True)
    token = bearer_token(request)
    if not token:
        raise _unauthorized("create")
    auth = _bearer_auth(request, realm_obj, token, permissions.MANAGE_CLIENTS)
    if auth is None:
        row = services.initial_access_token_find(realm=realm_obj, token=token)
        auth = RegistrationAuth(kind="initial-access-token", actor=_actor(request, "initial-access-token"), initial_access_token_id=row.pk)
    try:
        metadata = metadata_parse(_json_body(request))
        representation = metadata_to_representation(metadata, create=True)
        client, registration_token = services.dynamic_client_register(
            realm=realm_obj, representation=representation, actor=auth.actor, initial_access_token_id=auth.initial_access_token_id
        )
    except REFUSALS as exc:
        raise _refusal(exc) from None
    uri = _registration_uri(request, realm_obj, client)
    response = json_response(client_metadata(client, registration_client_uri=uri, registration_access_token=registration_token), status=201)
    response["Location"] = uri
    response["Cache-Control"] = "no-store"
    return response


@endpoint("GET", "PUT", "DELETE")
def client_configuration(request, realm: str, client_id: str):
    """GET, PUT, DELETE one registered client (RFC 7592)."""
    realm_obj = realm_get(realm, enabled=True)
    client = client_find_with_secrets(realm=realm_obj, client_id=client_id)
    action, role = {"GET": ("view", permissions.VIEW_CLIENTS), "PUT": ("update", permissions.MANAGE_CLIENTS),
                    "DELETE": ("delete", permissions.MANAGE_CLIENTS)}[request.method]
    auth = _client_auth(request, realm_obj, client, action=action, role=role)
    if client is None:
        raise OAuthError(404, "invalid_request", "Client not found")
    uri = _registration_uri(request, realm_obj, client)
    if request.method == "GET":
        presented = bearer_token(request) if auth.kind == "registration-access-token" else None
        include_secret = auth.may_see_secret and client_access_allowed(client=client, actor=auth.actor)
        response = json_response(client_metadata(client, registration_client_uri=uri, registration_access_token=presented,
                                                 include_secret=include_secret))
        response["Cache-Control"] = "no-store"
        return response
    if request.method == "DELETE":
        try:
            services.dynamic_client_delete(client=client, actor=auth.actor)
        except ClientPolicyError as exc:
            raise _forbidden(exc.error_description) from None
        except ClientAccessDenied:
            raise _forbidden() from None
        return HttpResponse(status=204)
    try:
        body = _json_body(request)
        if not isinstance(body, dict) or body.get("client_id") != client.client_id:
            raise OAuthError(400, "invalid_client_metadata", "Client Identifier modified")
        metadata = metadata_parse(body)
        representation = metadata_to_representation(metadata, create=False)
        client, registration_token = services.dynamic_client_update(client=client, representation=representation, actor=auth.actor)
    except REFUSALS as exc:
        raise _refusal(exc) from None
    # Read again: the update wrote the secret rows (the client ID cannot change, see above).
    client = client_find_with_secrets(realm=realm_obj, client_id=client.client_id)
    response = json_response(client_metadata(client, registration_client_uri=uri, registration_access_token=registration_token))
    response["Cache-Control"] = "no-store"
    return response
