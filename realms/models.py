from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

REALM_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_.-]+$", "Use letters, digits, '.', '_' and '-' only."
)


def realm_name_not_dot_segment(name: str) -> None:
    """``.`` and ``..`` are path segments: ``/admin/realms/..`` would name the parent, not a realm."""
    if name in (".", ".."):
        raise ValidationError("Realm name cannot be '.' or '..'.", code="invalid")


REALM_NAME_VALIDATORS = [REALM_NAME_VALIDATOR, realm_name_not_dot_segment]


def default_events_listeners() -> list[str]:
    """Keycloak's default: the server log. We record events in the database whatever the list says."""
    return ["jboss-logging"]


class RealmManager(models.Manager):
    """``Realm.objects`` leaves ``extras`` unread: up to 1 MB a row that only the Admin API's realm
    representation uses, and every token request, console page and lock of a realm reads the row.

    Reading ``realm.extras`` on such a row costs one more query; ``realms_list(with_extras=True)``
    loads it with the rows. Related lookups (``client.realm``), ``refresh_from_db`` and saves go
    through the base manager, and migrations use a plain one (``use_in_migrations`` is false).
    """

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer("extras")


class Realm(models.Model):
    """A Keycloak realm: the namespace of clients, client policies and signing keys."""

    name = models.CharField(max_length=255, unique=True, validators=REALM_NAME_VALIDATORS)
    display_name = models.CharField(max_length=255, blank=True, default="")
    enabled = models.BooleanField(default=True)
    access_token_lifespan = models.PositiveIntegerField(default=300)
    created_at = models.DateTimeField(auto_now_add=True)
    # Keycloak's realm ``id`` when one was given on create (an import keeps it); "" answers the name.
    keycloak_id = models.CharField(max_length=255, blank=True, default="")
    # Every RealmRepresentation field this product does not act on, as it was sent (secrets
    # masked), so that a realm exported with GET and imported again loses nothing.
    extras = models.JSONField(default=dict, blank=True)
    # Keycloak's RealmEventsConfigRepresentation. Login events and admin events are on by default
    # (Keycloak: off), so a new realm has an audit trail; docs/differences.md says why.
    events_enabled = models.BooleanField(default=True)
    events_expiration = models.PositiveBigIntegerField(default=0)  # seconds; 0 keeps events for ever
    events_listeners = models.JSONField(default=default_events_listeners, blank=True)
    enabled_event_types = models.JSONField(default=list, blank=True)  # [] = every type
    admin_events_enabled = models.BooleanField(default=True)
    admin_events_details_enabled = models.BooleanField(default=True)

    objects = RealmManager()

    class Meta:
        ordering = ["name"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["keycloak_id"], condition=~models.Q(keycloak_id=""), name="realm_keycloak_id_unique"
            )
        ]
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

    @property
    def public_id(self) -> str:
        """The ``id`` Keycloak's representations carry: the one given on create, else the name."""
        return self.keycloak_id or self.name


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


class LoginEvent(models.Model):
    """A client authentication at the token or introspection endpoint, successful or not.

    Keycloak's event types ``CLIENT_LOGIN`` and ``CLIENT_LOGIN_ERROR``. Never holds a secret: only
    which of the client's secrets matched (``current`` or ``rotated``).
    """

    CLIENT_LOGIN = "CLIENT_LOGIN"
    CLIENT_LOGIN_ERROR = "CLIENT_LOGIN_ERROR"
    TYPES = [(CLIENT_LOGIN, CLIENT_LOGIN), (CLIENT_LOGIN_ERROR, CLIENT_LOGIN_ERROR)]
    SECRETS = [("current", "current"), ("rotated", "rotated")]

    time = models.BigIntegerField()  # epoch milliseconds, as Keycloak
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="login_events")
    type = models.CharField(max_length=32, choices=TYPES)
    client_id = models.CharField(max_length=255, blank=True, default="")  # as presented by the caller
    secret_used = models.CharField(max_length=16, blank=True, default="", choices=SECRETS)
    error = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.CharField(max_length=64, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["realm", "-time"], name="loginevent_realm_time")]


class ClientAuthFailure(models.Model):
    """Failed client authentications, shared by every worker and instance (``realms.throttle``).

    One row per (client, source address) and one per client for all addresses (``source`` "*"),
    for existing clients only; made-up client ids share one row per source address
    (``client_id`` ""), so they cannot add rows without bound.
    """

    realm_name = models.CharField(max_length=255)
    client_id = models.CharField(max_length=255)  # "" = any unknown client id
    source = models.CharField(max_length=64, default="*")  # an address, an IPv6 /64, or "*" = all
    failures = models.PositiveIntegerField(default=0)
    window_start = models.BigIntegerField()  # epoch seconds
    locked_until = models.BigIntegerField(default=0)  # epoch seconds; 0 = not locked
    expires_at = models.BigIntegerField(db_index=True)  # the row means nothing after this

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["realm_name", "client_id", "source"], name="clientauthfailure_unique_source")
        ]


class SpentFormToken(models.Model):
    """A console form's one-time token that has been sent once (adminconsole.form_tokens).

    In the database, not a per-process cache, so that every worker and instance sees it. Rows
    older than ``FORM_TOKEN_MAX_AGE`` are removed as new ones arrive: an older token is refused
    as expired by its signature alone.
    """

    nonce = models.CharField(max_length=64, primary_key=True)
    spent_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()
