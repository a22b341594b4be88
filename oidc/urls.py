"""Mounted at ``/realms/`` (slashless, Keycloak's paths: api-compat R1, R2)."""

from django.urls import path

from oidc import registration, views

OIDC = "<str:realm>/protocol/openid-connect"

urlpatterns = [
    path("<str:realm>", views.realm_info, name="oidc-realm"),
    path("<str:realm>/.well-known/openid-configuration", views.well_known, name="oidc-well-known"),
    path(f"{OIDC}/auth", views.authorize, name="oidc-auth"),
    path(f"{OIDC}/token", views.token, name="oidc-token"),
    path(f"{OIDC}/token/introspect", views.introspect, name="oidc-introspect"),
    path(f"{OIDC}/certs", views.certs, name="oidc-certs"),
    path(f"{OIDC}/userinfo", views.userinfo, name="oidc-userinfo"),
    path(f"{OIDC}/logout", views.logout, name="oidc-logout"),
    path("<str:realm>/clients-registrations/openid-connect", registration.register, name="oidc-registration"),
    path("<str:realm>/clients-registrations/openid-connect/<str:client_id>", registration.client_configuration, name="oidc-registration-client"),
]
