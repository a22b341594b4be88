from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

REALM_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_.-]+$", "Use letters, digits, '.', '_' and '-' only."
)


class Realm(models.Model):
    """A Keycloak realm: the namespace of clients, client policies and signing keys."""

    name = models.CharField(max_length=255, unique=True, validators=[REALM_NAME_VALIDATOR])
    display_name = models.CharField(max_length=255, blank=True, default="")
    enabled = models.BooleanField(default=True)
    access_token_lifespan = models.PositiveIntegerField(default=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        default_permissions = ()
        # Keycloak's realm-management roles, shared by the console and the Admin REST API.
        permissions = [
            ("view_realm", "view-realm"),
            ("manage_realm", "manage-realm"),
            ("view_clients", "view-clients"),
            ("manage_clients", "manage-clients"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.display_name or self.name
