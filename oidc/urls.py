"""Mounted at ``/realms/`` (slashless, Keycloak's paths: docs/wire-contract.md R1, R2)."""

from django.urls import path, re_path

from oidc.views import (
    authorize,
    discovery,
    fallback,
    introspection,
    jwks,
    logout,
    registration,
    revocation,
    token,
    userinfo,
)

OIDC = "<str:realm>/protocol/openid-connect"

urlpatterns = [
    path("<str:realm>", discovery.realm_info, name="oidc-realm"),
    path("<str:realm>/.well-known/openid-configuration", discovery.well_known, name="oidc-well-known"),
    path(f"{OIDC}/auth", authorize.authorize, name="oidc-auth"),
    path(f"{OIDC}/token", token.token, name="oidc-token"),
    path(f"{OIDC}/token/introspect", introspection.introspect, name="oidc-introspect"),
    path(f"{OIDC}/certs", jwks.certs, name="oidc-certs"),
    path(f"{OIDC}/userinfo", userinfo.userinfo, name="oidc-userinfo"),
    path(f"{OIDC}/logout", logout.logout, name="oidc-logout"),
    path(f"{OIDC}/revoke", revocation.revoke, name="oidc-revoke"),
    path("<str:realm>/clients-registrations/openid-connect", registration.register, name="oidc-registration"),
    path("<str:realm>/clients-registrations/openid-connect/<str:client_id>", registration.client_configuration, name="oidc-registration-client"),
    # Last: any other path under /realms/ is Keycloak's JSON 404.
    re_path(r"^(?P<rest>.*)$", fallback.unknown_path),
]
