"""The two wire shapes of an error, one base class each; every face maps them to HTTP in one place.

* ``OAuthError``: ``{"error": ..., "error_description": ...}`` (RFC 6749 §5.2; Keycloak's
  ErrorResponseException and ClientPolicyException). Raised by client authentication, the policy
  engine's executors, token verification and registration; answered by the OIDC endpoint
  decorator (``oidc.views.endpoint``) and by the Admin REST API's exception handlers
  (``adminconsole.api.instance``).
* ``ApiError``: the Admin REST API's other shapes, ``{"errorMessage": ...}`` (Keycloak's
  ErrorResponse) or ``{"error": ...}`` alone (JAX-RS and Jackson refusals); answered by the Admin
  REST API's exception handlers.

Both live in the kernel so that every layer above can raise them.
"""

from __future__ import annotations

from django.http import HttpResponse

from realms.http import json_response


class OAuthError(Exception):
    """An error answered as ``{"error": error, "error_description": error_description}`` with ``status``.

    ``error_description`` None leaves the key out; ``body=False`` answers the status and headers
    with no body (Keycloak's bare 401 challenge).
    """

    def __init__(self, status: int, error: str, error_description: str | None = None, *,
                 headers: dict[str, str] | None = None, body: bool = True):
        super().__init__(error_description or error)
        self.status = status
        self.error = error
        self.error_description = error_description
        self.headers = headers or {}
        self.body = body

    def as_dict(self) -> dict:
        payload = {"error": self.error}
        if self.error_description is not None:
            payload["error_description"] = self.error_description
        return payload

    def response(self, *, ensure_ascii: bool = False) -> HttpResponse:
        if not self.body:
            response = HttpResponse(status=self.status)
            for name, value in self.headers.items():
                response[name] = value
            return response
        return json_response(self.as_dict(), status=self.status, headers=self.headers, ensure_ascii=ensure_ascii)


class ApiError(Exception):
    """An Admin REST API answer in one of Keycloak's other error shapes: ``body`` with ``status``.

    ``{"errorMessage": message}`` or ``{"error": message}``; ``str()`` of the error is that message.
    """

    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None):
        super().__init__(body.get("errorMessage", body.get("error", body)))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        return json_response(self.body, status=self.status, headers=self.headers)
