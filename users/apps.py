from django.apps import AppConfig
from django.db.models.signals import post_migrate


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self):
        # Imported here, not at the top: models cannot load before the app registry is ready.
        from realms import services as realm_services
        from users import services

        if services.realm_management_ensure not in realm_services.REALM_CREATED_HOOKS:
            realm_services.REALM_CREATED_HOOKS.append(services.realm_management_ensure)
        # view-users and manage-users are permissions without a model field of their own; a
        # flush (transactional tests) recreates only the models' permissions, so make them here.
        post_migrate.connect(services.user_permissions_ensure, dispatch_uid="users_permissions_ensure")
