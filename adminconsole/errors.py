"""The console's error answers: not found and forbidden in the console's layout; 503/500.

``page_not_found`` (``handler404``) and ``permission_denied`` (``handler403``): under the console a
page in its layout naming what was not found ("Client not found", from the view's ``Http404``
message) with a link back to the list it belongs to; an htmx request gets the same words as an
alert and leaves the page as it is. The Admin REST API and the OIDC paths answer JSON.

The answer to an unexpected error: 503 while the database is unreachable, else 500.

Django calls ``server_error`` (``handler500``) for any exception no view or middleware handled,
with that exception still current. A database outage (PostgreSQL restarting, the network gone)
raises ``OperationalError``/``InterfaceError``; the request then gets a clean 503 with
``Retry-After`` instead of a hang or a stack trace, and the next request starts over with a fresh
connection (``CONN_HEALTH_CHECKS`` drops the broken one). This handler touches neither the database
nor the template engine's context processors, which may be what failed.
"""

from __future__ import annotations

import re
import sys

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django_htmx.http import reswap

from adminconsole.htmx import is_fragment_request
from realms.http import json_response
from realms.selectors import realm_find

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


SERVER_LOG = "For more on this error consult the server log."
CONSOLE_PATH = re.compile(r"^/console/(?P<realm>[^/]+)/(?P<rest>.*)$")
# The list a page under /console/<realm>/ belongs to, by the start of the rest of its path.
SECTIONS = (
    ("clients/", "client-list", "Clients"),
    ("secret-rotation/", "secret-rotation", "Secret rotation"),
    ("realm-settings/client-policies/policies/", "client-policies-policies", "Client policies"),
    ("realm-settings/client-policies/", "client-policies", "Client profiles"),
    ("realm-settings/webhooks/", "realm-webhooks", "Webhooks"),
    ("users/", "user-list", "Users"),
    ("events", "events", "Events"),
    ("realm-settings/", "realm-settings", "Realm Settings"),
)


def _back_link(request) -> tuple[str, str]:
    """(label, url) of the list the requested page belongs to; the console's start page otherwise."""
    match = CONSOLE_PATH.match(request.path)
    user = getattr(request, "user", None)
    # Someone not signed in learns nothing about which realms exist.
    signed_in = user is not None and user.is_authenticated
    realm = realm_find(name=match["realm"]) if match and signed_in else None
    if realm is None:
        return "Back to the console", reverse("home")
    request.realm = realm  # the layout's menu for this realm (adminconsole.context_processors)
    for prefix, name, label in SECTIONS:
        if match["rest"].startswith(prefix):
            try:
                return label, reverse(name, kwargs={"realm": realm.name})
            except NoReverseMatch:
                break
    return f"Realm {realm.name}", reverse("realm-home", kwargs={"realm": realm.name})


def _camel_words(name: str) -> str:
    return capfirst(re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower())


def not_found_title(exception: BaseException | None) -> tuple[str, str]:
    """The page's heading and text, from the view's ``Http404("Client not found")`` when it gave one."""
    message = exception.args[0] if exception is not None and exception.args else ""
    if not isinstance(message, str) or not message:  # the URL resolver's 404 carries a dict
        return "Page not found", "There is no page at this address."
    if found := re.fullmatch(r"No (\w+) matches the given query\.", message):
        return f"{_camel_words(found[1])} not found", "It may have been deleted, or the address is wrong."
    if found := re.fullmatch(r"Could not find (.+)", message):
        return f"{capfirst(found[1])} not found", "It may have been deleted, or the address is wrong."
    if message.endswith(" not found"):
        return message, "It may have been deleted, or the address is wrong."
    return "Page not found", message if message.endswith(".") else f"{message}."


def console_error_page(request, *, status: int, title: str, text: str,
                       template: str = "adminconsole/error_page.html", back: tuple[str, str] | None = None) -> HttpResponse:
    """``title`` and ``text`` in the console's layout; for an htmx request, as an alert only.

    The htmx answer keeps its status (htmx shows 4xx answers, see base.html's ``htmx-config``)
    and swaps nothing but the alerts (``HX-Reswap: none``): the page stays as it was.
    """
    if is_fragment_request(request):
        messages.error(request, f"{title}. {text}")
        body = render_to_string("adminconsole/alerts.html", {"oob": True}, request=request)
        return reswap(HttpResponse(body, status=status), "none")
    back_label, back_url = back or _back_link(request)
    context = {"title": title, "text": text, "back_label": back_label, "back_url": back_url}
    return HttpResponse(render_to_string(template, context, request=request), status=status)


def page_not_found(request, exception=None) -> HttpResponse:
    if request.path.startswith("/realms/"):
        body = {"error": "Unable to find matching target resource method", "error_description": SERVER_LOG}
        return json_response(body, status=404)
    if _json_paths(request):
        return json_response({"error": "HTTP 404 Not Found", "error_description": SERVER_LOG}, status=404)
    title, text = not_found_title(exception)
    return console_error_page(request, status=404, title=title, text=text, template="adminconsole/404.html")


def permission_denied(request, exception=None) -> HttpResponse:
    if _json_paths(request):
        return json_response({"error": "HTTP 403 Forbidden"}, status=403)
    return console_error_page(request, status=403, title="Forbidden",
                              text="You don't have access to the requested resource.", template="adminconsole/403.html")


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
