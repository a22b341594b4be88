"""The secret store: the one module that reads and writes a client's secret rows, and the one
that decides whether a secret may authenticate now.

Two rows per client at most: the *current* secret and the *rotated* one (the previous secret,
kept for a while after a rotation). Everything else asks this module: the authenticator
(``clients.authentication``), the ``secret-rotation`` executor, the services, the
representation, the selectors, the token endpoint's client cache, the Secret rotation page
(``clients.rotation``), the expiry sweep (``expiry``), the registration endpoint and the policy
jobs (``jobs``).

What it owns:

* every query on ``ClientSecret`` and ``SecretExpiryCount``: a client's rows, their values (the
  only code that decrypts a secret row), the rows joined to a realm's clients, and the raw SQL of
  the realm-wide counts (kept as written: those reads stay index ranges at 100,000 clients);
* every write of a secret row, usage evidence included;
* the validity rule, once, in three forms: on rows and times (``secret_expired``,
  ``secret_expiration_passed``, ``secrets_valid``), as filters (``secret_has_expiration_q``,
  ``current_secret_expired_q``, ``rotated_secret_valid_q``) and in the raw SQL below, which tests hold to the
  same answers.

Low-level and policy-free: the services and the ``secret-rotation`` executor decide *when*, and
the callers decide what counts as soon, in use or quiet; this module only reads and writes rows.
Callers that write hold the client's row lock. Times are whole epoch seconds (Keycloak's
client.secret.* attributes).

The validity rule (Keycloak's): the current secret expires once it has an expiration (> 0) and
that is in the past (strictly: it is still valid at that exact second); the rotated secret is
valid until its expiration (none: not valid). An expired current secret refuses both: rotation is
lazy, so an expired secret waits for an update or a Re-generate.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast

from clients import crypto
from clients.models import Client, ClientSecret, SecretExpiryCount
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


def secret_expiration_passed(*, kind: str, expiration_time: int | None, now: int) -> bool:
    """Whether a secret of ``kind`` expiring at ``expiration_time`` is past its expiration at
    ``now`` (for times read without their row).

    Current: only with an expiration > 0, and only strictly after it. Rotated: once its
    expiration is past, and always when it has none.
    """
    if kind == ClientSecret.CURRENT:
        return expiration_time is not None and 0 < expiration_time < now
    return not expiration_time or expiration_time < now


def secret_expired(*, secret: ClientSecret, now: int) -> bool:
    """Whether ``secret`` is past its expiration at ``now``, by the rule of its kind
    (``secret_expiration_passed``)."""
    return secret_expiration_passed(kind=secret.kind, expiration_time=secret.expiration_time, now=now)


# The same rule as filters, on ``field``: a secret row's ``expiration_time``, or the name of an
# annotation carrying it (a client queryset joined to its secrets, ``confidential_clients_with_secret_times``).


def secret_has_expiration_q(*, field: str = "expiration_time") -> Q:
    """``secret_has_expiration``: an expiration > 0."""
    return Q(**{f"{field}__gt": 0})


def secret_no_expiration_q(*, field: str = "expiration_time") -> Q:
    """Not ``secret_has_expiration``: none, or 0 or less."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": 0})


def current_secret_expired_q(*, now: int, field: str = "expiration_time") -> Q:
    """A current secret expired at ``now`` (``secret_expired``)."""
    return secret_has_expiration_q(field=field) & Q(**{f"{field}__lt": now})


def rotated_secret_valid_q(*, now: int, field: str = "expiration_time") -> Q:
    """A rotated secret not expired at ``now`` (``secret_expired``): ``now`` is an epoch second,
    so an expiration of none, 0 or less fails it."""
    return Q(**{f"{field}__gte": now})


def secrets_valid(
    *, current: ClientSecret | None, rotated: ClientSecret | None, now: int
) -> tuple[bool, bool]:
    """(may the current secret authenticate, may the rotated one) at ``now``.

    A missing row may not; an expired current secret refuses both.
    """
    if current is None or secret_expired(secret=current, now=now):
        return False, False
    return True, rotated is not None and not secret_expired(secret=rotated, now=now)


def secret_rows_state(*, client: Client) -> tuple[str | None, int | None, bool, int | None]:
    """What a client update may change in the rows, read from the database: the current secret's
    ciphertext (a new value is a new ciphertext; never decrypted here) and expiration, whether a
    rotated secret exists, and its expiration."""
    current, rotated = secret_rows_fresh(client=client)
    return (
        current.value_encrypted if current is not None else None,
        current.expiration_time if current is not None else None,
        rotated is not None,
        rotated.expiration_time if rotated is not None else None,
    )


# --- reading over every client: one query (or index range) whatever the number of clients ----


def confidential_clients_with_secret_times(*, realm: Realm) -> QuerySet[Client]:
    """The realm's confidential clients, each joined to its current and rotated secret rows
    (LEFT JOINs on the one-per-kind rows, so one row per client), with the rows' times and use
    counts as annotations: ``created``, ``expires``, ``last_used``, ``use_count`` (the current
    secret's), ``rotated_expires``, ``rotated_last_used``, ``rotated_use_count``. Never a value.
    Filter the annotations with this module's ``*_q(field=...)`` builders."""
    return (
        Client.objects.filter(realm=realm, public_client=False, bearer_only=False)
        .annotate(
            current=FilteredRelation("secrets", condition=Q(secrets__kind=ClientSecret.CURRENT)),
            rotated=FilteredRelation("secrets", condition=Q(secrets__kind=ClientSecret.ROTATED)),
        )
        .annotate(
            created=F("current__created_time"),
            expires=F("current__expiration_time"),
            last_used=F("current__last_used_time"),
            use_count=F("current__use_count"),
            rotated_expires=F("rotated__expiration_time"),
            rotated_last_used=F("rotated__last_used_time"),
            rotated_use_count=F("rotated__use_count"),
        )
    )


def current_secrets_dated_until(*, until: int) -> QuerySet[ClientSecret]:
    """Current secrets with an expiration at most ``until`` (expired ones included), soonest
    first, each with its client and realm: a range of the ``(kind, expiration_time)`` index."""
    return (
        ClientSecret.objects.filter(secret_has_expiration_q(), kind=ClientSecret.CURRENT, expiration_time__lte=until)
        .select_related("client__realm")
        .order_by("expiration_time", "pk")
    )


def _in_realm(secrets: QuerySet[ClientSecret], realm: Realm) -> QuerySet[ClientSecret]:
    """Secrets of the realm's confidential clients. The client is looked up per secret (a scalar
    subquery on its primary key): these ranges are small, and a join lets PostgreSQL hash every
    client of the realm instead."""
    client_realm = Client.objects.filter(pk=OuterRef("client_id"), public_client=False, bearer_only=False).order_by()
    return secrets.annotate(client_realm=Subquery(client_realm.values("realm_id"))).filter(client_realm=realm.pk)


def current_secrets_expiring_between(*, realm: Realm, start: int, end: int) -> QuerySet[ClientSecret]:
    """The current secrets of the realm's confidential clients expiring in [start, end), start > 0:
    a range of the (kind, expiration_time) index."""
    return _in_realm(ClientSecret.objects.filter(
        kind=ClientSecret.CURRENT, expiration_time__gte=max(start, 1), expiration_time__lt=end), realm)


def current_secrets_expiring_per_day(*, realm: Realm, start: int, end: int, day: int) -> dict[int, int]:
    """How many current secrets of the realm's confidential clients expire in [start, end), per
    ``day``-second period: {period number: count}, periods without one left out. One grouped
    query, read from the (kind, expiration_time) index."""
    grouped = (
        ClientSecret.objects.filter(
            kind=ClientSecret.CURRENT,
            expiration_time__gte=start,
            expiration_time__lt=end,
            client__realm=realm,
            client__public_client=False,
            client__bearer_only=False,
        )
        # Integer division of two integers: the day number on SQLite and PostgreSQL alike.
        .annotate(day=Cast(F("expiration_time") / day, BigIntegerField()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    return {row["day"]: row["n"] for row in grouped}


def _count_sql(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) part", tuple(params)


# The rotated secrets in use, counted from the rotated secrets used lately: a range of the
# (kind, last_used_time, expiration_time, client) index (clients 0012; it has what the range and
# the expiry test need), then, for each of those, one lookup of its current secret's creation time
# (the (client, kind, created_time) index) and one of its client. There are
# far fewer rotated secrets than current ones, and those used lately fewer still; a join instead
# had PostgreSQL hash every current secret of the database. Written by hand: PostgreSQL turns an
# EXISTS into that join, and it estimates correlated subqueries in WHERE so dearly that its JIT
# compiler started (more than the query itself); its LATERAL lookups are planned as what they are.
# SQLite has no LATERAL, and runs correlated subqueries as lookups anyway; without statistics it
# would look the current secret up in the (client, kind) index and then read the table row, where
# the (client, kind, created_time) index has the creation time itself.
# "r.expiration_time >= %s" (now) is ``rotated_secret_valid_q`` in SQL.
_ROTATED_USED = "r.kind = 'rotated' AND r.last_used_time >= %s AND r.expiration_time >= %s"
_IN_USE_SQL = {
    "postgresql": f"""
SELECT COUNT(*) FROM clients_clientsecret r
CROSS JOIN LATERAL (SELECT c.created_time FROM clients_clientsecret c
                    WHERE c.client_id = r.client_id AND c.kind = 'current' LIMIT 1) c
CROSS JOIN LATERAL (SELECT 1 FROM clients_client u WHERE u.id = r.client_id AND u.realm_id = %s
                    AND NOT u.public_client AND NOT u.bearer_only LIMIT 1) u
WHERE {_ROTATED_USED} AND c.created_time <= r.last_used_time""",
    "sqlite": f"""
SELECT COUNT(*) FROM clients_clientsecret r
WHERE {_ROTATED_USED}
AND (SELECT c.created_time FROM clients_clientsecret c INDEXED BY clientsecret_kind_created
     WHERE c.client_id = r.client_id AND c.kind = 'current') <= r.last_used_time
AND (SELECT u.realm_id FROM clients_client u
     WHERE u.id = r.client_id AND NOT u.public_client AND NOT u.bearer_only) = %s""",
}


def rotated_secrets_used_count_sql(*, realm: Realm, used_since: int | None, now: int) -> tuple[str, tuple]:
    """How many rotated secrets of the realm's confidential clients are valid at ``now`` and were
    used since their rotation (a last use at or after the current secret's creation time) and at
    or after ``used_since`` (None: ever), as SQL and parameters."""
    used = (-1 if used_since is None else used_since, now)  # every last use is an epoch second: -1 is "ever"
    if connection.vendor == "postgresql":
        return _IN_USE_SQL["postgresql"], (realm.pk, *used)
    return _IN_USE_SQL["sqlite"], (*used, realm.pk)


@dataclass(frozen=True)
class SecretExpiryCounts:
    """What ``secret_expiry_counts`` read: the realm's confidential clients per UTC day of their
    current secret's expiry (-1: no expiry), for each cut the dated current secrets of its day
    expiring before it, and the rotated secrets used (``rotated_secrets_used_count_sql``)."""

    per_day: dict[int, int]
    before_cut: dict[int, int]
    rotated_used: int


def secret_expiry_counts(
    *, realm: Realm, cuts: tuple[int, ...], day: int, rotated_used_since: int | None, now: int
) -> SecretExpiryCounts:
    """In one query whose cost does not grow with the number of clients: the realm's rows of
    ``SecretExpiryCount`` (kept by triggers, clients 0011), for each cut one ``day`` of the
    (kind, expiration_time) index before it, and the rotated secrets used since
    ``rotated_used_since`` (the rotated secrets used lately)."""
    sql, params = SecretExpiryCount.objects.filter(realm=realm).exclude(n=0).values("day", "n").query.sql_with_params()
    parts = [(f"SELECT 0, counts.day, counts.n FROM ({sql}) counts", tuple(params))]
    for cut in cuts:
        sql, params = _count_sql(current_secrets_expiring_between(realm=realm, start=cut - cut % day, end=cut))
        parts.append((f"SELECT 1, {cut}, ({sql})", params))
    sql, params = rotated_secrets_used_count_sql(realm=realm, used_since=rotated_used_since, now=now)
    parts.append((f"SELECT 2, 0, ({sql})", params))
    per_day: dict[int, int] = {}
    before_cut: dict[int, int] = {}
    rotated_used = 0
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql for sql, _ in parts), [p for _, params in parts for p in params])
        for part, key, n in cursor.fetchall():
            if part == 0:
                per_day[key] = n
            elif part == 1:
                before_cut[key] = n
            else:
                rotated_used = n
    return SecretExpiryCounts(per_day=per_day, before_cut=before_cut, rotated_used=rotated_used)


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
