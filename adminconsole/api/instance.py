"""The Admin REST API: one django-ninja instance mounted at ``/admin/`` (Keycloak's paths).

Routers live beside their apps (``realms/api/``, ``clients/api/``,
``policies/api/``); this module owns what they share: bearer auth, the error shapes, and the
OpenAPI document served at ``/admin/openapi.json`` (browsable at ``/admin/docs``).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from adminconsole.api.auth import BearerAuth
from adminconsole.api.common import _REQUEST_SCHEMAS, body_doc  # noqa: F401  (body_doc re-exported)
from adminconsole.api.errors import (
    SERVER_LOG,
    error_message,
    forbidden,
    json_response,
    oauth_error,
    unauthorized,
)
from adminconsole.errors import unavailable_response
from clients.representations import RepresentationError
from clients.selectors import ClientAccessDenied
from clients.services import ClientExists, ClientHasNoSecret, ClientRoleExists
from realms.errors import ApiError, OAuthError

logger = logging.getLogger(__name__)



_HEADERS = {
    "201": {"Location": {"description": "URL of the created resource; its last segment is the new id.",
                         "schema": {"type": "string"}, "required": True}},
    "401": {"WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}, "required": True}},
}


class KeycloakAdminAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in _REQUEST_SCHEMAS.items():
            if isinstance(model, dict):
                components[name] = model
                continue
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
            for def_name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(def_name, definition)
            components[name] = model_schema
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status) in _HEADERS and not (str(status) == "201" and "content" in response):
                        response.setdefault("headers", {}).update(_HEADERS[str(status)])
        return schema


api = KeycloakAdminAPI(
    title="Admin REST API (Keycloak-compatible)",
    version="26",
    description=(
        "Keycloak's Admin REST API for realms, clients, client secrets (with rotation), client roles "
        "and client policies. Authenticate with a bearer access token from "
        "`/realms/master/protocol/openid-connect/token` (password grant with client `admin-cli`, or "
        "client_credentials for a service account granted admin roles). Errors use Keycloak's "
        "compact JSON shapes: `{\"errorMessage\":...}` or `{\"error\":...,\"error_description\":...}`."
    ),
    urls_namespace="admin-api",
    auth=BearerAuth(),
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# --- errors: every answer keeps Keycloak's shape ----------------------------------------------------


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    """``{"errorMessage": ...}`` or ``{"error": ...}``; a refused client-profiles or client-policies
    document (``PolicyValidationError``) is one."""
    return exc.response()


@api.exception_handler(OAuthError)
def _oauth_error(request, exc: OAuthError):
    """``{"error", "error_description"}``; a refusal by a client policy (``ClientPolicyError``,
    400) is one."""
    return exc.response()


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    """ninja's 422 (a query or path parameter of the wrong type) becomes Keycloak's 400."""
    names = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        if loc:
            names.append(".".join(loc))
    detail = f"Invalid value for parameter '{names[0]}'" if names else "Invalid request"
    return oauth_error(400, "invalid_request", detail).response()


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return unauthorized(invalid_token=False).response()


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return oauth_error(exc.status_code, str(exc)).response()


@api.exception_handler(RepresentationError)
def _representation_error(request, exc: RepresentationError):
    """A ClientRepresentation that cannot be applied: ``{"error":"invalid_input"|"invalid_request",...}``."""
    return oauth_error(400, exc.error, exc.message).response()


@api.exception_handler(ClientExists)
@api.exception_handler(ClientRoleExists)
def _conflict(request, exc):
    return error_message(409, exc.message).response()


@api.exception_handler(ClientAccessDenied)
def _client_access_denied(request, exc: ClientAccessDenied):
    """The client's service account holds roles the caller does not: the ordinary 403."""
    return forbidden().response()


@api.exception_handler(ClientHasNoSecret)
def _client_has_no_secret(request, exc: ClientHasNoSecret):
    return error_message(400, exc.message).response()


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    messages = exc.messages if hasattr(exc, "messages") else [str(exc)]
    return error_message(400, messages[0] if messages else "Invalid input").response()


@api.exception_handler(Http404)
def _not_found(request, exc):
    return oauth_error(404, "HTTP 404 Not Found", SERVER_LOG).response()


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    """The database is unreachable: 503 with Retry-After (adminconsole.errors), not a 500."""
    return unavailable_response(request)


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    logger.exception("Admin API: unexpected error on %s %s", request.method, request.path)
    return json_response({"error": "unknown_error", "error_description": SERVER_LOG}, status=500)


def method_not_allowed(response):
    """ninja answers an unsupported method with a text 405; keep Keycloak's JSON shape."""
    body = json_response({"error": "HTTP 405 Method Not Allowed", "error_description": SERVER_LOG}, status=405)
    if response.has_header("Allow"):
        body["Allow"] = response["Allow"]
    return body


# --- routers ---------------------------------------------------------------------------------------

from realms.api.endpoints import router as realms_router  # noqa: E402

api.add_router("", realms_router)

from clients.api.endpoints import router as clients_router  # noqa: E402
from policies.api.endpoints import router as policies_router  # noqa: E402

api.add_router("", clients_router)
api.add_router("", policies_router)
api.add_router("", "realms.api.events.router")  # GET /admin/realms/{realm}/admin-events
api.add_router("", "webhooks.api.router")  # /admin/realms/{realm}/webhooks
api.add_router("", "expiry.api.endpoints.router")  # GET/PUT /admin/realms/{realm}/secret-expiry
api.add_router("", "policies.api.apply.router")  # a policy's matching clients, its dry run and apply; jobs
api.add_router("", "realms.api.keys.router")  # GET /admin/realms/{realm}/keys
api.add_router("", "realms.api.whoami.router")  # GET /admin/{realm}/console/whoami
api.add_router("", "users.api.router")  # /admin/realms/{realm}/users, role mappings, service-account-user
