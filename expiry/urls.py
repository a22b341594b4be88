"""Console pages of this app, included in ``/console/<realm>/``."""

from django.urls import path

from expiry import views

urlpatterns = [
    path("realm-settings/secret-expiry", views.secret_expiry, name="secret-expiry"),
]
