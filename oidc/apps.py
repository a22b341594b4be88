from django.apps import AppConfig
from django.core.signals import setting_changed


class OidcConfig(AppConfig):
    name = "oidc"
    label = "oidc"
    verbose_name = "OIDC endpoints"

    def ready(self):
        # Imported here, not at the top: these modules import models, which cannot load before
        # the app registry is ready.
        from oidc import caches
        from oidc.services import realm_oidc_setup
        from oidc.views.endpoint import root_urls_forget
        from realms import services as realm_services

        if realm_oidc_setup not in realm_services.REALM_CREATED_HOOKS:
            realm_services.REALM_CREATED_HOOKS.append(realm_oidc_setup)
        caches.connect_signals()
        setting_changed.connect(root_urls_forget, dispatch_uid="oidc-root-urls")
