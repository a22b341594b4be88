"""Reads of the audit trail: admin events and login events, filtered as Keycloak filters them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from adminconsole.models import AdminEvent, LoginEvent, Realm

DAY_MS = 86_400_000


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
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    return start + DAY_MS - 1 if end else start


def _path_filter(pattern: str) -> Q:
    """Keycloak matches ``resourcePath`` with ``*`` as a wildcard; without one it is exact."""
    if "*" not in pattern:
        return Q(resource_path=pattern)
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return Q(resource_path__regex=regex)


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
    first, limit = max(first, 0), max(limit, 0)
    return list(events.order_by("-time", "-id")[first : first + limit])


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
    first, limit = max(first, 0), max(limit, 0)
    return list(events.order_by("-time", "-id")[first : first + limit])
