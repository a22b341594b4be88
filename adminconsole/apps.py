from django.apps import AppConfig


class AdminConsoleConfig(AppConfig):
    name = "adminconsole"
    verbose_name = "Admin console"
