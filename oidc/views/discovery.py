"""Discovery: ``/realms/{realm}/.well-known/openid-configuration`` and the realm's public
information at ``/realms/{realm}``."""

from __future__ import annotations

from clients.authentication import HMAC_ALGORITHMS
from oidc import grants, keys
from oidc.views.endpoint import OIDC, endpoint, issuer_of, json_response, realm_get

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]


# Keycloak's discovery keys that name an endpoint this server does not serve (the session iframe,
# device flow, CIBA, PAR, mTLS aliases) are left out: RFC 8414 reads an absent key as "not
# supported", and a URL that does not work would send clients to a 404 (docs/differences.md (ac)).
NOT_SERVED = ("check_session_iframe", "device_authorization_endpoint", "backchannel_authentication_endpoint",
              "pushed_authorization_request_endpoint", "mtls_endpoint_aliases")


@endpoint("GET")
def well_known(request, realm: str):
    realm_obj = realm_get(realm)
    issuer = issuer_of(request, realm_obj)
    base = f"{issuer}{OIDC}"
    signing = [keys.ALGORITHM]
    hmac = list(HMAC_ALGORITHMS)
    # Every other key Keycloak publishes, in its order; what is not supported here is an empty
    # list or false, never a claim of support.
    return json_response({
        "issuer": issuer,
        # The authorization code flow is not served; the URL is published because clients build on
        # it, and it answers Keycloak's unsupported_response_type (docs/differences.md (m)).
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "introspection_endpoint": f"{base}/token/introspect",
        "userinfo_endpoint": f"{base}/userinfo",
        "end_session_endpoint": f"{base}/logout",
        "frontchannel_logout_session_supported": False,
        "frontchannel_logout_supported": False,
        "jwks_uri": f"{base}/certs",
        "grant_types_supported": list(grants.GRANTS),
        "acr_values_supported": [],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "prompt_values_supported": [],
        "id_token_signing_alg_values_supported": signing,
        "id_token_encryption_alg_values_supported": [],
        "id_token_encryption_enc_values_supported": [],
        "userinfo_signing_alg_values_supported": signing,
        "userinfo_encryption_alg_values_supported": [],
        "userinfo_encryption_enc_values_supported": [],
        "request_object_signing_alg_values_supported": [],
        "request_object_encryption_alg_values_supported": [],
        "request_object_encryption_enc_values_supported": [],
        "response_modes_supported": [],
        "registration_endpoint": f"{issuer}/clients-registrations/openid-connect",
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": hmac,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": hmac,
        "authorization_signing_alg_values_supported": [],
        "authorization_encryption_alg_values_supported": [],
        "authorization_encryption_enc_values_supported": [],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "azp", "preferred_username", "email_verified", "scope"],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "scopes_supported": ["openid", "profile", "email"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "code_challenge_methods_supported": [],
        "tls_client_certificate_bound_access_tokens": False,
        "revocation_endpoint": f"{base}/revoke",
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": hmac,
        "backchannel_logout_supported": False,
        "backchannel_logout_session_supported": False,
        "backchannel_token_delivery_modes_supported": [],
        "backchannel_authentication_request_signing_alg_values_supported": [],
        "require_pushed_authorization_requests": False,
        "authorization_response_iss_parameter_supported": False,
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
