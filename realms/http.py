"""The one JSON-response helper of every face (OIDC endpoints, Admin REST API, error pages).

Bodies are compact JSON (``separators=(",", ":")``): Keycloak's clients and their test suites
anchor whole bodies, byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse


def json_response(payload: Any, *, status: int = 200, headers: dict[str, str] | None = None,
                  no_store: bool = False, ensure_ascii: bool = False) -> HttpResponse:
    """``payload`` as compact JSON with ``status``.

    ``no_store``: the token endpoint's ``Cache-Control: no-store`` and ``Pragma: no-cache``.
    ``ensure_ascii``: escape non-ASCII characters (``\\uXXXX``), as the OIDC endpoints answer;
    the Admin REST API sends them as UTF-8.
    """
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=ensure_ascii)
    response = HttpResponse(body, status=status, content_type="application/json")
    if no_store:
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response
