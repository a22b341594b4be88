"""Realm signing keys, initial access tokens, single-use client-assertion ids and login sessions.

Times are whole epoch seconds, like the client secret rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clients.models import Client
from realms import clock
from realms.models import Realm


class RealmKey(models.Model):
    """An RS256 signing key pair of a realm. The private key is Fernet-encrypted at rest.

    One active key per realm signs new tokens; retired keys stay published in the JWKS until the
    tokens they signed have expired (see ``oidc.keys``).
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

    def __repr__(self) -> str:
        return f"<InitialAccessToken {self.pk} of realm {self.realm_id}>"

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


class UsedClientAssertion(models.Model):
    """A client assertion already accepted: each one is single-use.

    Kept in the database so every worker and instance sees it; rows expire with their assertion.
    ``key`` is the SHA-256 (hex) of ``<client pk>:<jti>`` (``oidc.services.assertion_key_digest``):
    fixed length, whatever the length of the ``jti``.
    """

    key = models.CharField(max_length=64, unique=True)
    expires = models.BigIntegerField(db_index=True)


class UserSession(models.Model):
    """A login session (password grant): its refresh tokens, and its access tokens, live only with it.

    A token whose ``sid`` has no row here is not active: rows are positive facts, so removing one
    can only end a session, never revive it. Logout sets ``ended``; the row stays until
    ``expires`` (the session's maximum lifetime), which no token of the session outlives, and is
    then swept. Deleting the user or the client deletes its sessions.
    """

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_sessions")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="user_sessions")
    started = models.BigIntegerField()
    expires = models.BigIntegerField(db_index=True)  # started + SSO session max
    ended = models.BigIntegerField(null=True, blank=True)  # logout time

    def __repr__(self) -> str:
        return f"<UserSession of user {self.user_id} via client {self.client_id}>"


class RevokedAccessToken(models.Model):
    """An access token revoked at the revocation endpoint (RFC 7009), by its ``jti``.

    Access tokens are self-contained, so revoking one needs a record every worker reads until the
    token would have expired anyway (its ``exp``); then the row vouches for nothing and is swept.
    """

    jti = models.CharField(max_length=64, unique=True)
    expires = models.BigIntegerField(db_index=True)

    def __repr__(self) -> str:
        return f"<RevokedAccessToken {self.jti}>"
