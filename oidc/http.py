"""JSON answers in Keycloak's shapes: compact error bodies, no-store token responses."""

from __future__ import annotations

import json

from django.http import HttpResponse


class OAuthError(Exception):
    """An RFC 6749 error: answered as ``{"error":...,"error_description":...}`` with ``status``."""

    def __init__(self, status: int, error: str, description: str | None = None, *, headers: dict | None = None, body: bool = True):
        super().__init__(description or error)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}
        self.body = body

    def response(self) -> HttpResponse:
        if not self.body:
            response = HttpResponse(status=self.status)
        else:
            payload = {"error": self.error}
            if self.description is not None:
                payload["error_description"] = self.description
            response = json_response(payload, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def json_response(payload, *, status: int = 200, no_store: bool = False) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, separators=(",", ":")), status=status, content_type="application/json")
    if no_store:
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    return response


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
