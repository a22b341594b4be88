from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from adminconsole import views
from clients.urls import secret_rotation_urlpatterns
from oidc.views.fallback import unknown_path
from users.urls import password_urlpatterns

console_patterns = [
    path("", include("realms.urls")),  # realm settings, events
    path("", include("oidc.console_urls")),  # realm keys, tokens, initial access tokens
    path("clients/", include("clients.urls")),
    path("secret-rotation/", include(secret_rotation_urlpatterns)),
    path("realm-settings/client-policies/", include("policies.urls")),
    path("realm-settings/webhooks/", include("webhooks.urls")),
    path("", include("expiry.urls")),  # realm settings → secret expiry
    path("users/", include("users.urls")),
]

urlpatterns = [
    # Keycloak's Admin REST API (/admin/realms/..., /admin/openapi.json) first: nothing else may
    # match admin/ before it.
    path("", include("adminconsole.api.urls")),
    path("", views.home, name="home"),
    path("login", views.ConsoleLoginView.as_view(), name="login"),
    path("password-update", include(password_urlpatterns)),  # after a temporary password
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("console/<str:realm>/", include(console_patterns)),
    path("realms/", include("oidc.urls")),  # OIDC endpoints and dynamic registration
    re_path(r"^realms$", unknown_path),  # Keycloak's JSON 404, as for every other unknown path under /realms
    # /admin/realms/ (Admin REST API) and /realms/ (OIDC endpoints) are mounted by their apps.
]

# A database outage answers 503 (Retry-After) instead of 500; see adminconsole.errors.
handler500 = "adminconsole.errors.server_error"
# Not found and forbidden stay in the console's layout; JSON on the API and OIDC paths.
handler404 = "adminconsole.errors.page_not_found"
handler403 = "adminconsole.errors.permission_denied"
