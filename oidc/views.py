"""The per-realm OIDC endpoints (api-compat §2, §5). Thin: parse, call one service, answer JSON."""

from __future__ import annotations

import functools

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from realms.models import Realm
from oidc import caches, grants, keys, sessions, tokens
from oidc.client_auth import request_client_authenticate
from oidc.http import OAuthError, bearer_token, json_response
from policies.engine import Event

GRANTS = {
    "client_credentials": grants.grant_client_credentials,
    "password": grants.grant_password,
    "refresh_token": grants.grant_refresh_token,
}
OIDC = "/protocol/openid-connect"


def endpoint(*methods: str):
    """csrf-exempt JSON endpoint: other methods get 405; ``OAuthError`` becomes its JSON answer."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = json_response({"error": "HTTP 405 Method Not Allowed"}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except OAuthError as exc:
                return exc.response()

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


def issuer_of(request, realm: Realm) -> str:
    return tokens.issuer_for(request.build_absolute_uri("/"), realm.name)


def _audiences(issuer: str) -> tuple[str, ...]:
    return (issuer, f"{issuer}{OIDC}/token", f"{issuer}{OIDC}/token/introspect", f"{issuer}{OIDC}/logout")


def _client(request, realm: Realm, issuer: str):
    endpoint_name = request.resolver_match.url_name.removeprefix("oidc-") if request.resolver_match else "token"
    return request_client_authenticate(request, realm, audiences=_audiences(issuer), endpoint=endpoint_name)


@endpoint("POST")
def token(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    grant_type = request.POST.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "Missing form parameter: grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
    issuer = issuer_of(request, realm_obj)
    auth = _client(request, realm_obj, issuer)
    return json_response(grant(request=request, realm=realm_obj, client=auth.client, issuer=issuer), no_store=True)


@endpoint("POST")
def introspect(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    issuer = issuer_of(request, realm_obj)
    auth = _client(request, realm_obj, issuer)
    if auth.client.public_client:
        raise OAuthError(403, "invalid_request", "Client not allowed.")
    token_value = request.POST.get("token")
    if not token_value:
        raise OAuthError(400, "invalid_request", "Token not provided.")
    grants._trigger(Event.TOKEN_INTROSPECT, realm=realm_obj, client=auth.client, grant_type="introspection")
    if request.POST.get("token_type_hint") == "requesting_party_token":
        return json_response({"active": False})  # no RPTs are issued here
    claims = _introspect_claims(token_value, realm_obj)
    if claims is None:
        return json_response({"active": False})
    body = dict(claims)
    body.update({"client_id": claims.get("azp"), "username": claims.get("preferred_username"), "token_type": claims.get("typ"), "active": True})
    return json_response(body)


def _introspect_claims(token_value: str, realm: Realm) -> dict | None:
    try:
        claims = tokens.access_token_verify(token_value, realm=realm.name)
    except tokens.TokenError:
        try:
            claims = tokens.refresh_token_verify(token_value, realm=realm.name)
        except tokens.TokenError:
            return None
    # A token of an ended session, or of a disabled or deleted user or client, is not active.
    if sessions.token_holder(claims) is None:
        return None
    return claims


@endpoint("GET", "POST")
def userinfo(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    challenge = f'Bearer realm="{realm_obj.name}", error="invalid_token", error_description="Token verification failed"'
    token_value = bearer_token(request) or (request.POST.get("access_token") if request.method == "POST" else None)
    if not token_value:
        raise OAuthError(401, "invalid_request", "Token not provided", headers={"WWW-Authenticate": f'Bearer realm="{realm_obj.name}"'})
    try:
        claims = tokens.access_token_verify(token_value, realm=realm_obj.name)
    except tokens.TokenError:
        raise OAuthError(401, "invalid_token", "Token verification failed", headers={"WWW-Authenticate": challenge}) from None
    if sessions.token_holder(claims) is None:
        raise OAuthError(401, "invalid_token", "Token verification failed", headers={"WWW-Authenticate": challenge})
    body = {"sub": claims["sub"], "email_verified": bool(claims.get("email_verified", False))}
    if claims.get("preferred_username") is not None:
        body["preferred_username"] = claims["preferred_username"]
    return json_response(body)


@endpoint("POST")
def logout(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    issuer = issuer_of(request, realm_obj)
    auth = _client(request, realm_obj, issuer)
    refresh = request.POST.get("refresh_token")
    if not refresh:
        raise OAuthError(400, "invalid_request", "No refresh token")
    claims = grants.refresh_token_claims(refresh, realm=realm_obj)
    if claims.get("azp") != auth.client.client_id:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    sessions.session_end(claims["sid"])
    return HttpResponse(status=204)


@endpoint("GET", "POST")
def authorize(request, realm: str):
    """Published in discovery because clients build on it; browser flows are not offered here."""
    realm_get(realm)
    raise OAuthError(
        400,
        "unsupported_response_type",
        "Browser login flows are not offered by this server; use the client_credentials, password or refresh_token grants",
    )


@endpoint("GET")
def certs(request, realm: str):
    response = json_response(keys.jwks(realm_get(realm)))
    response["Cache-Control"] = "no-cache"
    return response


@endpoint("GET")
def well_known(request, realm: str):
    realm_obj = realm_get(realm)
    issuer = issuer_of(request, realm_obj)
    base = f"{issuer}{OIDC}"
    methods = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
    return json_response({
        "issuer": issuer,
        # The authorization code flow is not served; the URL is published because clients build on it.
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "introspection_endpoint": f"{base}/token/introspect",
        "userinfo_endpoint": f"{base}/userinfo",
        "end_session_endpoint": f"{base}/logout",
        "jwks_uri": f"{base}/certs",
        "registration_endpoint": f"{issuer}/clients-registrations/openid-connect",
        "grant_types_supported": list(GRANTS),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "userinfo_signing_alg_values_supported": [keys.ALGORITHM],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "azp", "preferred_username", "email_verified", "scope"],
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512"],
        "introspection_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_signing_alg_values_supported": ["HS256", "HS384", "HS512"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    })


@endpoint("GET")
def realm_info(request, realm: str):
    realm_obj = realm_get(realm)
    issuer = issuer_of(request, realm_obj)
    active = keys.active_key_row(realm_obj)
    return json_response({
        "realm": realm_obj.name,
        "public_key": keys.public_key_base64(active) if active else None,
        "token-service": f"{issuer}{OIDC}",
        "account-service": f"{issuer}/account",
        "tokens-not-before": 0,
    })
