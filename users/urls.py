from django.urls import path

from users import views

urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("add-user", views.user_create, name="user-create"),
    path("<int:user_id>/settings", views.user_details, name="user-details"),
    path("<int:user_id>/credentials", views.user_credentials, name="user-credentials"),
    path("<int:user_id>/role-mapping", views.user_roles, name="user-roles"),
    path("<int:user_id>/enabled", views.user_enabled, name="user-enabled"),
    path("<int:user_id>/delete", views.user_delete, name="user-delete"),
]

password_urlpatterns = [path("", views.password_update, name="password-update")]
