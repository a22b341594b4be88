"""Realm settings → Webhooks, included at ``/console/<realm>/realm-settings/webhooks/``."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.webhooks_page, name="realm-webhooks"),
    path("add", views.webhook_create, name="webhook-create"),
    path("<uuid:webhook_id>/edit", views.webhook_edit, name="webhook-edit"),
    path("<uuid:webhook_id>/enabled", views.webhook_enabled, name="webhook-enabled"),
    path("<uuid:webhook_id>/delete", views.webhook_delete, name="webhook-delete"),
    path("<uuid:webhook_id>/test", views.webhook_test, name="webhook-test"),
    path("<uuid:webhook_id>/secret", views.webhook_secret_regenerate, name="webhook-secret"),
    path("<uuid:webhook_id>/deliveries", views.webhook_deliveries, name="webhook-deliveries"),
    path("<uuid:webhook_id>/deliveries/<int:delivery_id>/resend", views.delivery_resend, name="webhook-delivery-resend"),
]
