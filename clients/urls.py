from django.urls import path

from clients import bulk_views, rotation_views, service_account_views, views

# Included at /console/<realm>/clients/ (Keycloak's admin-ui routes: /{realm}/clients/{id}/{tab}).
urlpatterns = [
    path("", views.client_list, name="client-list"),
    path("add-client", views.client_create, name="client-create"),
    path("bulk", bulk_views.clients_bulk, name="clients-bulk"),
    path("<uuid:id>/", views.client_detail, name="client-detail"),
    path("<uuid:id>/settings", views.client_settings, name="client-settings"),
    path("<uuid:id>/delete", views.client_delete, name="client-delete"),
    path("<uuid:id>/enabled", views.client_enabled, name="client-enabled"),
    path("<uuid:id>/credentials", views.client_credentials, name="client-credentials"),
    path("<uuid:id>/credentials/authenticator", views.client_authenticator_save, name="client-authenticator-save"),
    path("<uuid:id>/credentials/client-secret", views.client_secret_regenerate, name="client-secret-regenerate"),
    path("<uuid:id>/credentials/client-secret/compromised", views.client_secret_compromised, name="client-secret-compromised"),
    path("<uuid:id>/credentials/client-secret/rotated", views.client_rotated_secret_invalidate, name="client-rotated-secret-invalidate"),
    path(
        "<uuid:id>/credentials/registration-access-token",
        views.client_registration_token_regenerate,
        name="client-registration-token-regenerate",
    ),
    path("<uuid:id>/roles", views.client_roles, name="client-roles"),
    path("<uuid:id>/service-account-roles", service_account_views.client_service_account_roles,
         name="client-service-account-roles"),
    path("<uuid:id>/roles/add-role", views.client_role_create, name="client-role-create"),
    path("<uuid:id>/roles/delete", views.client_role_delete, name="client-role-delete"),
]

# Included at /console/<realm>/secret-rotation/ (a page of its own in the Manage menu).
secret_rotation_urlpatterns = [
    path("", rotation_views.secret_rotation, name="secret-rotation"),
    path("export.csv", rotation_views.secret_rotation_csv, name="secret-rotation-csv"),
]
