"""URL patterns of the Admin REST API, mounted before anything else that could match ``admin/``."""

from __future__ import annotations

import functools

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from adminconsole.api.errors import SERVER_LOG, json_response
from adminconsole.api.instance import api, method_not_allowed


def _json_405(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            return method_not_allowed(response)
        return response

    return csrf_exempt(wrapper)


def _wrap(patterns):
    """Each route answers with and without a trailing slash, never redirecting (docs/wire-contract.md R2).

    Keycloak's JAX-RS stack matches both; the admin-client POSTs to ``.../clients/`` for
    ``clients.create``, python-keycloak never sends the slash.
    """
    wrapped = []
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            wrapped.append(pattern)
            continue
        pattern.callback = _json_405(pattern.callback)
        wrapped.append(pattern)
        route = str(pattern.pattern)
        if route and not route.endswith("/"):
            wrapped.append(path(route + "/", pattern.callback))
    return wrapped


@csrf_exempt
def unknown_path(request, rest: str = ""):
    """Anything else under /admin/: Keycloak's JSON 404 (never an HTML page or a slash redirect)."""
    return json_response(
        {"error": "Unable to find matching target resource method", "error_description": SERVER_LOG}, status=404
    )


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("admin/", (_wrap(_patterns), _app_name, _namespace)),
    re_path(r"^admin(?:/(?P<rest>.*))?$", unknown_path),
]
