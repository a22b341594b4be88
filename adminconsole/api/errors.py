"""Keycloak's wire shapes for Admin REST API answers (keycloak-behaviour.md §10).

Error bodies are compact JSON (``separators=(",", ":")``) with exactly Keycloak's keys, because
Keycloak's own clients and their test suites anchor whole bodies.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

SERVER_LOG = "For more on this error consult the server log."


def compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def json_response(obj: Any, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(compact(obj), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def no_content() -> HttpResponse:
    """204 with no body and no content type (python-keycloak raises on anything but 204)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


class ApiError(Exception):
    """An answer in one of Keycloak's error shapes; raised anywhere below a handler."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        response = json_response(self.body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def error_message(status: int, message: str) -> ApiError:
    """``{"errorMessage": ...}`` (Keycloak's ErrorResponse.error / .exists)."""
    return ApiError(status, {"errorMessage": message})


def oauth_error(status: int, error: str, description: str | None = None) -> ApiError:
    """``{"error": ..., "error_description": ...}`` (ErrorResponseException, ClientPolicyException)."""
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return ApiError(status, body)


def not_found(message: str, *, describe: bool = True) -> ApiError:
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


def cannot_parse() -> ApiError:
    return oauth_error(400, "invalid_request", "Cannot parse the JSON")
