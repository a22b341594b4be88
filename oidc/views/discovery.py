"""Discovery: ``/realms/{realm}/.well-known/openid-configuration`` and the realm's public
information at ``/realms/{realm}``."""

from __future__ import annotations

from clients.authentication import HMAC_ALGORITHMS
from oidc import grants, keys
from oidc.views.endpoint import OIDC, endpoint, issuer_of, json_response, realm_get

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]


@endpoint("GET")
def well_known(request, realm: str):
    realm_obj = realm_get(realm)
    issuer = issuer_of(request, realm_obj)
    base = f"{issuer}{OIDC}"
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
        "grant_types_supported": list(grants.GRANTS),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "userinfo_signing_alg_values_supported": [keys.ALGORITHM],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "azp", "preferred_username", "email_verified", "scope"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(HMAC_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": list(HMAC_ALGORITHMS),
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
