"""One helper decides page or fragment; alerts ride along as an out-of-band swap.

The rule for a refused form, the same on every console page: a plain post answers 400 with the
page and the field errors; an htmx post answers 200 with the form's fragment and the errors,
because htmx swaps no 4xx answer by default and the errors would never show (``refused_status``).
A successful htmx post answers 204 with ``HX-Redirect`` (``redirect_htmx_aware``), or the fresh
fragment where the page stays.

Any other refusal (4xx) of an htmx request is shown too: base.html's ``htmx-config`` has htmx swap
4xx answers like 2xx ones, so an answer is either the fragment with its error or an alert with
``HX-Reswap: none`` (``adminconsole.errors.console_error_page``); never nothing on screen.
"""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRedirect


def is_fragment_request(request: HttpRequest) -> bool:
    """An htmx request that swaps a part of the page (a boosted one wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def refused_status(request: HttpRequest) -> int:
    """The status of a refused form: 400 for a plain post, 200 for htmx so the errors get swapped in."""
    return 200 if getattr(request, "htmx", False) else 400


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``template`` for a normal request, or ``template#partial`` for an htmx request.

    For htmx requests with messages pending, the alerts container is appended as an out-of-band
    swap, so messages added by the view show up without a reload; a fragment without messages
    (a section loading itself) leaves the alerts on screen alone.
    """
    if partial and is_fragment_request(request):
        body = render_to_string(f"{template}#{partial}", context, request=request)
        if len(get_messages(request)):  # counts without consuming them
            body += render_to_string("adminconsole/alerts.html", {"oob": True}, request=request)
        response = HttpResponse(body, status=status)
    else:
        response = HttpResponse(render_to_string(template, context, request=request), status=status)
    return response


def redirect_htmx_aware(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form post: a 302 for plain posts, 204 with HX-Redirect for htmx."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url, status=204)
    return redirect(url)
