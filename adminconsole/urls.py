from django.contrib.auth import views as auth_views
from django.urls import include, path

from adminconsole import views

console_patterns = [
    path("", views.realm_home, name="realm-home"),
    path("add-realm", views.realm_create, name="realm-create"),
    path("realm-settings/", views.realm_settings, name="realm-settings"),
    path("clients/", include("clients.urls")),
    path("realm-settings/client-policies/", include("policies.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login", auth_views.LoginView.as_view(template_name="adminconsole/login.html", redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("console/<str:realm>/", include(console_patterns)),
    # /admin/realms/ (Admin REST API) and /realms/ (OIDC endpoints) are mounted by their apps.
]
