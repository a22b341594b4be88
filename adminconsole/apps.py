from django.apps import AppConfig
from django.core import checks


class AdminConsoleConfig(AppConfig):
    name = "adminconsole"
    verbose_name = "Admin console"

    def ready(self):
        from adminconsole.checks import proxy_settings_check  # reads settings: after they load

        checks.register(proxy_settings_check, checks.Tags.security)
