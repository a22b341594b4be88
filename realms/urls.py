from django.urls import path

from realms import audit_views, views

# Included at /console/<realm>/ (Keycloak's admin-ui routes: /{realm}/realm-settings, /{realm}/events).
urlpatterns = [
    path("", views.realm_home, name="realm-home"),
    path("add-realm", views.realm_create, name="realm-create"),
    path("realm-settings/", views.realm_settings, name="realm-settings"),
    path("realm-settings/delete", views.realm_delete, name="realm-delete"),
    path("events", audit_views.admin_events, name="events"),
    path("events/user-events", audit_views.user_events, name="events-user"),
    path("events/settings", audit_views.event_settings, name="events-settings"),
]
