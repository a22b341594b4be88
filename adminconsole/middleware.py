"""Request hygiene that every view relies on.

``RejectNulMiddleware``: a NUL character can never be part of a realm name, a client id, a secret
or any other value this product stores, and PostgreSQL refuses it in text (a ``DataError`` that
would otherwise surface as a 500). Requests carrying one in the path, the query, a header, a form
field or a JSON body are refused up front with 400, in Keycloak's JSON error shape on the API and
OIDC paths. Headers matter as much as the body: ``Authorization`` carries client ids and tokens
that are looked up, and django-axes stores ``User-Agent`` and ``Accept`` of every failed sign-in.
HTTP forbids NUL in header values, so no legitimate client sends one.

``NoStoreMiddleware``: every answer this product computes carries ``Cache-Control: no-store``
(and ``Pragma: no-cache``), so no browser, proxy or back button keeps a copy of a page or JSON body
that held a secret or a token.

``FormTokenMiddleware``: a console form sent a second time (a double click, a retry, Back and send
again) is refused before its view runs, so nothing is written twice (adminconsole.form_tokens).

``UntrustedForwardedHeadersMiddleware``: ``X-Forwarded-Proto``, ``-Host``, ``-Port``, ``-Ssl`` and
``Forwarded`` describe the original request only when a proxy of ours wrote them; from any other
peer they are removed before anything reads them (``SECURE_PROXY_SSL_HEADER``, the SSL redirect,
the issuer and every absolute URL). ``X-Forwarded-For`` is judged by ``realms.actor.client_ip``.

``LeanEndpointsMiddleware``: the machine-to-machine OIDC endpoints (token, introspection, JWKS,
userinfo, discovery) answer JSON to clients that carry no session or CSRF cookie; they go through
a short chain of their own (``settings.LEAN_MIDDLEWARE``) that keeps every security header and
behaviour of the full one, and skips sessions, CSRF, authentication, messages, htmx and static
files. ``StaticCSPMiddleware`` is django-csp's header built once per worker, for those answers
(which never change the policy or use a nonce).
"""

from __future__ import annotations

import re

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from adminconsole.errors import console_error_page
from adminconsole.form_tokens import FIELD, FormTokenRefused, form_token_release, form_token_spend
from adminconsole.handlers import LeanHandler
from oidc.views.endpoint import root_url
from realms.actor import from_trusted_proxy
from realms.http import json_response

JSON_PATHS = ("/admin/", "/realms/")
WRITES = ("INSERT", "UPDATE", "DELETE")
HEADER_PREFIXES = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")
FORM = "application/x-www-form-urlencoded"
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_SSL",
                     "HTTP_FORWARDED")


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    # The headers as request.headers has them (HTTP_* and the two CONTENT_ ones), read from META
    # without building that mapping on every request.
    if any("\x00" in value for name, value in request.META.items()
           if name.startswith(HEADER_PREFIXES) and isinstance(value, str)):
        return True
    # The query as sent: a NUL in a decoded name or value is a raw NUL or a "%00" here (the
    # same test as the form body's below), without parsing the query on every request.
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type == FORM:
            nul = (b"\x00", b"%00")
        elif content_type == "application/json" or content_type.endswith("+json"):
            nul = (b"\x00", b"\\u0000")
        else:
            return False
        try:
            body = request.body
        except RequestDataTooBig:
            return False  # the view answers that itself
        return any(marker in body for marker in nul)
    return False


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path.startswith(JSON_PATHS):
                body = {"error": "invalid_request", "error_description": "Invalid characters in request"}
                return json_response(body, status=400)
            return HttpResponse("Bad Request: invalid characters in request", status=400, content_type="text/plain")
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every dynamic answer.

    Secrets and tokens travel in many answers: the Admin API's client representations and
    credentials, the token endpoint, dynamic registration, the Credentials tab and its htmx
    partials, a new initial access token or registration access token. Marking each view by hand
    misses the next one, and an answer without a secret costs nothing to keep out of caches: an
    administrator's console is never served from a cache. Static files are answered by WhiteNoise,
    which sits before this middleware, and keep their long-lived caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, no_store=True)
        response.setdefault("Pragma", "no-cache")  # HTTP/1.0 caches, as Keycloak answers tokens
        return response


class HostCheckMiddleware:
    """The lean chain's ``ALLOWED_HOSTS`` check (the full chain's CommonMiddleware makes it): a Host
    not allowed is a 400 on every lean path, not only on those that build a URL. The check is kept
    per Host with the root URL it gives (``oidc.views.endpoint.root_url``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        root_url(request)
        return self.get_response(request)


class StaticCSPMiddleware:
    """django-csp's ``Content-Security-Policy`` (``settings.CONTENT_SECURITY_POLICY``), built once."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = build_policy()
        self.debug = settings.DEBUG

    def __call__(self, request):
        response = self.get_response(request)
        if self.debug and response.status_code in (404, 500):
            return response  # as django-csp: Django's debug pages need their inline styles
        if CSP_HEADER not in response:
            response[CSP_HEADER] = self.header
        return response


class UntrustedForwardedHeadersMiddleware:
    """First in both chains: the proxy headers of a peer that is not in ``TRUSTED_PROXIES`` are dropped,
    so a client cannot claim https (or another host or port) for itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if any(name in meta for name in FORWARDED_HEADERS) and not from_trusted_proxy(request):
            for name in FORWARDED_HEADERS:
                meta.pop(name, None)
        return self.get_response(request)


class LeanEndpointsMiddleware:
    """First in ``MIDDLEWARE``: requests to ``settings.LEAN_PATHS`` take the short chain.

    Under gunicorn the WSGI application (``adminconsole.wsgi``) sends them there before Django's
    handler sees them; this middleware does it for every other way in (the test client, ASGI).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = re.compile(settings.LEAN_PATHS)
        self.lean = LeanHandler()
        self.lean.load_middleware()

    def __call__(self, request):
        if self.paths.fullmatch(request.path_info):
            return self.lean.get_response(request)
        return self.get_response(request)


class FormTokenMiddleware:
    """Spends the one-time ``form_token`` of a console post; a spent or invalid one writes nothing.

    After CSRF (a refused post spends no token), authentication, messages and htmx in
    ``MIDDLEWARE``. The token is spent before the view runs, so of two identical posts racing
    each other exactly one reaches its view. An answer of 5xx (an exception included: Django
    has made it the 500 answer by the time it gets here) gives it back only when the view wrote
    nothing: services commit as they finish, so a failure after a commit (rendering the answer,
    an on-commit callback) must not let the same form write a second time.
    """

    REPLAYED = ("This form was already sent",
                "It was not saved a second time: the first time counts. Reload the page to see what it did.")
    INVALID = ("This form has expired",
               "Nothing was saved. Reload the page, then fill in and send the form again.")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def watch_writes(execute, sql, params, many, context):
            # Only once the token is spent: the spend's own INSERT and clean-up come before.
            if getattr(request, "_form_token_nonce", None) is not None and sql.lstrip()[:6].upper() in WRITES:
                request._form_token_wrote = True
            return execute(sql, params, many, context)

        with connection.execute_wrapper(watch_writes):
            response = self.get_response(request)
        nonce = getattr(request, "_form_token_nonce", None)
        if nonce is not None and response.status_code >= 500 and not getattr(request, "_form_token_wrote", False):
            form_token_release(nonce=nonce)
        return response

    def process_view(self, request, view, args, kwargs):
        if request.method != "POST" or request.path.startswith(JSON_PATHS):
            return None
        token = request.POST.get(FIELD)
        if token is None:
            return None
        try:
            request._form_token_nonce = form_token_spend(token=token)
        except FormTokenRefused as refused:
            title, text = self.REPLAYED if refused.reason == "replayed" else self.INVALID
            # The link leads to the list the form belongs to, where what the first post did shows.
            return console_error_page(request, status=409 if refused.reason == "replayed" else 400,
                                      title=title, text=text)
        return None
