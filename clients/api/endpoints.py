"""Admin REST API: clients, their secrets, registration access token and client roles.

Keycloak's paths under ``/admin/realms/{realm}/clients`` (docs/keycloak.md §3, docs/wire-contract.md
§3). Handlers are thin: parse, check the role, call ``clients.services`` / ``clients.selectors``,
render with ``clients.representations``. Refusals keep Keycloak's shapes (see
``adminconsole.api.instance`` for the exception → body mapping).
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from ninja import Query, Router

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import ApiError, json_response, no_content, not_found, oauth_error
from adminconsole.api.schemas import (
    ERRORS_READ,
    ERRORS_WRITE,
    ClientInitialAccess,
    ClientInitialAccessCreate,
    ClientRepresentation,
    CredentialRepresentation,
    KeycloakError,
    RoleRepresentation,
    RoleRepresentationIn,
)
from clients import adapter, rotation, selectors, services
from clients.api.schemas import ClientSecretOverview, ClientSecretsSummary, SecretStatus, client_request_schema
from clients.models import Client, ClientRole
from clients.representations import client_representation
from oidc import selectors as oidc_selectors
from oidc.services import initial_access_token_create, initial_access_token_delete
from realms import clock, permissions
from realms.selectors import MAX_RESULTS, page, page_of

router = Router(tags=["Clients"])

CLIENT_REP = "ClientRepresentation"
ROLE_REP = "RoleRepresentation"
ROLE_FIELDS = {"id", "name", "description", "composite", "clientRole", "containerId", "attributes", "composites"}
INT32_MAX = 2**31 - 1

def _client(realm, id: str) -> Client:
    try:
        return selectors.client_get(realm=realm, id=id)
    except Client.DoesNotExist:
        raise not_found("Could not find client") from None


def _authorized_client(request, realm: str, id: str, role: str):
    """The caller's auth and the client at ``/realms/{realm}/clients/{id}``: realm 404, then role 403, then client 404."""
    auth, realm_obj = authorized_realm(request, realm, role)
    return auth, _client(realm_obj, id)


def _created(request, path: str) -> HttpResponse:
    """201 with ``Location`` and no body: both clients take the new id from the Location."""
    response = HttpResponse(status=201)
    del response["Content-Type"]
    response["Location"] = request.build_absolute_uri(path)
    return response


def _credential(value: str | None) -> HttpResponse:
    """Keycloak's CredentialRepresentation (never cached: ``NoStoreMiddleware``)."""
    body = {"type": "secret"}
    if value is not None:
        body["value"] = value
    return json_response(body)


def _may_see_secret(auth, client: Client, actor) -> bool:
    """``secret`` in clear needs manage-clients, and every role of the client's service account."""
    return auth.has(permissions.MANAGE_CLIENTS) and selectors.client_access_allowed(client=client, actor=actor)


# --- clients --------------------------------------------------------------------------------------


@router.get(
    "/realms/{realm}/clients",
    response={200: list[ClientRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="List clients",
    description="`clientId` matches exactly, or as a case-insensitive substring with `search=true`. "
    f"`first` / `max` paginate; at most {MAX_RESULTS} clients, also without `max`. Without manage-clients, or "
    "without every role the client's service account holds, `secret` is masked as `**********`.",
)
def clients_list(
    request,
    realm: str,
    clientId: str | None = Query(None, max_length=255),
    search: bool = False,
    first: int | None = Query(None, ge=0, le=INT32_MAX),
    max_: int | None = Query(None, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    clients = selectors.client_list(realm=realm_obj, search=clientId or "", exact=not search, with_secrets=True)
    actor = auth.actor
    return json_response([client_representation(c, include_secret=_may_see_secret(auth, c, actor)) for c in page_of(clients, first, max_)])


@router.post(
    "/realms/{realm}/clients",
    response={201: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Create a client",
    description="201 with `Location: .../clients/{id}` and no body. A duplicate clientId is 409; a refusal "
    "by a client policy is 400 `{\"error\",\"error_description\"}` and nothing is created.",
    openapi_extra=body_doc(client_request_schema(create=True), required=True),
)
def clients_create(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_CLIENTS)
    body = b.json_object(request, CLIENT_REP, required=True)
    client = services.client_create(realm=realm_obj, representation=body, actor=auth.actor)
    return _created(request, f"/admin/realms/{realm_obj.name}/clients/{client.pk}")


@router.get("/realms/{realm}/clients/{id}", response={200: ClientRepresentation, **ERRORS_READ}, summary="Get a client")
def clients_get(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.VIEW_CLIENTS)
    return json_response(client_representation(client, include_secret=_may_see_secret(auth, client, auth.actor)))


@router.put(
    "/realms/{realm}/clients/{id}",
    response={204: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Update a client (merge)",
    description="Only the fields sent change; `attributes` merge key by key. A refusal by a client policy "
    "is 400 `{\"error\",\"error_description\"}` and nothing changes.",
    openapi_extra=body_doc(client_request_schema(create=False)),
)
def clients_update(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    body = b.json_object(request, CLIENT_REP) or {}
    services.client_update(client=client, representation=body, actor=auth.actor)
    return no_content()


@router.delete("/realms/{realm}/clients/{id}", response={204: None, **ERRORS_WRITE}, summary="Delete a client")
def clients_delete(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    services.client_delete(client=client, actor=auth.actor)
    return no_content()


# --- secrets --------------------------------------------------------------------------------------


@router.get(
    "/realms/{realm}/clients/{id}/client-secret",
    response={200: CredentialRepresentation, **ERRORS_READ},
    summary="Get the client secret",
    description="`{\"type\":\"secret\",\"value\":...}`; `{\"type\":\"secret\"}` for a client without a secret. "
    "403 unless the caller holds every role the client's service account holds (as for every change of the client).",
)
def client_secret_get(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    return _credential(selectors.client_secret_value(client=client, actor=auth.actor))


@router.post(
    "/realms/{realm}/clients/{id}/client-secret",
    response={200: CredentialRepresentation, **ERRORS_WRITE},
    summary="Regenerate the client secret",
    description="Runs the client policies (a matching `secret-rotation` executor keeps the old secret as "
    "the rotated secret). No body is needed; one is ignored.",
)
def client_secret_regenerate(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    return _credential(services.client_secret_regenerate(client=client, actor=auth.actor))


@router.get(
    "/realms/{realm}/clients/{id}/client-secret/rotated",
    response={200: CredentialRepresentation, **ERRORS_READ},
    summary="Get the rotated secret",
    description="404 `{\"error\":\"Client does not have a rotated secret\"}` when there is none. An expired "
    "rotated secret is still returned.",
)
def client_rotated_secret_get(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    value = selectors.client_rotated_secret_value(client=client, actor=auth.actor)
    if value is None:
        raise ApiError(404, {"error": "Client does not have a rotated secret"})
    return _credential(value)


@router.delete(
    "/realms/{realm}/clients/{id}/client-secret/rotated",
    response={204: None, **ERRORS_WRITE},
    summary="Invalidate the rotated secret",
    description="204 also when there is nothing to invalidate.",
)
def client_rotated_secret_invalidate(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    services.client_rotated_secret_invalidate(client=client, actor=auth.actor)
    return no_content()


@router.post(
    "/realms/{realm}/clients/{id}/registration-access-token",
    response={200: ClientRepresentation, **ERRORS_WRITE},
    summary="Regenerate the registration access token",
    description="The client with `registrationAccessToken`, the new token (shown only here). The previous "
    "token stops working.",
)
def client_registration_token_regenerate(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    client, token = services.client_registration_token_regenerate(client=client, actor=auth.actor)
    return json_response({**client_representation(client, include_secret=True), "registrationAccessToken": token})


# --- adapter configuration -------------------------------------------------------------------------


@router.get(
    "/realms/{realm}/clients/{id}/installation/providers/{provider_id}",
    response={200: dict, **ERRORS_READ},
    summary="Adapter configuration",
    description=f"`{adapter.PROVIDER_ID}` only (Keycloak's keycloak.json); any other provider is 404 "
    "`Unknown Provider`. view-clients; the secret in clear only with manage-clients and every role of the "
    "client's service account, `**********` otherwise.",
)
def client_installation_provider(request, realm: str, id: str, provider_id: str):
    auth, client = _authorized_client(request, realm, id, permissions.VIEW_CLIENTS)
    if provider_id != adapter.PROVIDER_ID:
        raise not_found("Unknown Provider")
    config = adapter.adapter_config(client=client, server_url=request.build_absolute_uri("/"),
                                    include_secret=_may_see_secret(auth, client, auth.actor))
    return json_response(config)


# --- the secret-rotation overview ---------------------------------------------------------------
#
# Not a Keycloak endpoint: Keycloak lists no expiries anywhere. Never a secret, so
# view-clients is enough. One query per answer, whatever the realm's size (clients.rotation).

DEFAULT_MAX = 100


def _seconds(value: int | None) -> int | None:
    return value if value and value > 0 else None


def client_secret_overview(row: dict) -> dict:
    has_rotated = row["rotated_use_count"] is not None
    return {
        "id": str(row["pk"]),
        "clientId": row["client_id"],
        "status": row["status"],
        "expiresAt": _seconds(row["expires"]),
        "rotatedExpiresAt": _seconds(row["rotated_expires"]),
        "lastUsedAt": _seconds(row["last_used"]),
        "useCount": row["use_count"] or 0,
        "rotatedLastUsedAt": _seconds(row["rotated_last_used"]),
        "rotatedUseCount": row["rotated_use_count"] if has_rotated else None,
    }


@router.get(
    "/realms/{realm}/client-secrets",
    response={200: list[ClientSecretOverview], 400: KeycloakError, **ERRORS_READ},
    summary="List confidential clients' secret expiries and use",
    description="Every confidential client with its current and rotated secret's expiry, last use and use "
    "count (epoch seconds, null when absent); never a secret. Sorted by the current secret's expiry, soonest "
    "first, those without one last. `status` keeps one status; `expiresBefore` keeps secrets with an expiry "
    "before that time (expired ones included); `search` matches a Client ID substring, case-insensitively; "
    f"`first`/`max` paginate (`max` defaults to {DEFAULT_MAX}, at most {MAX_RESULTS}).",
    tags=["Secret rotation"],
)
def client_secrets_list(
    request,
    realm: str,
    status: SecretStatus | None = Query(None),
    expiresBefore: int | None = Query(None, ge=0, le=2**62),
    search: str | None = Query(None, max_length=255),
    first: int = Query(0, ge=0, le=INT32_MAX),
    max_: int = Query(DEFAULT_MAX, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    filters = rotation.SecretsFilter(status=status, expires_before=expiresBefore, search=search or "")
    rows = rotation.client_secrets_list(realm=realm_obj, now=clock.epoch(), filters=filters)
    return json_response([client_secret_overview(row) for row in rows[page(first, max_)]])


@router.get(
    "/realms/{realm}/client-secrets/summary",
    response={200: ClientSecretsSummary, **ERRORS_READ},
    summary="Count confidential clients by secret expiry",
    description="`expired`: the current secret's expiry has passed; `expiringWithin7Days` / "
    "`expiringWithin30Days`: it expires from now to that many days ahead; `noExpiry`: it has none; "
    "`rotatedInUse`: the rotated secret has not expired and was used since the rotation, last within "
    "the quiet period (`ROTATED_SECRET_QUIET_PERIOD`, a day by default).",
    tags=["Secret rotation"],
)
def client_secrets_summary(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    summary = rotation.client_secrets_summary(realm=realm_obj, now=clock.epoch())
    return json_response({
        "total": summary.total,
        "expired": summary.expired,
        "expiringWithin7Days": summary.expiring_within_7_days,
        "expiringWithin30Days": summary.expiring_within_30_days,
        "noExpiry": summary.no_expiry,
        "rotatedInUse": summary.rotated_in_use,
    })


# --- roles ----------------------------------------------------------------------------------------


def role_representation(role: ClientRole, client: Client, *, brief: bool = True) -> dict:
    """Keycloak's RoleRepresentation; lists answer the brief one, a single role has ``attributes``."""
    body = {
        "id": str(role.pk),
        "name": role.name,
        "description": role.description,
        "composite": False,
        "clientRole": True,
        "containerId": str(client.pk),
    }
    if not brief:
        body["attributes"] = role.attributes or {}
    return body


def _role(client: Client, name: str) -> ClientRole:
    try:
        return selectors.client_role_get(client=client, name=name)
    except ClientRole.DoesNotExist:
        raise not_found("Could not find role") from None


@router.get(
    "/realms/{realm}/clients/{id}/roles",
    response={200: list[RoleRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="List client roles",
    description=f"`first` / `max` paginate; at most {MAX_RESULTS} roles, also without `max`.",
)
def client_roles_list(
    request,
    realm: str,
    id: str,
    search: str | None = Query(None, max_length=255),
    first: int | None = Query(None, ge=0, le=INT32_MAX),
    max_: int | None = Query(None, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, client = _authorized_client(request, realm, id, permissions.VIEW_CLIENTS)
    roles = selectors.client_roles(client=client, search=search or "")
    return json_response([role_representation(role, client) for role in page_of(roles, first, max_)])


@router.post(
    "/realms/{realm}/clients/{id}/roles",
    response={201: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Create a client role",
    description="201 with `Location: .../roles/{role-name}`. A duplicate name is 409.",
    openapi_extra=body_doc(RoleRepresentationIn, required=True),
)
def client_roles_create(request, realm: str, id: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    body = b.json_object(request, ROLE_REP, required=True)
    b.reject_unknown(body, ROLE_FIELDS, ROLE_REP)
    name = b.opt_str(body, "name", ROLE_REP, max_length=4096)
    if not name:
        raise oauth_error(400, "invalid_input", "Role name is required")
    description = b.opt_str(body, "description", ROLE_REP, max_length=1024) or ""
    role = services.client_role_create(client=client, name=name, description=description, attributes=body.get("attributes"),
                                       actor=auth.actor)
    return _created(request, f"/admin/realms/{client.realm.name}/clients/{client.pk}/roles/{quote(role.name, safe='')}")


@router.get(
    "/realms/{realm}/clients/{id}/roles/{role_name}",
    response={200: RoleRepresentation, **ERRORS_READ},
    summary="Get a client role by name",
)
def client_roles_get(request, realm: str, id: str, role_name: str):
    auth, client = _authorized_client(request, realm, id, permissions.VIEW_CLIENTS)
    return json_response(role_representation(_role(client, role_name), client, brief=False))


@router.put(
    "/realms/{realm}/clients/{id}/roles/{role_name}",
    response={204: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Update a client role by name",
    description="As Keycloak: `name` renames the role (409 when the client has a role of that name; absent keeps "
    "it), `description` is replaced (absent clears it), `attributes` (names to lists of strings) replace the "
    "stored ones when sent.",
    openapi_extra=body_doc(RoleRepresentationIn, required=True),
)
def client_roles_update(request, realm: str, id: str, role_name: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    role = _role(client, role_name)
    body = b.json_object(request, ROLE_REP, required=True)
    b.reject_unknown(body, ROLE_FIELDS, ROLE_REP)
    name = b.opt_str(body, "name", ROLE_REP, max_length=4096)
    description = b.opt_str(body, "description", ROLE_REP, max_length=1024)
    try:
        services.client_role_update(role=role, name=name or None, description=description,
                                    attributes=body.get("attributes"), actor=auth.actor)
    except ClientRole.DoesNotExist:
        raise not_found("Could not find role") from None
    return no_content()


@router.get(
    "/realms/{realm}/roles-by-id/{role_id}",
    response={200: RoleRepresentation, **ERRORS_READ},
    summary="Get a role by id",
    description="Client roles only (this server has no realm roles); view-clients.",
    tags=["Roles"],
)
def roles_by_id_get(request, realm: str, role_id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    try:
        role = selectors.client_role_by_id(realm=realm_obj, id=role_id)
    except ClientRole.DoesNotExist:
        raise not_found("Could not find role") from None
    return json_response(role_representation(role, role.client, brief=False))


@router.delete(
    "/realms/{realm}/clients/{id}/roles/{role_name}",
    response={204: None, **ERRORS_WRITE},
    summary="Delete a client role by name",
)
def client_roles_delete(request, realm: str, id: str, role_name: str):
    auth, client = _authorized_client(request, realm, id, permissions.MANAGE_CLIENTS)
    role = _role(client, role_name)
    if not services.client_role_delete(role=role, actor=auth.actor):
        raise not_found("Could not find role")
    return no_content()


# --- initial access tokens (dynamic client registration) ------------------------------------------


@router.post(
    "/realms/{realm}/clients-initial-access",
    response={201: ClientInitialAccess, **ERRORS_WRITE},
    summary="Create an initial access token",
    description="For OIDC dynamic client registration. `expiration` in seconds (0: never), `count` how many "
    "clients it may register (at least 1). The token is shown only in this answer.",
    openapi_extra=body_doc(ClientInitialAccessCreate),
)
def clients_initial_access_create(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_CLIENTS)
    rep = "ClientInitialAccessCreatePresentation"
    body = b.json_object(request, rep) or {}
    b.reject_unknown(body, {"expiration", "count"}, rep)
    expiration = b.opt_int(body, "expiration", rep)
    count = b.opt_int(body, "count", rep)
    expiration = 0 if expiration is None else expiration
    count = 1 if count is None else count
    if expiration < 0:
        raise oauth_error(400, "invalid_request", "Invalid value for expiration")
    if count < 1:
        raise oauth_error(400, "invalid_request", "Invalid value for count")
    token, row = initial_access_token_create(realm=realm_obj, expiration=expiration, count=count, actor=auth.actor)
    return json_response(
        {
            "id": str(row.pk),
            "token": token,
            "timestamp": row.created,
            "expiration": row.expiration,
            "count": row.count,
            "remainingCount": row.remaining_count,
        },
        status=201,
    )


def initial_access_presentation(row) -> dict:
    """Keycloak's ClientInitialAccessPresentation as its list answers it: never the token."""
    return {
        "id": str(row.pk),
        "timestamp": row.created,
        "expiration": row.expiration,
        "count": row.count,
        "remainingCount": row.remaining_count,
    }


@router.get(
    "/realms/{realm}/clients-initial-access",
    response={200: list[ClientInitialAccess], **ERRORS_READ},
    summary="List initial access tokens",
    description=f"Newest first, at most {MAX_RESULTS}; the token itself is never answered again (only its digest is stored).",
)
def clients_initial_access_list(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    return json_response([initial_access_presentation(row) for row in oidc_selectors.initial_access_tokens_list(realm=realm_obj)])


@router.delete(
    "/realms/{realm}/clients-initial-access/{token_id}",
    response={204: None, **ERRORS_WRITE},
    summary="Delete an initial access token",
    description="204 also when there is no such token, as Keycloak answers.",
)
def clients_initial_access_delete(request, realm: str, token_id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_CLIENTS)
    if token_id.isdigit() and len(token_id) <= 18:
        initial_access_token_delete(realm=realm_obj, token_id=int(token_id), actor=auth.actor)
    return no_content()
