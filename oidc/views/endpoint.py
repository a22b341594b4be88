"""What every OIDC endpoint shares: the endpoint decorator, the realm lookup, the issuer, the
client authentication of a request, and the JSON answer.

The decorator is where this face maps errors to HTTP, in one place: any ``OAuthError`` raised
below a view (client authentication, a grant, a client policy, a token or metadata check)
becomes its ``{"error","error_description"}`` answer.
"""

from __future__ import annotations

import functools

from django.views.decorators.csrf import csrf_exempt

from oidc import caches, tokens
from oidc.client_auth import Authenticated, request_client_authenticate
from realms import http
from realms.errors import OAuthError
from realms.models import Realm

OIDC = "/protocol/openid-connect"

# The OIDC endpoints have always escaped non-ASCII characters in their JSON; kept byte for byte.
json_response = functools.partial(http.json_response, ensure_ascii=True)


def endpoint(*methods: str):
    """csrf-exempt JSON endpoint: other methods get 405; ``OAuthError`` becomes its JSON answer."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return json_response({"error": "HTTP 405 Method Not Allowed"}, status=405, headers={"Allow": ", ".join(methods)})
            try:
                return view(request, *args, **kwargs)
            except OAuthError as exc:
                return exc.response(ensure_ascii=True)

        return wrapper

    return decorator


def realm_get(name: str, *, enabled: bool = False) -> Realm:
    """The realm by name (kept per worker for a moment: ``caches.realm_by_name``); read-only use."""
    realm = caches.realm_by_name(name)
    if realm is None:
        raise OAuthError(404, "Realm does not exist", "For more on this error consult the server log.")
    if enabled and not realm.enabled:
        raise OAuthError(403, "access_denied", "Realm not enabled")
    return realm


# What Django's build_absolute_uri("/") reads besides the scheme (with the settings, fixed per
# process; tests that change them clear this through ``root_urls_forget``): the same values give
# the same root URL, validated against ALLOWED_HOSTS when it was first built.
_HOST_INPUTS = ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")
_ROOTS_MAX = 256
_roots: dict[tuple, str] = {}


def root_url(request) -> str:
    """``request.build_absolute_uri("/")``, kept per worker for the request inputs it depends on.

    Its first use for a Host also checks that Host against ``ALLOWED_HOSTS`` (``DisallowedHost``,
    a 400); the lean endpoints' chain calls it first (``adminconsole.middleware.HostCheckMiddleware``).
    """
    meta = request.META
    inputs = (request.scheme, *(meta.get(name) for name in _HOST_INPUTS))
    root = _roots.get(inputs)
    if root is None:
        root = request.build_absolute_uri("/")  # DisallowedHost (a 400) for a host not allowed
        if len(_roots) >= _ROOTS_MAX:
            _roots.clear()  # hosts are few; a client cycling through Host headers only evicts
        _roots[inputs] = root
    return root


def root_urls_forget(**kwargs) -> None:
    """A ``setting_changed`` receiver: the kept root URLs depend on the host and proxy settings."""
    _roots.clear()


def issuer_of(request, realm: Realm) -> str:
    return tokens.issuer_for(root_url(request), realm.name)


def client_authenticate(request, realm: Realm, issuer: str, *, record_success: bool = True) -> Authenticated:
    """The client of a token, introspection or logout request; a client assertion may name any
    of these endpoints (or the issuer) as its audience."""
    audiences = (issuer, f"{issuer}{OIDC}/token", f"{issuer}{OIDC}/token/introspect", f"{issuer}{OIDC}/logout",
                 f"{issuer}{OIDC}/revoke")
    endpoint_name = request.resolver_match.url_name.removeprefix("oidc-") if request.resolver_match else "token"
    return request_client_authenticate(request, realm, audiences=audiences, endpoint=endpoint_name, record_success=record_success)


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
