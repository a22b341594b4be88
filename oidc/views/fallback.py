"""Anything else under ``/realms/``: Keycloak's JSON 404, never Django's HTML page
(docs/wire-contract.md R5: the libraries always expect JSON)."""

from __future__ import annotations

from django.views.decorators.csrf import csrf_exempt

from oidc.views.endpoint import json_response

SERVER_LOG = "For more on this error consult the server log."


@csrf_exempt
def unknown_path(request, rest: str = ""):
    """What Keycloak's JAX-RS stack answers for a path no resource method matches."""
    return json_response({"error": "Unable to find matching target resource method", "error_description": SERVER_LOG}, status=404)
