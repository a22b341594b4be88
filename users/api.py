"""Keycloak's users API for realm master's administrators, and the role mappings of the built-in
``realm-management`` client (docs/keycloak.md: Keycloak's paths and bodies, so python-keycloak and
the admin client manage administrators unchanged).

Only realm master has users: under any other realm the lists are empty, the counts 0 and a user
404. Reads need view-users, changes manage-users (manage-realm implies both); the services add the
rules about roles the caller does not hold, the last manage-realm holder and oneself.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Query, Router

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import ApiError, json_response, no_content, not_found
from adminconsole.api.schemas import ERRORS_READ, ERRORS_WRITE, KeycloakError
from clients import selectors as client_selectors
from clients.models import Client, ClientRole
from clients.service_accounts import service_account_user_ensure
from realms import permissions
from users import selectors, services
from users.errors import UserNotFound

router = Router(tags=["Users"])

INT32_MAX = 2**31 - 1

USER_FIELDS = {"id", "username", "email", "firstName", "lastName", "enabled", "emailVerified", "createdTimestamp",
               "totp", "disableableCredentialTypes", "requiredActions", "notBefore", "access", "attributes",
               "credentials", "groups", "realmRoles", "clientRoles", "federationLink", "serviceAccountClientId", "self",
               "origin", "userProfileMetadata", "socialLinks", "federatedIdentities", "applicationRoles"}
USER_DOC = ("UserRepresentation", {"type": "object", "properties": {
    "username": {"type": "string"}, "email": {"type": "string"}, "firstName": {"type": "string"},
    "lastName": {"type": "string"}, "enabled": {"type": "boolean"}}})
CREDENTIAL_DOC = ("CredentialRepresentation", {"type": "object", "properties": {
    "type": {"type": "string"}, "value": {"type": "string"}, "temporary": {"type": "boolean"}}})
ROLES_DOC = ("RoleRepresentationList", {"type": "array", "items": {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}}}})


def _master(realm_obj) -> bool:
    return realm_obj.name == selectors.ADMIN_REALM


def _user(realm_obj, id: str):
    user = selectors.user_find(id) if _master(realm_obj) else None
    if user is None:
        raise UserNotFound()
    return user


def _rm_client(realm_obj, client_id: str):
    """The client of a role-mapping path: only realm-management has roles a user can hold here."""
    rm = selectors.realm_management_client(realm_obj)
    if rm is None or str(rm.pk) != client_id:
        raise not_found("Client not found")
    return rm


def _filters(username, email, first_name, last_name, search, exact):
    return {"username": username, "email": email, "first_name": first_name, "last_name": last_name,
            "search": search, "exact": bool(exact)}


@router.get("/realms/{realm}/users", response={200: list[dict[str, Any]], 400: KeycloakError, **ERRORS_READ},
            summary="List users (realm master only)")
def users_list(request, realm: str,
               search: str | None = Query(None, max_length=255), username: str | None = Query(None, max_length=255),
               email: str | None = Query(None, max_length=255),
               firstName: str | None = Query(None, max_length=255),  # noqa: N803 (Keycloak's name)
               lastName: str | None = Query(None, max_length=255),  # noqa: N803
               exact: bool | None = None, briefRepresentation: bool | None = None,  # noqa: N803
               first: int | None = Query(None, ge=0, le=INT32_MAX),
               max_: int | None = Query(None, alias="max", ge=0, le=INT32_MAX)):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    if not _master(realm_obj):
        return json_response([])
    users = selectors.users_list(first=first or 0, max_results=100 if max_ is None else max_,
                                 **_filters(username, email, firstName, lastName, search, exact))
    return json_response([selectors.user_representation(user) for user in users])


@router.get("/realms/{realm}/users/count", response={200: int, 400: KeycloakError, **ERRORS_READ}, summary="Count users")
def users_count(request, realm: str,
                search: str | None = Query(None, max_length=255), username: str | None = Query(None, max_length=255),
                email: str | None = Query(None, max_length=255),
                firstName: str | None = Query(None, max_length=255),  # noqa: N803
                lastName: str | None = Query(None, max_length=255)):  # noqa: N803
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    if not _master(realm_obj):
        return json_response(0)
    return json_response(selectors.users_count(**_filters(username, email, firstName, lastName, search, False)))


@router.post("/realms/{realm}/users", response={201: None, **ERRORS_WRITE, 409: KeycloakError},
             summary="Create a user", openapi_extra=body_doc(USER_DOC, required=True))
def users_create(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_USERS)
    body = b.json_object(request, "UserRepresentation", required=True)
    b.reject_unknown(body, USER_FIELDS, "UserRepresentation")
    if not _master(realm_obj):
        raise ApiError(400, {"errorMessage": "Only realm master has users: administrators live there"})
    credentials = body.get("credentials")
    # Read before the user is created: a refused credential (a weak password) creates nothing.
    password, temporary = _credential_read(credentials[0] if isinstance(credentials, list) else credentials) if credentials else (None, False)
    user = services.user_create(
        username=b.opt_str(body, "username", "UserRepresentation"), email=b.opt_str(body, "email", "UserRepresentation"),
        first_name=b.opt_str(body, "firstName", "UserRepresentation"),
        last_name=b.opt_str(body, "lastName", "UserRepresentation"),
        enabled=bool(b.opt_bool(body, "enabled", "UserRepresentation")), password=password, temporary=temporary,
        actor=auth.actor)
    response = HttpResponse(status=201)
    del response["Content-Type"]
    response["Location"] = request.build_absolute_uri(f"/admin/realms/{realm_obj.name}/users/{user.pk}")
    return response


@router.get("/realms/{realm}/users/{id}", response={200: dict[str, Any], **ERRORS_READ}, summary="Get a user")
def users_get(request, realm: str, id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    return json_response(selectors.user_representation(_user(realm_obj, id)))


@router.put("/realms/{realm}/users/{id}", response={204: None, **ERRORS_WRITE, 409: KeycloakError},
            summary="Update a user", openapi_extra=body_doc(USER_DOC, required=True))
def users_update(request, realm: str, id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_USERS)
    user = _user(realm_obj, id)
    body = b.json_object(request, "UserRepresentation", required=True)
    b.reject_unknown(body, USER_FIELDS, "UserRepresentation")
    rep = "UserRepresentation"
    services.user_update(user_id=user.pk, actor=auth.actor, username=b.opt_str(body, "username", rep),
                         email=b.opt_str(body, "email", rep), first_name=b.opt_str(body, "firstName", rep),
                         last_name=b.opt_str(body, "lastName", rep), enabled=b.opt_bool(body, "enabled", rep))
    return no_content()


@router.delete("/realms/{realm}/users/{id}", response={204: None, **ERRORS_WRITE}, summary="Delete a user")
def users_delete(request, realm: str, id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_USERS)
    services.user_delete(user_id=_user(realm_obj, id).pk, actor=auth.actor)
    return no_content()


def _credential_read(credential) -> tuple[str, bool]:
    """(password, temporary) of a CredentialRepresentation; no value is "" (refused as a password)."""
    if not isinstance(credential, dict):
        raise b.invalid_json("CredentialRepresentation", "Expected an object.")
    kind = credential.get("type", "password")
    if kind != "password":
        raise ApiError(400, {"errorMessage": "Only password credentials can be set"})
    value = b.opt_str(credential, "value", "CredentialRepresentation", max_length=services.PASSWORD_LIMIT)
    return value or "", bool(b.opt_bool(credential, "temporary", "CredentialRepresentation"))


def _credential_apply(user_id, credential, auth) -> None:
    password, temporary = _credential_read(credential)
    services.user_password_set(user_id=user_id, password=password, temporary=temporary, actor=auth.actor)


@router.put("/realms/{realm}/users/{id}/reset-password", response={204: None, **ERRORS_WRITE},
            summary="Set a user's password", openapi_extra=body_doc(CREDENTIAL_DOC, required=True))
def users_reset_password(request, realm: str, id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_USERS)
    user = _user(realm_obj, id)
    _credential_apply(user.pk, b.json_object(request, "CredentialRepresentation", required=True), auth)
    return no_content()


# --- role mappings of the realm-management client -------------------------------------------------


def _roles_of(rm, names) -> list[dict]:
    return [selectors.role_representation(role) for role in selectors.realm_management_roles(rm) if role.name in names]


@router.get("/realms/{realm}/users/{id}/role-mappings/clients/{client}", response={200: list[dict[str, Any]], **ERRORS_READ},
            summary="A user's roles of a client")
def role_mappings_get(request, realm: str, id: str, client: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    user = _user(realm_obj, id)
    return json_response(_roles_of(_rm_client(realm_obj, client), selectors.user_direct_roles(user)))


@router.get("/realms/{realm}/users/{id}/role-mappings/clients/{client}/available",
            response={200: list[dict[str, Any]], **ERRORS_READ}, summary="Roles of a client a user could be given")
def role_mappings_available(request, realm: str, id: str, client: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    user = _user(realm_obj, id)
    held = set(selectors.user_direct_roles(user))
    return json_response(_roles_of(_rm_client(realm_obj, client), [r for r in permissions.ALL_ROLES if r not in held]))


@router.get("/realms/{realm}/users/{id}/role-mappings/clients/{client}/composite",
            response={200: list[dict[str, Any]], **ERRORS_READ}, summary="A user's effective roles of a client")
def role_mappings_composite(request, realm: str, id: str, client: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    user = _user(realm_obj, id)
    return json_response(_roles_of(_rm_client(realm_obj, client), selectors.user_effective_roles(user)))


def _role_names(request, rm) -> list[str]:
    body = b.json_body(request)
    if not isinstance(body, list):
        raise b.invalid_json("RoleRepresentation[]", "Expected an array.")
    roles = {str(role.pk): role.name for role in selectors.realm_management_roles(rm)}
    names = []
    for item in body:
        if not isinstance(item, dict):
            raise b.invalid_json("RoleRepresentation", "Expected an object.")
        role_id, name = item.get("id"), item.get("name")
        if isinstance(role_id, str) and role_id in roles:
            names.append(roles[role_id])
        elif isinstance(name, str) and name in roles.values():
            names.append(name)
        else:
            raise not_found("Role not found")
    return names


@router.post("/realms/{realm}/users/{id}/role-mappings/clients/{client}", response={204: None, **ERRORS_WRITE},
             summary="Give a user roles of a client", openapi_extra=body_doc(ROLES_DOC, required=True))
def role_mappings_add(request, realm: str, id: str, client: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    user = _user(realm_obj, id)
    rm = _rm_client(realm_obj, client)
    services.user_roles_change(user_id=user.pk, grant=_role_names(request, rm), actor=auth.actor)
    return no_content()


@router.delete("/realms/{realm}/users/{id}/role-mappings/clients/{client}", response={204: None, **ERRORS_WRITE},
               summary="Take roles of a client from a user", openapi_extra=body_doc(ROLES_DOC, required=True))
def role_mappings_remove(request, realm: str, id: str, client: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    user = _user(realm_obj, id)
    rm = _rm_client(realm_obj, client)
    services.user_roles_change(user_id=user.pk, revoke=_role_names(request, rm), actor=auth.actor)
    return no_content()


@router.get("/realms/{realm}/clients/{id}/service-account-user", response={200: dict[str, Any], 400: KeycloakError, **ERRORS_READ},
            summary="The user a client's service account acts as")
def service_account_user(request, realm: str, id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_CLIENTS)
    try:
        client = client_selectors.client_get(realm=realm_obj, id=id)
    except Client.DoesNotExist:
        raise not_found("Could not find client") from None
    if not client.service_accounts_enabled or not client.has_secret_type:
        raise ApiError(400, {"error": "Service account not enabled for the client '" + client.client_id + "'"})
    account = service_account_user_ensure(client)
    return json_response(selectors.user_representation(account.user))


@router.get("/realms/{realm}/clients/{id}/roles/{role_name}/users",
            response={200: list[dict[str, Any]], 400: KeycloakError, **ERRORS_READ},
            summary="Users holding a client role")
def role_users(request, realm: str, id: str, role_name: str,
               first: int | None = Query(None, ge=0, le=INT32_MAX),
               max_: int | None = Query(None, alias="max", ge=0, le=1000)):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_USERS)
    try:
        client = client_selectors.client_get(realm=realm_obj, id=id)
        client_selectors.client_role_get(client=client, name=role_name)
    except (Client.DoesNotExist, ClientRole.DoesNotExist):
        raise not_found("Could not find role") from None
    users = selectors.role_holders(client=client, role_name=role_name, first=first or 0,
                                   max_results=100 if max_ is None else max_)
    return json_response([selectors.user_representation(user) for user in users])

