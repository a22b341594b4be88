"""The answer to an unexpected error: 503 while the database is unreachable, else 500.

Django calls ``server_error`` (``handler500``) for any exception no view or middleware handled,
with that exception still current. A database outage (PostgreSQL restarting, the network gone)
raises ``OperationalError``/``InterfaceError``; the request then gets a clean 503 with
``Retry-After`` instead of a hang or a stack trace, and the next request starts over with a fresh
connection (``CONN_HEALTH_CHECKS`` drops the broken one). This handler touches neither the database
nor the template engine's context processors, which may be what failed.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse

from realms.http import json_response

RETRY_AFTER = "5"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css"></head>
<body class="p-5"><main class="container"><h1 class="h3">{title}</h1><p>{text}</p></main></body></html>
"""


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _json_paths(request) -> bool:
    path = getattr(request, "path", "") or ""
    return path.startswith(("/admin/", "/realms/"))


def server_error(request, *args, **kwargs) -> HttpResponse:
    return error_response(request, unavailable=database_unavailable(sys.exc_info()[1]))


def unavailable_response(request) -> HttpResponse:
    """The 503 for code that catches exceptions itself (the Admin API's exception handlers)."""
    return error_response(request, unavailable=True)


def error_response(request, *, unavailable: bool) -> HttpResponse:
    status = 503 if unavailable else 500
    if _json_paths(request):
        body = {"error": "temporarily_unavailable" if unavailable else "unknown_error",
                "error_description": "For more on this error consult the server log."}
        response = json_response(body, status=status)
    else:
        if unavailable:
            title, text = "Service unavailable", "The console cannot reach its database right now. Please try again in a moment."
        else:
            title, text = "Server error", "Something went wrong on our side. The error has been logged."
        response = HttpResponse(PAGE.format(title=title, text=text), status=status)
    if unavailable:
        response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response
