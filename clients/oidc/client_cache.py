"""A per-worker cache of client rows for client authentication, kept exact by PostgreSQL.

Why: a client_credentials grant is one indexed read plus an RSA signature; the read (with the
ORM around it) is about half of the grant's cost. Client rows change rarely, but when they do
(a Re-generate, an Invalidate, a rotation, a disabled client) every worker must see it at once.

How: on PostgreSQL, triggers on ``clients_client`` and ``clients_clientsecret`` (migration
``oidc.0003``) ``NOTIFY`` the channel ``oidc_client_changed`` with the client's UUID when a row
is inserted, updated or deleted, and ``*`` on a TRUNCATE. Each worker LISTENs on its own
connection and, before every lookup, drains what arrived (a non-blocking socket read, a few
microseconds) and drops the clients named. Notifications are sent at commit, so a change is
seen by the next lookup in every worker once its transaction committed.

Safety rules:

* only a *successful* authentication is ever decided from the cache: a failure from cached rows
  is retried once against the database (``clients.oidc.client_auth``), so a new secret works at
  once even if its notification is still in flight;
* the cache is bypassed inside a transaction (``connection.in_atomic_block``), where this
  worker's own uncommitted changes would not be notified yet;
* no PostgreSQL, no listener connection, or any error on it: no cache (every lookup queries).

The rows are the ones ``clients.authentication.client_with_secrets`` returns; expiry is still
judged against the clock on every request, and ``last_used_time`` writes (at most one a minute
per secret) notify like any other change.
"""

from __future__ import annotations

import logging
import os
import time

from django.db import connection

from clients.authentication import client_with_secrets

logger = logging.getLogger(__name__)

CHANNEL = "oidc_client_changed"
MAX_ENTRIES = 10_000

_entries: dict[tuple, tuple] = {}  # (realm pk, client_id) -> (client, current, rotated)
_keys_by_uuid: dict[str, tuple] = {}  # client UUID -> cache key
RETRY_AFTER = 60.0  # seconds before trying to LISTEN again after a failure
_listener = {"pid": None, "conn": None, "failed_at": None}


def enabled() -> bool:
    failed_at = _listener["failed_at"]
    return connection.vendor == "postgresql" and (failed_at is None or time.monotonic() - failed_at > RETRY_AFTER)


def clear() -> None:
    _entries.clear()
    _keys_by_uuid.clear()


def _listen_connection():
    """This process's LISTEN connection (made after fork), or None when unavailable."""
    if _listener["pid"] != os.getpid():
        _listener.update(pid=os.getpid(), conn=None)
        clear()
    if _listener["conn"] is None:
        try:
            conn = connection.get_new_connection(connection.get_connection_params())
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:  # noqa: BLE001 - any failure: work without the cache
            logger.warning("client cache: cannot LISTEN on %s; client lookups will query every time", CHANNEL, exc_info=True)
            _listener["failed_at"] = time.monotonic()
            return None
        _listener.update(conn=conn, failed_at=None)
        clear()  # changes made before we listened are unknown
    return _listener["conn"]


def _drain() -> bool:
    """Apply the notifications that arrived; False when the cache must not be used."""
    conn = _listen_connection()
    if conn is None:
        return False
    try:
        for note in conn.notifies(timeout=0):
            if note.payload == "*":
                clear()
            else:
                key = _keys_by_uuid.pop(note.payload, None)
                if key is not None:
                    _entries.pop(key, None)
    except Exception:  # noqa: BLE001 - a broken listener: forget everything, reconnect next time
        logger.warning("client cache: LISTEN connection lost; cache cleared", exc_info=True)
        clear()
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
        _listener["conn"] = None
        return False
    return True


class CachedLookup:
    """A ``lookup`` for ``client_authenticate``; ``hit`` says whether the cache answered."""

    def __init__(self):
        self.hit = False

    def __call__(self, *, realm, client_id):
        self.hit = False
        if connection.in_atomic_block or not _drain():
            return client_with_secrets(realm=realm, client_id=client_id)
        key = (getattr(realm, "pk", realm), client_id)
        cached = _entries.get(key)
        if cached is not None:
            self.hit = True
            return cached
        found = client_with_secrets(realm=realm, client_id=client_id)
        client = found[0]
        if client is not None:
            if len(_entries) >= MAX_ENTRIES:
                clear()
            _entries[key] = found
            _keys_by_uuid[str(client.pk)] = key
        return found


def sync(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds for the next notification, then apply all that arrived.

    For tests and tools that must see a change committed elsewhere before their next lookup.
    """
    conn = _listen_connection()
    if conn is None:
        return False
    try:
        for note in conn.notifies(timeout=timeout, stop_after=1):
            key = _keys_by_uuid.pop(note.payload, None)
            if note.payload == "*":
                clear()
            elif key is not None:
                _entries.pop(key, None)
    except Exception:  # noqa: BLE001
        clear()
        return False
    return _drain()


def forget(*, realm, client_id) -> None:
    key = (getattr(realm, "pk", realm), client_id)
    cached = _entries.pop(key, None)
    if cached is not None:
        _keys_by_uuid.pop(str(cached[0].pk), None)
