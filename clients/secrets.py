"""The secret store: the one module that reads and writes a client's secret rows, and the one
that decides whether a secret may authenticate now.

Two rows per client at most: the *current* secret and the *rotated* one (the previous secret,
kept for a while after a rotation). Everything else asks this module: the authenticator
(``clients.authentication``), the ``secret-rotation`` executor, the services, the
representation, the selectors and the token endpoint's client cache.

Low-level and policy-free: the services and the ``secret-rotation`` executor decide *when*;
this module only reads and writes rows. Callers that write hold the client's row lock.
Times are whole epoch seconds (Keycloak's client.secret.* attributes).

The validity rule (Keycloak's): the current secret expires once it has an expiration (> 0) and
that is in the past (strictly: it is still valid at that exact second); the rotated secret is
valid until its expiration (none: not valid). An expired current secret refuses both: rotation is
lazy, so an expired secret waits for an update or a Re-generate.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet

from clients import crypto
from clients.models import Client, ClientSecret
from realms import clock
from realms.models import Realm

MASK = "**********"

# Keycloak's client.secret.* attributes: how the two rows appear in a ClientRepresentation.
ATTR_CREATION = "client.secret.creation.time"
ATTR_EXPIRATION = "client.secret.expiration.time"
ATTR_ROTATED = "client.secret.rotated"
ATTR_ROTATED_CREATION = "client.secret.rotated.creation.time"
ATTR_ROTATED_EXPIRATION = "client.secret.rotated.expiration.time"
# The five attributes rendered from the secret rows, in Keycloak's order.
SECRET_ATTRIBUTES = (ATTR_CREATION, ATTR_EXPIRATION, ATTR_ROTATED, ATTR_ROTATED_CREATION, ATTR_ROTATED_EXPIRATION)

LAST_USED_GRANULARITY = 60  # seconds: at most one usage write per secret per minute per worker
# The usage evidence a secret row starts with whenever its value is (re)placed.
USAGE_RESET = {"last_used_time": None, "use_count": 0, "last_used_ip": ""}

# Keycloak's length rule for client-secret-jwt clients signing with a longer HMAC.
HMAC_SECRET_LENGTHS = {"HS384": 48, "HS512": 64}


# --- reading ---------------------------------------------------------------------------------


def secret_get(client: Client, kind: str) -> ClientSecret | None:
    return ClientSecret.objects.filter(client=client, kind=kind).first()


def secret_value(secret: ClientSecret | None) -> str | None:
    return crypto.decrypt(secret.value_encrypted) if secret else None


def secret_rows(client: Client) -> tuple[ClientSecret | None, ClientSecret | None]:
    """(current, rotated) in one query; uses ``prefetch_related("secrets")`` when present."""
    cache = getattr(client, "_prefetched_objects_cache", {})
    rows = cache["secrets"] if "secrets" in cache else ClientSecret.objects.filter(client=client)
    by_kind = {row.kind: row for row in rows}
    return by_kind.get(ClientSecret.CURRENT), by_kind.get(ClientSecret.ROTATED)


def secret_rows_fresh(*, client: Client) -> tuple[ClientSecret | None, ClientSecret | None]:
    """(current, rotated) read from the database, dropping a stale ``prefetch_related`` copy
    (after this transaction wrote the rows)."""
    cache = getattr(client, "_prefetched_objects_cache", None)
    if cache:
        cache.pop("secrets", None)
    return secret_rows(client)


def secret_rows_prefetch(*, clients: QuerySet[Client]) -> QuerySet[Client]:
    """``clients`` with their secret rows fetched in one more query (for ``secret_rows``)."""
    return clients.prefetch_related("secrets")


def client_with_secrets(
    *, realm: Realm | str, client_id: str
) -> tuple[Client | None, ClientSecret | None, ClientSecret | None]:
    """(client, current, rotated) for ``client_id`` in ``realm`` (a Realm or its name).

    One query when the client has a secret (the secrets joined to their client), two otherwise.
    """
    if "\x00" in client_id:
        return None, None, None  # names no client (and PostgreSQL refuses NUL in text)
    by_name = isinstance(realm, str)
    if by_name:
        realm_filter = {"client__realm__name": realm}
        client_filter = {"realm__name": realm}
    else:
        realm_id = getattr(realm, "pk", realm)
        realm_filter = {"client__realm_id": realm_id}
        client_filter = {"realm_id": realm_id}
    secrets = ClientSecret.objects.select_related("client__realm" if by_name else "client")
    rows = list(secrets.filter(client__client_id=client_id, **realm_filter))
    if rows:
        client = rows[0].client
        by_kind = {row.kind: row for row in rows}
        current, rotated = by_kind.get(ClientSecret.CURRENT), by_kind.get(ClientSecret.ROTATED)
    else:
        clients = Client.objects.select_related("realm") if by_name else Client.objects
        client, current, rotated = clients.filter(client_id=client_id, **client_filter).first(), None, None
    if client is not None and not by_name and hasattr(realm, "pk"):
        client.realm = realm  # callers read client.realm without another query
    return client, current, rotated


def secret_attributes(
    *, current: ClientSecret | None, rotated: ClientSecret | None, include_secret: bool
) -> dict[str, str]:
    """Keycloak's ``client.secret.*`` attributes of the two rows (absent ones left out).

    ``include_secret=False`` masks the rotated secret's value (never decrypted then).
    """
    attributes: dict[str, str] = {}
    if current is not None:
        attributes[ATTR_CREATION] = str(current.created_time)
        if current.expiration_time is not None:
            attributes[ATTR_EXPIRATION] = str(current.expiration_time)
    if rotated is not None:
        attributes[ATTR_ROTATED] = secret_value(rotated) if include_secret else MASK
        attributes[ATTR_ROTATED_CREATION] = str(rotated.created_time)
        if rotated.expiration_time is not None:
            attributes[ATTR_ROTATED_EXPIRATION] = str(rotated.expiration_time)
    return attributes


# --- validity: the one place that decides it -------------------------------------------------


def secret_has_expiration(*, secret: ClientSecret | None) -> bool:
    """Whether the current secret has an expiration at all (none, or 0 or less, means none)."""
    return bool(secret and secret.expiration_time and secret.expiration_time > 0)


def secret_expired(*, secret: ClientSecret, now: int) -> bool:
    """Whether ``secret`` is past its expiration at ``now``, by the rule of its kind.

    Current: only with an expiration > 0, and only strictly after it. Rotated: once its
    expiration is past, and always when it has none.
    """
    expiration = secret.expiration_time
    if secret.kind == ClientSecret.CURRENT:
        return secret_has_expiration(secret=secret) and expiration < now
    return not expiration or expiration < now


def secrets_valid(
    *, current: ClientSecret | None, rotated: ClientSecret | None, now: int
) -> tuple[bool, bool]:
    """(may the current secret authenticate, may the rotated one) at ``now``.

    A missing row may not; an expired current secret refuses both.
    """
    if current is None or secret_expired(secret=current, now=now):
        return False, False
    return True, rotated is not None and not secret_expired(secret=rotated, now=now)


# --- writing ---------------------------------------------------------------------------------


def secret_length(client: Client) -> int:
    """32 characters; 48/64 for a client-secret-jwt client whose signing alg is HS384/HS512."""
    if client.client_authenticator_type == "client-secret-jwt":
        alg = (client.attributes or {}).get("token.endpoint.auth.signing.alg")
        return HMAC_SECRET_LENGTHS.get(alg, crypto.SECRET_LENGTH)
    return crypto.SECRET_LENGTH


def secret_replace_value(client: Client, value: str, *, now: int) -> None:
    """Keycloak's ``setSecret``: a given value replaces the current one, keeping its times.

    With no current row yet, the new row's creation time is ``now``.
    """
    updated = ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        value_encrypted=crypto.encrypt(value), **USAGE_RESET
    )
    if not updated:
        ClientSecret.objects.create(
            client=client, kind=ClientSecret.CURRENT, value_encrypted=crypto.encrypt(value), created_time=now
        )


def secret_set_current(client: Client, value: str | None = None, *, now: int) -> str:
    """Store ``value`` (or a newly generated secret) as the current secret.

    Stamps the creation time; keeps the expiration time, as Keycloak's generateSecret does.
    """
    value = value if value is not None else crypto.generate_secret(secret_length(client))
    updated = ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        value_encrypted=crypto.encrypt(value), created_time=now, **USAGE_RESET
    )
    if not updated:
        ClientSecret.objects.create(
            client=client, kind=ClientSecret.CURRENT, value_encrypted=crypto.encrypt(value), created_time=now
        )
    return value


def secret_set_expiration(client: Client, expiration_time: int | None, *, kind: str = ClientSecret.CURRENT) -> None:
    ClientSecret.objects.filter(client=client, kind=kind).update(expiration_time=expiration_time)


def secret_set_created(*, client: Client, kind: str, created_time: int) -> None:
    ClientSecret.objects.filter(client=client, kind=kind).update(created_time=created_time)


def secret_current_set_times(*, client: Client, created_time: int, expiration_time: int) -> None:
    """Both times of the current secret in one write (a Re-generate under a rotation policy)."""
    ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        created_time=created_time, expiration_time=expiration_time
    )


def secret_expiration_start(*, client: Client, expiration_time: int) -> None:
    """Give the current secret ``expiration_time`` unless it already has one. Conditional in the
    database, so concurrent requests agree on the first one."""
    ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).filter(
        Q(expiration_time__isnull=True) | Q(expiration_time__lte=0)
    ).update(expiration_time=expiration_time)


def secret_store_rotated(client: Client, value: str, *, now: int, expiration_time: int) -> None:
    ClientSecret.objects.update_or_create(
        client=client,
        kind=ClientSecret.ROTATED,
        defaults={
            "value_encrypted": crypto.encrypt(value),
            "created_time": now,
            "expiration_time": expiration_time,
            **USAGE_RESET,
        },
    )


def secret_rotated_replace_value(
    *, client: Client, value: str, created_time: int, expiration_time: int | None
) -> None:
    """Set the rotated secret's value (an administrator's ``client.secret.rotated``), keeping
    its times; with no rotated row yet, create one with ``created_time`` and ``expiration_time``."""
    encrypted = crypto.encrypt(value)
    rotated = ClientSecret.objects.filter(client=client, kind=ClientSecret.ROTATED)
    if not rotated.update(value_encrypted=encrypted, **USAGE_RESET):
        ClientSecret.objects.create(
            client=client,
            kind=ClientSecret.ROTATED,
            value_encrypted=encrypted,
            created_time=created_time,
            expiration_time=expiration_time,
        )


def secret_remove_rotated(client: Client) -> bool:
    deleted, _ = ClientSecret.objects.filter(client=client, kind=ClientSecret.ROTATED).delete()
    return bool(deleted)


def secret_remove_rotation_info(client: Client) -> None:
    """Keycloak's "remove rotation info": drop the expiry and the rotated secret, keep the secret."""
    secret_set_expiration(client, None)
    secret_remove_rotated(client)


def secret_clear(client: Client) -> None:
    """Public and bearer-only clients have no secret."""
    ClientSecret.objects.filter(client=client).delete()


@dataclass
class _PendingUse:
    """Successful authentications with one secret not yet written (this worker's, since its
    last write). ``value`` is the ciphertext they were compared against."""

    value: str
    count: int = 0
    ip: str = ""


# secret pk -> uses awaiting the next write; guarded by _pending_lock (gthread workers).
_pending_uses: dict[int, _PendingUse] = {}
_pending_lock = threading.Lock()
MAX_PENDING_SECRETS = 100_000  # a bound on this worker's memory; beyond it, pending counts are dropped


def secret_mark_used(secret: ClientSecret, now: int | None = None, *, ip: str | None = None) -> bool:
    """Record that ``secret`` authenticated a client (from ``ip``): counted in this worker's
    memory, written at most once per secret per minute per worker.

    The write adds the uses counted since the last one to ``use_count``, stores the latest
    address in ``last_used_ip`` and stamps ``last_used_time``. It happens on the first use after
    the minute has passed, so each worker holds at most a minute's uses of a secret unwritten
    (lost if the worker stops first, or if the value is replaced meanwhile).

    The row already in memory decides whether a write is due (no query when it is not); the
    UPDATE is conditional, so concurrent requests write once. It also requires the stored value
    to still be the one that was compared (the ciphertext: Fernet never produces the same one
    twice): a Re-generate or rotation between the comparison and this write replaces the value in
    the same row, and the new secret must not be credited with the old one's uses: they are written
    to the row that holds the compared value now, found by the value (the rotated row after a
    Re-generate). Returns True when it wrote to ``secret``'s row.
    """
    now = clock.epoch() if now is None else now
    threshold = now - LAST_USED_GRANULARITY
    due = secret.last_used_time is None or secret.last_used_time < threshold
    with _pending_lock:
        pending = _pending_uses.get(secret.pk)
        if pending is None or pending.value != secret.value_encrypted:
            # A replaced value's uses belong to a secret that is gone from this row: dropped.
            if pending is None and len(_pending_uses) >= MAX_PENDING_SECRETS:
                _pending_uses.clear()
            pending = _pending_uses[secret.pk] = _PendingUse(value=secret.value_encrypted)
        pending.count += 1
        if ip:
            pending.ip = ip[:64]
        if not due:
            return False
        del _pending_uses[secret.pk]
    if _uses_write(secret, pending, now=now, threshold=threshold):
        secret.last_used_time = now
        return True
    rows = list(ClientSecret.objects.filter(client_id=secret.client_id))  # two at most
    target = secret
    if not any(row.pk == secret.pk and row.value_encrypted == secret.value_encrypted for row in rows):
        # A Re-generate, a rotation or a key rotation replaced the compared ciphertext. The uses
        # belong to the value, so they go to the row that holds it now (the rotated one after a
        # Re-generate), never to the new secret; with no such row they are dropped with it.
        target = _row_holding(rows, secret.value_encrypted)
        if target is None:
            return False
        pending.value = target.value_encrypted
        if _uses_write(target, pending, now=now, threshold=threshold):
            return target.pk == secret.pk
    # Not written (another worker wrote this minute): the uses wait for this worker's next write.
    with _pending_lock:
        newer = _pending_uses.get(target.pk)
        if newer is None:
            _pending_uses[target.pk] = pending
        elif newer.value == pending.value:
            newer.count += pending.count
            newer.ip = newer.ip or pending.ip
    return False


def _uses_write(secret: ClientSecret, pending: _PendingUse, *, now: int, threshold: int) -> bool:
    """Adds ``pending`` to ``secret``'s row while it holds the compared ciphertext and nobody wrote
    it this minute: one conditional UPDATE, so concurrent workers write once."""
    changes = {"last_used_time": now, "use_count": F("use_count") + pending.count}
    if pending.ip:
        changes["last_used_ip"] = pending.ip
    return bool(
        ClientSecret.objects.filter(pk=secret.pk, value_encrypted=pending.value)
        .filter(Q(last_used_time__isnull=True) | Q(last_used_time__lt=threshold))
        .update(**changes)
    )


def _row_holding(rows: list[ClientSecret], encrypted: str) -> ClientSecret | None:
    """The row whose value is the one ``encrypted`` holds: by the value itself (decrypted, compared
    in constant time), never by row id, as each Fernet ciphertext of a value differs."""
    value = crypto.decrypt(encrypted)
    return next((row for row in rows if crypto.secrets_equal(crypto.decrypt(row.value_encrypted), value)), None)


def secret_uses_pending(*, secret: ClientSecret) -> int:
    """How many uses of ``secret`` this worker has counted but not written yet."""
    with _pending_lock:
        pending = _pending_uses.get(secret.pk)
        return pending.count if pending is not None and pending.value == secret.value_encrypted else 0


def secret_uses_forget() -> None:
    """Drop every unwritten use counted by this worker (tests start from a clean worker)."""
    with _pending_lock:
        _pending_uses.clear()


def secrets_reencrypt(*, batch_size: int) -> int:
    """Re-encrypt every stored secret under the first encryption key, in one transaction.

    Returns how many rows were written. Raises ``crypto.InvalidToken`` (and writes nothing) when
    a row cannot be decrypted with any configured key.
    """
    done = 0
    with transaction.atomic():
        rows = ClientSecret.objects.select_for_update().order_by("pk").only("pk", "value_encrypted")
        batch = []
        for row in rows.iterator(chunk_size=batch_size):
            row.value_encrypted = crypto.reencrypt(row.value_encrypted)
            batch.append(row)
            if len(batch) >= batch_size:
                ClientSecret.objects.bulk_update(batch, ["value_encrypted"])
                done += len(batch)
                batch = []
        if batch:
            ClientSecret.objects.bulk_update(batch, ["value_encrypted"])
            done += len(batch)
    return done
