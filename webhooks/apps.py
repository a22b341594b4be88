from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Imported here, not at the top: models cannot load before the app registry is ready.
        from clients.signals import secret_event
        from webhooks.receivers import secret_event_deliveries

        secret_event.connect(secret_event_deliveries, dispatch_uid="webhooks_secret_event_deliveries")
