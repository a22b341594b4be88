"""Realm reads, and reads of the audit trail: admin events and login events, filtered as Keycloak
filters them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db.models import CharField, Lookup, Q, QuerySet

from realms.models import AdminEvent, LoginEvent, Realm

DAY_MS = 86_400_000
# The most rows one list request answers, whatever ``max`` asks for.
MAX_RESULTS = 1000


def realm_find(*, name: str) -> Realm | None:
    """The realm named ``name``, or None."""
    return Realm.objects.filter(name=name).first()


def realm_exists(*, name: str) -> bool:
    return Realm.objects.filter(name=name).exists()


def realms_list(*, with_extras: bool = False) -> QuerySet[Realm]:
    """Every realm, by name. ``with_extras`` also loads the stored representation fields
    (``Realm.extras``, left unread by default) in the same query."""
    realms = Realm.objects.order_by("name")
    return realms.defer(None) if with_extras else realms


class BadDate(ValueError):
    pass


def date_bound_ms(value: str | None, *, end: bool = False) -> int | None:
    """Keycloak's ``dateFrom``/``dateTo``: ``yyyy-MM-dd`` (a whole UTC day) or epoch milliseconds.

    ``end=True`` gives the last millisecond of that day, so ``dateTo`` includes the whole day.
    """
    if value in (None, ""):
        return None
    value = str(value).strip()
    if re.fullmatch(r"[0-9]{1,15}", value):
        return int(value)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadDate(value) from exc
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise BadDate(value)
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    return start + DAY_MS - 1 if end else start


LIKE_ESCAPE = "\\"


def wildcard_to_like(pattern: str) -> str:
    """Keycloak's ``*`` wildcard as a SQL LIKE pattern (escape character ``\\``).

    Every other character matches only itself: ``%``, ``_`` and the escape character are escaped.
    Runs of ``*`` are one ``%``. LIKE matches without backtracking, whatever the pattern, where a
    regular expression such as ``^.*.*.*…Z$`` takes exponential time on a long non-matching path.
    """
    parts = (
        part.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
        for part in re.sub(r"\*+", "*", pattern).split("*")
    )
    return "%".join(parts)


@CharField.register_lookup
class Wildcard(Lookup):
    """``field__wildcard=<pattern from wildcard_to_like>``: a case-sensitive LIKE on every database.

    PostgreSQL's LIKE is case-sensitive, as Keycloak's match is. SQLite's LIKE ignores ASCII case,
    so there the same pattern runs as GLOB, SQLite's case-sensitive LIKE. Neither backtracks.
    """

    lookup_name = "wildcard"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '{LIKE_ESCAPE}'", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} GLOB %s", [*lhs_params, like_to_glob(self.rhs)]


def like_to_glob(like: str) -> str:
    """The same pattern for SQLite's case-sensitive GLOB: ``%`` → ``*``, ``_`` → ``?``, literals bracketed."""
    out, chars = [], iter(like)
    for char in chars:
        if char == LIKE_ESCAPE:
            literal = next(chars, LIKE_ESCAPE)
            out.append(f"[{literal}]")
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def _path_filter(pattern: str) -> Q:
    """Keycloak matches ``resourcePath`` with ``*`` as a wildcard; without one it is exact."""
    if "*" not in pattern:
        return Q(resource_path=pattern)
    return Q(resource_path__wildcard=wildcard_to_like(pattern))


def page(first: int, limit: int) -> slice:
    """``first``/``max`` as a slice: negatives count as 0, ``max`` at most ``MAX_RESULTS``."""
    first, limit = max(first, 0), min(max(limit, 0), MAX_RESULTS)
    return slice(first, first + limit)


def page_of(items, first: int | None, max_: int | None):
    """Keycloak's ``first``/``max`` on a list endpoint: at most MAX_RESULTS rows, also without ``max``
    (Keycloak answers every row then; one request must not read a whole realm: docs/differences.md).
    On a QuerySet the database reads only that page (``LIMIT``)."""
    return items[page(first or 0, MAX_RESULTS if max_ is None else max_)]


def _clean(values: Iterable[str] | None) -> list[str]:
    return [v.strip() for v in (values or []) if v and v.strip()]


def admin_event_list(
    *,
    realm: Realm,
    operation_types: Iterable[str] | None = None,
    resource_types: Iterable[str] | None = None,
    resource_path: str | None = None,
    auth_realm: str | None = None,
    auth_client: str | None = None,
    auth_user: str | None = None,
    auth_ip: str | None = None,
    date_from: int | None = None,
    date_to: int | None = None,
    first: int = 0,
    limit: int = 100,
) -> list[AdminEvent]:
    """Newest first. ``auth_user`` matches the acting user's id or username. Times in epoch ms.

    One query, whatever the number of rows.
    """
    events: QuerySet[AdminEvent] = AdminEvent.objects.filter(realm=realm)
    if ops := _clean(operation_types):
        events = events.filter(operation_type__in=[o.upper() for o in ops])
    if types := _clean(resource_types):
        events = events.filter(resource_type__in=[t.upper() for t in types])
    if resource_path:
        events = events.filter(_path_filter(resource_path))
    if auth_realm:
        events = events.filter(auth_realm=auth_realm)
    if auth_client:
        events = events.filter(auth_client_id=auth_client)
    if auth_user:
        events = events.filter(Q(auth_user_id=auth_user) | Q(auth_username=auth_user))
    if auth_ip:
        events = events.filter(ip_address=auth_ip)
    if date_from is not None:
        events = events.filter(time__gte=date_from)
    if date_to is not None:
        events = events.filter(time__lte=date_to)
    return list(events.order_by("-time", "-id")[page(first, limit)])


def login_event_list(
    *,
    realm: Realm,
    types: Iterable[str] | None = None,
    client_id: str | None = None,
    ip_address: str | None = None,
    date_from: int | None = None,
    date_to: int | None = None,
    first: int = 0,
    limit: int = 100,
) -> list[LoginEvent]:
    events: QuerySet[LoginEvent] = LoginEvent.objects.filter(realm=realm)
    if kinds := _clean(types):
        events = events.filter(type__in=[k.upper() for k in kinds])
    if client_id:
        events = events.filter(client_id=client_id)
    if ip_address:
        events = events.filter(ip_address=ip_address)
    if date_from is not None:
        events = events.filter(time__gte=date_from)
    if date_to is not None:
        events = events.filter(time__lte=date_to)
    return list(events.order_by("-time", "-id")[page(first, limit)])
