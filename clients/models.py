from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from realms.models import Realm

ACCESS_CONFIDENTIAL = "confidential"
ACCESS_PUBLIC = "public"
ACCESS_BEARER_ONLY = "bearer-only"

AUTHENTICATOR_CHOICES = [
    ("client-secret", "Client Id and Secret"),
    ("client-jwt", "Signed JWT"),
    ("client-secret-jwt", "Signed Jwt with Client Secret"),
    ("client-x509", "X509 Certificate"),
]
SECRET_AUTHENTICATORS = {"client-secret", "client-secret-jwt"}


class Client(models.Model):
    """An OIDC client, with the fields of Keycloak's ClientRepresentation that matter here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    protocol = models.CharField(max_length=32, default="openid-connect")
    public_client = models.BooleanField(default=False)
    bearer_only = models.BooleanField(default=False)
    client_authenticator_type = models.CharField(
        max_length=32, choices=AUTHENTICATOR_CHOICES, default="client-secret"
    )
    service_accounts_enabled = models.BooleanField(default=False)
    standard_flow_enabled = models.BooleanField(default=True)
    direct_access_grants_enabled = models.BooleanField(default=False)
    implicit_flow_enabled = models.BooleanField(default=False)
    root_url = models.CharField(max_length=1024, blank=True, default="")
    redirect_uris = models.JSONField(default=list, blank=True)
    web_origins = models.JSONField(default=list, blank=True)
    # Free-form attributes. Rotation state is NOT kept here: it lives in ClientSecret rows and
    # is rendered into Keycloak's client.secret.* attributes by the representation layer.
    attributes = models.JSONField(default=dict, blank=True)
    # Digest of the registration access token (the token itself is shown once).
    registration_token_digest = models.CharField(max_length=128, blank=True, default="")
    # Epoch seconds until which failed authentications of this client may be on record
    # (``realms.throttle``). It travels with the client row that every authentication reads
    # anyway (and that the per-worker cache refreshes at once when it changes), so a correct secret
    # reads the lockout state only while this is in the future: no query in the steady state.
    auth_failures_until = models.BigIntegerField(default=0)
    # Keycloak's client ``notBefore`` (epoch seconds, 0 = none): every token issued to the client
    # before it is refused wherever a token is accepted (the "Secret compromised" kill switch).
    not_before = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]
        constraints = [
            models.UniqueConstraint(fields=["realm", "client_id"], name="client_unique_client_id_in_realm"),
        ]

    def __str__(self) -> str:
        return self.client_id

    @property
    def access_type(self) -> str:
        if self.public_client:
            return ACCESS_PUBLIC
        if self.bearer_only:
            return ACCESS_BEARER_ONLY
        return ACCESS_CONFIDENTIAL

    @property
    def has_secret_type(self) -> bool:
        """Keycloak's "client with a secret": not public and not bearer-only."""
        return not self.public_client and not self.bearer_only


class ClientSecret(models.Model):
    """A client secret, encrypted at rest. At most one current and one rotated per client.

    Times are whole epoch seconds, as Keycloak keeps them in client.secret.* attributes.
    """

    CURRENT = "current"
    ROTATED = "rotated"
    KIND_CHOICES = [(CURRENT, "current"), (ROTATED, "rotated")]

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="secrets")
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    value_encrypted = models.TextField()
    created_time = models.BigIntegerField()
    expiration_time = models.BigIntegerField(null=True, blank=True)
    last_used_time = models.BigIntegerField(null=True, blank=True)
    # Usage evidence, written in batches (never a write per request): successful authentications
    # with this secret, and the source address of the last one.
    use_count = models.PositiveBigIntegerField(default=0)
    last_used_ip = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["kind", "expiration_time"], name="clientsecret_kind_expiry"),
            # The Secret rotation summary's "rotated secret in use" (clients.rotation): a range of
            # the rotated secrets by last use, then each one's current secret by client.
            # Not partial: SQLite, without statistics, would not pick a partial one over the
            # expiry index; with the kind first, it is the longer match.
            models.Index(fields=["kind", "last_used_time", "expiration_time", "client"], name="clientsecret_kind_used"),
            # Not partial either: PostgreSQL would then read a small realm's current secrets from
            # it rather than from the expiry index.
            models.Index(fields=["client", "kind", "created_time"], name="clientsecret_kind_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="clientsecret_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=["current", "rotated"]), name="clientsecret_kind_valid"),
        ]

    def __repr__(self) -> str:  # never show the value
        return f"<ClientSecret {self.kind} of client {self.client_id}>"


class SecretExpiryCount(models.Model):
    """How many confidential clients of a realm have their current secret expiring on each UTC day
    (``day`` = expiry // 86400; -1: no current secret, or one without expiry). Written only by the
    database triggers of migration 0011, in the transaction of every client or secret change, so
    the Secret rotation summary reads a realm's few day rows instead of every client
    (``clients.rotation``). Never written from Python."""

    # No database constraint: a trigger may add a row while a realm's rows are being deleted.
    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="+", db_constraint=False,
                              db_index=False)  # the (realm, day) constraint is its index
    day = models.BigIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["realm", "day"], name="secretexpirycount_realm_day")]


class ClientRole(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    # Keycloak's role attributes: name -> list of values, kept as sent (validated by the service).
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="clientrole_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceAccount(models.Model):
    """The Django user a client's service account acts as; the user holds its admin roles.

    Bound to the client's internal id, never to its name: renaming the client keeps it, deleting
    the client deletes it and the user (``service_account_user_delete``), and a new client with the same
    clientId starts without one.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="service_account")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account")

    def __repr__(self) -> str:
        return f"<ServiceAccount of client {self.client_id}>"


def service_account_user_delete(sender, instance: ServiceAccount, **kwargs) -> None:
    """post_delete of a ServiceAccount (connected in ``ClientsConfig.ready``): its user goes too.

    A signal, so that every way a client disappears (its service, a realm deletion's cascade)
    takes the roles with it.
    """
    get_user_model().objects.filter(pk=instance.user_id).delete()
