from django.apps import AppConfig
from django.db.models.signals import post_delete


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients"

    def ready(self):
        # Imported here, not at the top: models cannot load before the app registry is ready.
        from clients.models import ServiceAccount, service_account_user_delete

        post_delete.connect(service_account_user_delete, sender=ServiceAccount, dispatch_uid="service_account_user_delete")
