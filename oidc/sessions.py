"""Login sessions, and whether a verified token is still live.

* ``session_start(user=, client=, now=)``: the password grant's new session (and the sweep of
  sessions past their maximum lifetime).
* ``session_live(claims)``: the live session of a token's ``sid``, or None.
* ``session_end(sid)``: logout. The session stays ended until its own maximum lifetime is over,
  by which time every token of it has expired.
* ``token_holder(claims)``: the client and user a verified access or refresh token speaks for,
  or None when its session has ended, its user or client was disabled or deleted, (for a
  service account) its client was deleted, even if a new one took the same clientId, or it was
  issued before its client's ``notBefore`` (``token_stale``).
* ``token_stale(claims, client)``: whether a token was issued before the client's ``notBefore``.
* ``access_token_revoke(claims)``: the revocation endpoint's record of a revoked access token
  (by ``jti``, until its ``exp``); ``token_holder`` refuses it from then on.
* ``service_account_user(client)``: the Django user holding a realm-master service account's roles.

Times are whole epoch seconds from ``realms.clock``.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from clients.models import Client, ServiceAccount
from oidc.models import RevokedAccessToken, UserSession
from oidc.tokens import TYP_ACCESS, realm_of
from realms import clock

MASTER = "master"


@dataclass(frozen=True)
class TokenHolder:
    """Who a live token speaks for: its client, and its user (None for a service account outside
    realm master, or one of realm master that holds no roles)."""

    client: Client
    user: Any | None
    service_account: bool


def session_max_lifespan() -> int:
    """Keycloak's "SSO Session Max" (``SSO_SESSION_MAX_LIFESPAN``, seconds)."""
    return max(int(settings.SSO_SESSION_MAX_LIFESPAN), 1)


def service_account_subject(client: Client) -> str:
    """The ``sub`` of a client's service-account tokens: derived from its internal id, not its name."""
    return _subject_of(client.pk)


@functools.lru_cache(maxsize=4096)
def _subject_of(client_pk) -> str:
    # A pure function of the id, asked for on every client_credentials grant: computed once per worker.
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"service-account:{client_pk}"))


def service_account_user(client: Client):
    """The active Django user a realm-master client's service account acts as, or None."""
    account = ServiceAccount.objects.select_related("user").filter(client_id=client.pk).first()
    if account is None or not account.user.is_active:
        return None
    return account.user


def session_start(*, user, client: Client, now: int | None = None) -> UserSession:
    now = clock.epoch() if now is None else now
    with transaction.atomic():
        # Tokens never outlive their session's ``expires``: these rows vouch for nothing any more.
        UserSession.objects.filter(expires__lt=now).delete()
        return UserSession.objects.create(
            sid=str(uuid.uuid4()), user=user, client_id=client.pk, started=now, expires=now + session_max_lifespan()
        )


def session_live(claims: dict, *, now: int | None = None) -> UserSession | None:
    """The session of a verified token's ``sid`` while it lives: not ended, within its maximum
    lifetime, its user active, its client enabled and in the token's realm."""
    sid = claims.get("sid")
    if not isinstance(sid, str) or not sid:
        return None
    now = clock.epoch() if now is None else now
    session = UserSession.objects.select_related("user", "client__realm").filter(sid=sid).first()
    if (
        session is None
        or session.ended is not None
        or now >= session.expires
        or now >= session.started + session_max_lifespan()
        or str(claims.get("sub")) != str(session.user_id)
        or not session.user.is_active
        or not session.client.enabled
        or session.client.realm.name != realm_of(claims)
    ):
        return None
    return session


def session_remaining(session: UserSession, *, now: int) -> int:
    """Seconds until the session's maximum lifetime is over (no token of it may live longer)."""
    return min(session.expires, session.started + session_max_lifespan()) - now


def session_end(sid: str, *, now: int | None = None) -> None:
    """Logout: the session's tokens stop working, for good (the row is kept, only marked)."""
    now = clock.epoch() if now is None else now
    UserSession.objects.filter(sid=sid, ended__isnull=True).update(ended=now)


def token_stale(claims: dict, client: Client) -> bool:
    """Whether a token was issued before ``client.not_before`` (Keycloak's client ``notBefore``:
    the "Secret compromised" kill switch, or ``notBefore`` sent in a client update).

    Strictly earlier, as Keycloak compares: a token whose ``iat`` equals ``notBefore`` is live.
    A token without a whole-number ``iat`` is stale once a
    ``notBefore`` is set, since nothing shows it was issued after.
    """
    if not client.not_before:
        return False
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int):
        return True
    return issued < client.not_before


def access_token_revoke(claims: dict, *, now: int | None = None) -> None:
    """Record a verified access token as revoked until its ``exp`` (RFC 7009; Keycloak keeps the
    same record in its single-use store). Idempotent; expired records are swept here."""
    now = clock.epoch() if now is None else now
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        return
    with transaction.atomic():
        RevokedAccessToken.objects.filter(expires__lt=now).delete()
        # A second revocation of the same token (another worker, a retry) changes nothing.
        RevokedAccessToken.objects.bulk_create([RevokedAccessToken(jti=jti[:64], expires=int(claims["exp"]))],
                                               ignore_conflicts=True)


def access_token_revoked(claims: dict) -> bool:
    """Whether a verified access token was revoked at the revocation endpoint."""
    jti = claims.get("jti")
    if claims.get("typ") != TYP_ACCESS or not isinstance(jti, str):
        return False
    return RevokedAccessToken.objects.filter(jti=jti[:64]).exists()


def token_holder(claims: dict, *, now: int | None = None) -> TokenHolder | None:
    """Whom a verified access or refresh token speaks for, or None when it is no longer live."""
    if access_token_revoked(claims):
        return None
    if claims.get("sid"):
        session = session_live(claims, now=now)
        if session is None or token_stale(claims, session.client):
            return None
        return TokenHolder(client=session.client, user=session.user, service_account=False)
    client_id = claims.get("client_id")
    if not isinstance(client_id, str):
        return None  # this server issues no other kind of token
    realm_name = realm_of(claims)
    client = Client.objects.select_related("realm").defer("realm__extras").filter(realm__name=realm_name, client_id=client_id).first()
    if (
        client is None
        or not client.enabled
        or not client.has_secret_type
        or not client.service_accounts_enabled
        # The subject names the client's internal id: a token of a deleted client is refused even
        # when a new client took its clientId.
        or claims.get("sub") != service_account_subject(client)
        or token_stale(claims, client)
    ):
        return None
    user = service_account_user(client) if realm_name == MASTER else None
    return TokenHolder(client=client, user=user, service_account=True)
