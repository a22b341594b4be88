"""One helper decides page or fragment; alerts ride along as an out-of-band swap."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string


def render_page(request, template: str, context: dict, *, partial: str | None = None, status: int = 200, trigger: str | None = None) -> HttpResponse:
    """Render ``template`` for a normal request, or ``template#partial`` for an htmx request.

    For htmx requests the alerts container is appended as an out-of-band swap, so messages
    added by the view show up without a reload.
    """
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        body = render_to_string(f"{template}#{partial}", context, request=request)
        body += render_to_string("adminconsole/alerts.html", {"oob": True}, request=request)
        response = HttpResponse(body, status=status)
    else:
        response = HttpResponse(render_to_string(template, context, request=request), status=status)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def redirect_htmx_aware(request, url: str) -> HttpResponse:
    """After a successful form post: a 302 for plain posts, HX-Redirect for htmx."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
