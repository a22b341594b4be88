"""The short way through Django for the machine-to-machine OIDC endpoints.

Token, introspection, JWKS, userinfo and discovery (``settings.LEAN_PATHS``) answer JSON to
clients that carry no session or CSRF cookie. They go through ``settings.LEAN_MIDDLEWARE`` (every
security header and check of the full chain; no sessions, CSRF, authentication, messages, htmx or
static files) and are resolved against the OIDC urls alone.

Under gunicorn, ``ConsoleWSGIApplication`` (``adminconsole.wsgi``) sends them to
``LeanWSGIHandler`` before Django's handler sees them: one pass through the request handling
instead of two. ``adminconsole.middleware.LeanEndpointsMiddleware`` takes the same turn for every
other way in (the test client, ASGI) with ``LeanHandler``.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import URLResolver, include, path
from django.urls.resolvers import RegexPattern
from django.utils.module_loading import import_string


def lean_resolver() -> URLResolver:
    """The OIDC urls alone (a URL configuration of one include): the root one tries every Admin API
    route first. Nothing on the lean paths reverses another app's URL."""
    return URLResolver(RegexPattern(r"^/"), [path("realms/", include("oidc.urls"))])


class LeanHandling:
    """Django's request handling with ``settings.LEAN_MIDDLEWARE`` instead of ``MIDDLEWARE``, and
    the lean paths resolved against ``lean_resolver()`` (without switching the thread's URL
    configuration: ``reverse()`` keeps the root one)."""

    resolver: URLResolver

    def load_middleware(self, is_async=False):
        # Django's own loop, for plain synchronous middleware (all of LEAN_MIDDLEWARE).
        self.resolver = lean_resolver()
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for dotted in reversed(settings.LEAN_MIDDLEWARE):
            instance = import_string(dotted)(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def resolve_request(self, request):
        match = self._resolve(request.path_info)
        request.resolver_match = match
        return match

    @functools.cached_property
    def _resolve(self):
        # A worker answers a few paths per realm, again and again; a ResolverMatch is not changed
        # by the views. A path that does not resolve raises Resolver404 each time (not kept).
        return functools.lru_cache(maxsize=1024)(self.resolver.resolve)


class LeanHandler(LeanHandling, BaseHandler):
    """For ``LeanEndpointsMiddleware``: the short chain behind the full one's first middleware."""


class LeanWSGIHandler(LeanHandling, WSGIHandler):
    """For the WSGI application: the short chain as the whole of Django's request handling."""


class ConsoleWSGIApplication:
    """Django's WSGI handler, with the lean paths sent to ``LeanWSGIHandler`` before it."""

    def __init__(self):
        self.full = WSGIHandler()
        self.lean = LeanWSGIHandler()
        self.paths = re.compile(settings.LEAN_PATHS)

    def __call__(self, environ, start_response):
        # PATH_INFO as the server decoded it (latin-1): the pattern's fixed parts are ASCII and its
        # realm part stops at "/", which no UTF-8 sequence holds, so it matches as Django's
        # decoded path_info would.
        if self.paths.fullmatch(environ.get("PATH_INFO", "")):
            return self.lean(environ, start_response)
        return self.full(environ, start_response)
