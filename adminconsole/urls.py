from django.contrib.auth import views as auth_views
from django.urls import include, path

from realms import audit_views, views

console_patterns = [
    path("", views.realm_home, name="realm-home"),
    path("add-realm", views.realm_create, name="realm-create"),
    path("realm-settings/", views.realm_settings, name="realm-settings"),
    path("realm-settings/delete", views.realm_delete, name="realm-delete"),
    path("events", audit_views.admin_events, name="events"),
    path("events/user-events", audit_views.user_events, name="events-user"),
    path("", include("oidc.console_urls")),  # realm keys, tokens, initial access tokens
    path("clients/", include("clients.urls")),
    path("realm-settings/client-policies/", include("policies.urls")),
]

urlpatterns = [
    # Keycloak's Admin REST API (/admin/realms/..., /admin/openapi.json) first: nothing else may
    # match admin/ before it.
    path("", include("adminconsole.api.urls")),
    path("", views.home, name="home"),
    path("login", auth_views.LoginView.as_view(template_name="adminconsole/login.html", redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("console/<str:realm>/", include(console_patterns)),
    path("realms/", include("oidc.urls")),  # OIDC endpoints and dynamic registration
    # /admin/realms/ (Admin REST API) and /realms/ (OIDC endpoints) are mounted by their apps.
]

# A database outage answers 503 (Retry-After) instead of 500; see adminconsole.errors.
handler500 = "adminconsole.errors.server_error"
