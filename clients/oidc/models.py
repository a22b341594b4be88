"""Realm signing keys, initial access tokens and single-use client-assertion ids.

Times are whole epoch seconds, like the client secret rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from adminconsole import clock
from adminconsole.models import Realm


class RealmKey(models.Model):
    """An RS256 signing key pair of a realm. The private key is Fernet-encrypted at rest.

    One active key per realm signs new tokens; retired keys stay published in the JWKS until the
    tokens they signed have expired (see ``clients.oidc.keys``).
    """

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=16, default="RS256")
    private_key_encrypted = models.TextField()
    public_jwk = models.JSONField()
    active = models.BooleanField(default=True)
    created = models.BigIntegerField()
    retired_at = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-active", "-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["realm"], condition=Q(active=True), name="realmkey_one_active_per_realm"),
        ]

    def __repr__(self) -> str:  # never show key material
        return f"<RealmKey {self.kid} of realm {self.realm_id}>"


class InitialAccessToken(models.Model):
    """A token that lets dynamic client registration create clients (RFC 7591 "initial access token").

    Only its SHA-256 digest is stored; the token is shown once when it is created.
    """

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="initial_access_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created = models.BigIntegerField()
    expiration = models.BigIntegerField(default=0)  # seconds after creation; 0 = never expires
    count = models.PositiveIntegerField(default=1)
    remaining_count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(remaining_count__lte=models.F("count")), name="iat_remaining_le_count"),
        ]

    @property
    def expires_at(self) -> int | None:
        return self.created + self.expiration if self.expiration else None

    @property
    def created_at(self):
        return clock.from_epoch(self.created)

    @property
    def expires_at_datetime(self):
        return clock.from_epoch(self.expires_at)

    def is_expired(self, now: int) -> bool:
        return bool(self.expiration) and self.created + self.expiration < now

    def __repr__(self) -> str:
        return f"<InitialAccessToken {self.pk} of realm {self.realm_id}>"


class UsedClientAssertion(models.Model):
    """A client assertion already accepted (``<client pk>:<jti>``): each one is single-use.

    Kept in the database so every worker and instance sees it; rows expire with their assertion.
    """

    key = models.CharField(max_length=320, unique=True)
    expires = models.BigIntegerField(db_index=True)


class EndedSession(models.Model):
    """A login session ended by logout: its refresh tokens are refused ("Session not active")."""

    sid = models.CharField(max_length=64, unique=True)
    expires = models.BigIntegerField(db_index=True)
