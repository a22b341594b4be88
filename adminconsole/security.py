"""Console sign-in throttling (django-axes) and its lockout response.

django-axes counts failed sign-ins per username and client address in the database (shared by
every gunicorn worker and every instance) and locks that pair out for ``AXES_COOLOFF_TIME`` after
``AXES_FAILURE_LIMIT`` failures.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse, QueryDict
from django.template.loader import render_to_string

from realms.http import json_response
from realms.sensitive import MASK, is_credential_parameter


class ConsoleAxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every ``authenticate()`` that comes with a request.

    ``authenticate()`` without a request (Django's test client ``login()``, management commands)
    has no client address to throttle on; it passes on to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def masked_query(query: QueryDict) -> QueryDict:
    """A copy of a request's GET or POST data with every credential value masked."""
    masked = query.copy()
    for key in list(masked.keys()):
        if is_credential_parameter(key):
            masked.setlist(key, [MASK] * len(query.getlist(key)))
    return masked


class ConsoleAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler, storing a failed sign-in's form with its credentials masked.

    django-axes masks the names in ``AXES_SENSITIVE_PARAMETERS`` itself; this masks any other
    credential name too (``*_secret``, ``*_token``, ...) before django-axes stores
    ``get_data``/``post_data``. Every failed ``authenticate()`` reaches it through Django's
    ``user_login_failed`` signal: the console sign-in and the token endpoint's password grant alike.
    The request's own data is put back afterwards, for the view that is still running.
    """

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request=request, **kwargs)
        get, post = request.GET, request.POST
        request.GET, request.POST = masked_query(get), masked_query(post)
        try:
            return super().user_login_failed(sender, credentials, request=request, **kwargs)
        finally:
            request.GET, request.POST = get, post


def lockout_minutes() -> int:
    cool_off = get_cool_off()
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_message() -> str:
    return (
        "Too many failed sign-in attempts. Sign-in for this account from your address is locked "
        f"for {lockout_minutes()} minutes."
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The answer while a username and address pair is locked out.

    The console's sign-in page shows the sign-in form again with the lockout message (429). Any
    other password sign-in (the token endpoint's password grant) answers exactly as for wrong
    credentials, in Keycloak's shape, so a lockout tells nothing more than a wrong password.
    """
    retry_after = str(int(get_cool_off().total_seconds())) if get_cool_off() else None
    if request.path.startswith("/realms/"):
        body = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
        return json_response(body, status=401)
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout_message": lockout_message(), "next": request.POST.get("next", "")}
    response = HttpResponse(render_to_string("adminconsole/login.html", context, request=request), status=429)
    if retry_after:
        response["Retry-After"] = retry_after
    return response
