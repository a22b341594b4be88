from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "oidc"
    label = "oidc"
    verbose_name = "OIDC endpoints"

    def ready(self):
        from oidc.services import realm_oidc_setup
        from realms import services as realm_services

        if realm_oidc_setup not in realm_services.REALM_CREATED_HOOKS:
            realm_services.REALM_CREATED_HOOKS.append(realm_oidc_setup)

        from oidc import caches

        caches.connect_signals()
