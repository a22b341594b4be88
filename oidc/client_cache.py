"""A per-worker cache of client rows for client authentication, kept exact by the database.

Why: a client_credentials grant is one indexed read plus an RSA signature; the read (with the
ORM around it) is about half of the grant's cost. Client rows change rarely, but when they do
(a Re-generate, an Invalidate, a rotation, a disabled client) every worker must see it at once.

How: on PostgreSQL, triggers on ``clients_client``, ``clients_clientsecret`` (migration
``clients.0005``) and ``clients_clientrole`` (``clients.0010``) ``NOTIFY`` the channel
``oidc_client_changed`` with the client's UUID when a row is inserted, updated or deleted, and
``*`` on a TRUNCATE. Each worker LISTENs on its own connection and, before every lookup, drains
what arrived (a non-blocking socket read, a few microseconds) and drops the clients named.
Notifications are sent at commit, so a change is seen by the next lookup in every worker once its
transaction committed.

Safety rules:

* only a *successful* authentication is ever decided from the cache: a failure from cached rows
  is retried once against the database (``oidc.client_auth``), so a new secret works at
  once even if its notification is still in flight;
* no entry is used once it is ``CLIENT_CACHE_MAX_AGE`` seconds old (project clock), whatever
  happened to the LISTEN connection: a connection that dies without telling anyone cannot keep
  a revoked secret alive for longer than that;
* the LISTEN connection is watched: an error on it, a FATAL message from the server (e.g.
  ``pg_terminate_backend``) or a heartbeat that does not come back (a ``NOTIFY`` this worker
  sends on its ordinary connection once per max age, which its listener must receive within the
  next max age) replaces it with a new one, and the whole cache is dropped, since notifications
  may have been missed meanwhile;
* threads (gunicorn ``gthread``): the cache and the LISTEN connection are only touched while
  holding ``_lock``; database reads run outside it, and rows read while an invalidation arrived
  (``generation`` changed) are returned but not stored;
* the cache is bypassed inside a transaction (``connection.in_atomic_block``), where this
  worker's own uncommitted changes would not be notified yet;
* a max age of 0, no listener connection, another database than PostgreSQL or SQLite: no
  cache (every lookup queries).

On SQLite (the embedded default: every worker on one machine, one file) there is no NOTIFY.
Triggers (migrations ``clients.0008`` and ``clients.0010``) append the changed client's id to
``clients_clientchange`` in the transaction that changes a client, secret or client role row. Each worker keeps its own read-only
connection to the file and, before every lookup, reads the log rows after the last one it saw
(one indexed range read, a few microseconds, no Django connection): a change is seen by the next
lookup of every worker as soon as it committed, with no delay at all. SQLite commits one writer at
a time, so sequence numbers become visible in order and none is skipped. The row seen last is read
again as a sentinel: when it is gone (the log keeps its newest rows only) or the log went back,
the whole cache is dropped. A failed read (a lock in a shared-cache test database, a vanished
file) makes that lookup query the database and store nothing; since the log keeps what happened
meanwhile, nothing is lost. The connection checks at opening that the triggers exist, and leaves
the cache off when they do not. ``CLIENT_CACHE_MAX_AGE`` still bounds every entry.

The rows are the ones ``clients.secrets.client_with_secrets`` returns; expiry is still
judged against the clock on every request, and ``last_used_time`` writes (at most one a minute
per secret) notify like any other change.

Client roles: an entry also holds the client's role names, read with its rows (one more query on
a miss) and attached as prefetched roles, which the policy engine's ``roles`` fact takes without a
query: a steady token request makes no query even with client-roles policies. Role rows have the
same triggers (migration ``clients.0010``), so a role added, renamed or removed anywhere drops the
client like a secret change does. Unlike a secret check, a policy vote cannot be retried from the
database on a refusal (an executor may refuse or allow either way), so the role names follow the
cache's bound instead: on SQLite they are exact at every lookup; on PostgreSQL they may lag a
committed role change by the notification's flight (microseconds, same as the realm's cached
policies in ``oidc.caches``) and never by more than ``CLIENT_CACHE_MAX_AGE``. Inside a
transaction, or with the cache off, the engine reads the roles itself, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Prefetch, prefetch_related_objects

from clients.models import ClientRole
from clients.secrets import client_with_secrets
from realms import clock

logger = logging.getLogger(__name__)

CHANNEL = "oidc_client_changed"
MAX_ENTRIES = 10_000
RETRY_AFTER = 60.0  # seconds before trying to LISTEN again after a failure
HEARTBEAT = "ping:"  # payload prefix of heartbeats; every worker ignores the others'
VENDORS = ("postgresql", "sqlite")
# SQLite: the change log and its triggers (clients/migrations/0008_sqlite_change_counter.py).
CHANGE_LOG = "clients_clientchange"
CHANGE_TRIGGERS = 9  # 0008's six on clients and secrets, 0010's three on client roles
CHANGE_BATCH = 500  # more log rows than this since the last lookup: drop everything instead


class _State:
    """This process's cache and listener. Read and written only while holding ``_lock``."""

    def __init__(self):
        self.conn = None  # the LISTEN connection (psycopg, autocommit), or on SQLite the log reader
        self.seen = 0  # SQLite: the last change log row applied
        self.fatal = False  # the server sent FATAL on it: it is about to close
        self.failed_at: float | None = None  # clock time of the last failed attempt to LISTEN
        self.alive_at = 0.0  # clock time the listener last proved it receives notifications
        self.heartbeat: tuple[str, float] | None = None  # (payload, sent at) awaiting its echo
        self.generation = 0  # bumped by every invalidation
        self.entries: dict[tuple, tuple] = {}  # (realm pk, client_id) -> (fetched at, (client, current, rotated))
        self.keys_by_uuid: dict[str, set] = {}  # client UUID -> cache keys holding its rows


_lock = threading.RLock()
_state = _State()
_inherited: list = []  # LISTEN connections of a parent process, held so they are never finalized here


def _after_fork_in_child() -> None:
    global _lock, _state
    if _state.conn is not None:
        # Closing (or garbage-collecting) it would end the parent's session on the shared socket.
        _inherited.append(_state.conn)
    _lock = threading.RLock()  # a lock held by another thread at fork time would never be released
    _state = _State()


os.register_at_fork(after_in_child=_after_fork_in_child)


def max_age() -> float:
    """Seconds an entry may be used (``CLIENT_CACHE_MAX_AGE``); 0 turns the cache off."""
    return float(settings.CLIENT_CACHE_MAX_AGE)


def _fresh(since: float, now: float, bound: float) -> bool:
    # A clock set back makes the age negative: not fresh, rather than fresh for ever.
    return 0 <= now - since < bound


def enabled() -> bool:
    if connection.vendor not in VENDORS or max_age() <= 0:
        return False
    failed_at = _state.failed_at
    return failed_at is None or not _fresh(failed_at, clock.seconds(), RETRY_AFTER)


def clear() -> None:
    with _lock:
        _clear()


def _clear() -> None:
    _state.entries.clear()
    _state.keys_by_uuid.clear()
    _state.generation += 1


def _forget_uuid(client_uuid: str) -> None:
    for key in _state.keys_by_uuid.pop(client_uuid, ()):
        _state.entries.pop(key, None)


def _listen_connection(now: float):
    """This process's LISTEN connection, made when missing; None when unavailable. Lock held."""
    if _state.conn is not None:
        return _state.conn
    if _state.failed_at is not None and _fresh(_state.failed_at, now, RETRY_AFTER):
        return None
    if connection.vendor == "sqlite":
        return _log_reader(now)
    conn = None
    try:
        conn = connection.get_new_connection(connection.get_connection_params())
        conn.autocommit = True
        conn.add_notice_handler(_fatal_watcher(conn))
        conn.execute(f"LISTEN {CHANNEL}")
    except Exception:  # noqa: BLE001 - any failure: work without the cache
        logger.warning("client cache: cannot LISTEN on %s; client lookups will query every time", CHANNEL, exc_info=True)
        _close(conn)
        _state.failed_at = now
        return None
    _state.conn, _state.fatal, _state.failed_at, _state.alive_at, _state.heartbeat = conn, False, None, now, None
    _clear()  # changes made while nobody listened are unknown
    return conn


def _log_reader(now: float):
    """SQLite: this process's read-only connection to the change log, made when missing. Lock held."""
    conn = None
    try:
        # The same file (or shared in-memory test database) as Django's connection, read-only.
        conn = sqlite3.connect(str(connection.settings_dict["NAME"]), uri=True, isolation_level=None,
                               check_same_thread=False, timeout=1)
        conn.execute("PRAGMA query_only = 1")
        triggers = conn.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND sql LIKE ?", [f"%INSERT INTO {CHANGE_LOG} %"]
        ).fetchone()[0]
        if triggers < CHANGE_TRIGGERS:
            raise sqlite3.OperationalError(f"{CHANGE_TRIGGERS - triggers} of the {CHANGE_LOG} triggers are missing")
        seen = conn.execute(f"SELECT MAX(seq) FROM {CHANGE_LOG}").fetchone()[0]
        if seen is None:
            raise sqlite3.OperationalError(f"{CHANGE_LOG} is empty")
    except sqlite3.Error:
        logger.warning("client cache: cannot read %s; client lookups will query every time", CHANGE_LOG, exc_info=True)
        _close(conn)
        _state.failed_at = now
        return None
    _state.conn, _state.seen, _state.failed_at = conn, seen, None
    _clear()  # changes made while nobody read the log are unknown
    return conn


def _log_drain(conn) -> bool:
    """SQLite: apply the change log rows after the last one seen; False when the cache must not be used. Lock held."""
    try:
        rows = conn.execute(f"SELECT seq, client FROM {CHANGE_LOG} WHERE seq >= ? ORDER BY seq LIMIT ?",
                            [_state.seen, CHANGE_BATCH + 1]).fetchall()
        if not rows or rows[0][0] != _state.seen or len(rows) > CHANGE_BATCH:
            # The row seen last was pruned (or the log was reset), or too much happened: start over.
            latest = conn.execute(f"SELECT MAX(seq) FROM {CHANGE_LOG}").fetchone()[0]
            if latest is None:
                return False
            _clear()
            _state.seen = latest
            return True
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False  # this lookup queries; the log keeps what it could not read for the next
        logger.warning("client cache: %s unreadable; cache cleared, reopening", CHANGE_LOG, exc_info=True)
        _close(conn)
        _state.conn = None
        _clear()
        return False
    for seq, client in rows[1:]:
        _state.generation += 1
        if client == "*":
            _clear()
        else:
            with contextlib.suppress(ValueError):  # a row written by hand: ignore what is not an id
                _forget_uuid(str(uuid.UUID(client)))
        _state.seen = seq
    return True


def _fatal_watcher(conn):
    def on_notice(diag) -> None:
        # libpq reports a FATAL received outside a query (pg_terminate_backend, a server shutdown)
        # as a notice; the socket read that consumed it raises nothing.
        if diag.severity_nonlocalized in ("FATAL", "PANIC") and _state.conn is conn:
            _state.fatal = True

    return on_notice


def _close(conn) -> None:
    if conn is None:
        return
    with contextlib.suppress(Exception):  # it is being thrown away
        conn.close()


def _replace(now: float, reason: str, exc_info: bool = False) -> bool:
    """Drop the listener and everything cached, then LISTEN again; whether that worked. Lock held."""
    logger.warning("client cache: LISTEN connection %s; cache cleared, reconnecting", reason, exc_info=exc_info)
    _close(_state.conn)
    _state.conn, _state.heartbeat = None, None
    _clear()
    return _listen_connection(now) is not None


def _apply(payloads: list[str], now: float) -> None:
    for payload in payloads:
        if payload.startswith(HEARTBEAT):
            if _state.heartbeat is not None and payload == _state.heartbeat[0]:
                _state.heartbeat, _state.alive_at = None, now
            continue
        _state.generation += 1
        if payload == "*":
            _clear()
        else:
            _forget_uuid(payload)


def _drain(now: float, bound: float) -> bool:
    """Apply the notifications that arrived; False when the cache must not be used. Lock held."""
    conn = _listen_connection(now)
    if conn is None:
        return False
    if connection.vendor == "sqlite":
        return _log_drain(conn)
    try:
        payloads = [note.payload for note in conn.notifies(timeout=0)]
    except Exception:  # noqa: BLE001 - a broken listener: forget everything, reconnect
        return _replace(now, "lost", exc_info=True)
    if _state.fatal:
        return _replace(now, "terminated by the server")
    _apply(payloads, now)
    if _state.heartbeat is not None and not _fresh(_state.heartbeat[1], now, bound):
        return _replace(now, "silent (its heartbeat did not come back)")
    return True


def _heartbeat_due(now: float, bound: float) -> str | None:
    """The heartbeat payload to send now, if the listener has not proved itself alive lately. Lock held."""
    if connection.vendor != "postgresql":
        return None  # the SQLite log is read, not listened to: a failed read is an error at once
    if _state.heartbeat is not None or _fresh(_state.alive_at, now, bound):
        return None
    payload = f"{HEARTBEAT}{uuid.uuid4().hex}"
    _state.heartbeat = (payload, now)
    return payload


def _heartbeat_send(payload: str) -> None:
    """NOTIFY on this thread's own connection; the listener must hear it (see ``_drain``)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
    except DatabaseError:
        logger.warning("client cache: cannot send the listener's heartbeat", exc_info=True)
        with _lock:
            if _state.heartbeat is not None and _state.heartbeat[0] == payload:
                _state.heartbeat = None  # try again on the next lookup


def _store(key: tuple, fetched_at: float, found: tuple) -> None:
    if len(_state.entries) >= MAX_ENTRIES:
        _clear()
    _state.entries[key] = (fetched_at, found)
    _state.keys_by_uuid.setdefault(str(found[0].pk), set()).add(key)


# Only what the ``roles`` fact reads (``policies.providers.conditions.client_role_names``).
_ROLE_NAMES = Prefetch("roles", queryset=ClientRole.objects.only("id", "client_id", "name"))


def _roles_attach(client) -> None:
    """Read the client's role names into the entry, as prefetched roles (one query, on a miss only).

    The policy engine's ``roles`` fact takes prefetched roles without a query, so a token request
    answered from the cache judges client-roles conditions with no query at all.
    """
    prefetch_related_objects([client], _ROLE_NAMES)


class CachedLookup:
    """A ``lookup`` for ``client_authenticate``; ``hit`` says whether the cache answered."""

    def __init__(self):
        self.hit = False

    def __call__(self, *, realm, client_id):
        self.hit = False
        bound = max_age()
        if bound <= 0 or connection.in_atomic_block:
            return client_with_secrets(realm=realm, client_id=client_id)
        key = (getattr(realm, "pk", realm), client_id)
        now = clock.seconds()
        cached = heartbeat = None
        with _lock:
            usable = _drain(now, bound)
            if usable:
                cached = _state.entries.get(key)
                heartbeat = _heartbeat_due(now, bound)
                generation = _state.generation
        if heartbeat is not None:
            _heartbeat_send(heartbeat)
        if not usable:
            return client_with_secrets(realm=realm, client_id=client_id)
        if cached is not None and _fresh(cached[0], now, bound):
            self.hit = True
            return cached[1]
        found = client_with_secrets(realm=realm, client_id=client_id)
        if found[0] is not None:
            _roles_attach(found[0])
            with _lock:
                # An invalidation drained by another thread while we read may concern these rows.
                if _state.generation == generation and _state.conn is not None:
                    _store(key, now, found)  # aged from before the read: the bound stays conservative
        return found


def sync(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds for the next change notification, then apply all that arrived.

    For tests and tools that must see a change committed elsewhere before their next lookup.
    Lookups of this process wait while it waits. On SQLite a committed change is in the log
    already: the log is read at once.
    """
    with _lock:
        now = clock.seconds()
        if connection.vendor == "sqlite":
            return _drain(now, max_age())
        conn = _listen_connection(now)
        if conn is None:
            return False
        payloads: list[str] = []
        deadline = time.monotonic() + timeout  # a real wait: not the project clock, which tests freeze
        try:
            # stop_after, never a break: breaking out of notifies() drops the rest of a packet.
            while not any(not p.startswith(HEARTBEAT) for p in payloads):
                remaining = deadline - time.monotonic()
                got = [note.payload for note in conn.notifies(timeout=max(remaining, 0), stop_after=1)]
                if not got:
                    break
                payloads += got
        except Exception:  # noqa: BLE001
            _replace(now, "lost", exc_info=True)
            return False
        _apply(payloads, now)
        return _drain(now, max_age())


def forget(*, realm, client_id) -> None:
    key = (getattr(realm, "pk", realm), client_id)
    with _lock:
        cached = _state.entries.pop(key, None)
        if cached is not None:
            client_uuid = str(cached[1][0].pk)
            keys = _state.keys_by_uuid.get(client_uuid, set())
            keys.discard(key)
            if not keys:
                _state.keys_by_uuid.pop(client_uuid, None)


def close() -> None:
    """Close this process's LISTEN connection and drop the cache; the next lookup listens again."""
    with _lock:
        _close(_state.conn)
        _state.conn, _state.heartbeat, _state.failed_at = None, None, None
        _clear()


def listener_backend_pid() -> int | None:
    """The server process id of this worker's LISTEN connection (for operators and tests)."""
    with _lock:
        if _state.conn is None or connection.vendor != "postgresql":
            return None
        return _state.conn.info.backend_pid
