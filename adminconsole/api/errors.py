"""Keycloak's wire shapes for Admin REST API answers (docs/keycloak.md §10).

Error bodies are compact JSON (``realms.http.json_response``) with exactly Keycloak's keys,
because Keycloak's own clients and their test suites anchor whole bodies. The two shapes are the
kernel's error bases (``realms.errors``): ``ApiError`` for ``{"errorMessage"}`` / ``{"error"}``,
``OAuthError`` for ``{"error","error_description"}``; the handlers in ``adminconsole.api.instance``
answer them. The functions below build the answers Keycloak gives most often.
"""

from __future__ import annotations

from django.http import HttpResponse

from realms.errors import ApiError, OAuthError
from realms.http import json_response

SERVER_LOG = "For more on this error consult the server log."

__all__ = [
    "SERVER_LOG", "ApiError", "OAuthError", "cannot_parse", "error_message", "forbidden", "invalid_json",
    "json_response", "no_content", "not_found", "oauth_error", "unauthorized",
]


def no_content() -> HttpResponse:
    """204 with no body and no content type (python-keycloak raises on anything but 204)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def error_message(status: int, message: str) -> ApiError:
    """``{"errorMessage": ...}`` (Keycloak's ErrorResponse.error / .exists)."""
    return ApiError(status, {"errorMessage": message})


def oauth_error(status: int, error: str, description: str | None = None) -> OAuthError:
    """``{"error": ..., "error_description": ...}`` (ErrorResponseException, ClientPolicyException)."""
    return OAuthError(status, error, description)


def not_found(message: str, *, describe: bool = True) -> OAuthError:
    """JAX-RS NotFoundException: Keycloak 24+ appends the server-log description."""
    return oauth_error(404, message, SERVER_LOG if describe else None)


def invalid_json(representation: str, detail: str) -> ApiError:
    """Jackson's refusal of a body: ``{"error":"Invalid json representation for X. <detail>"}``."""
    return ApiError(400, {"error": f"Invalid json representation for {representation}. {detail}"})


def unauthorized(*, invalid_token: bool) -> ApiError:
    challenge = 'Bearer realm="master"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    return ApiError(401, {"error": "HTTP 401 Unauthorized"}, {"WWW-Authenticate": challenge})


def forbidden() -> ApiError:
    return ApiError(403, {"error": "HTTP 403 Forbidden"})


def cannot_parse() -> OAuthError:
    return oauth_error(400, "invalid_request", "Cannot parse the JSON")
