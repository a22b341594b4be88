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


class AdminEvent(models.Model):
    """A change made through the console, the Admin REST API or dynamic registration.

    Written in the same transaction as the change; the representation has every secret masked.
    """

    OPERATIONS = [("CREATE", "CREATE"), ("UPDATE", "UPDATE"), ("DELETE", "DELETE"), ("ACTION", "ACTION")]

    time = models.BigIntegerField(db_index=True)  # epoch milliseconds, as Keycloak
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="admin_events")
    operation_type = models.CharField(max_length=16, choices=OPERATIONS)
    resource_type = models.CharField(max_length=64)
    resource_path = models.CharField(max_length=1024)
    source = models.CharField(max_length=32, default="console")
    auth_realm = models.CharField(max_length=255, blank=True, default="")
    auth_user_id = models.CharField(max_length=255, blank=True, default="")
    auth_username = models.CharField(max_length=255, blank=True, default="")
    auth_client_id = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.CharField(max_length=64, blank=True, default="")
    representation = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["realm", "-time"], name="adminevent_realm_time")]
