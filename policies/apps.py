from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Client policies"

    def ready(self):
        # Imported here, not at the top: the receivers import models, which cannot load before
        # the app registry is ready.
        from policies import signals

        signals.connect_signals()
