"""Secret rotation at a glance: reads over every confidential client's secrets in a realm.

Selectors only (no side effects). Each answer is one aggregate or joined query (the list: one per
part a page overlaps), whatever the number of clients: the current and the rotated secret rows are joined to their client
(``FilteredRelation``), never fetched per row. The summary and the chart do not even read every
client: they add up the realm's per-day counts (``SecretExpiryCount``, kept by the triggers of
clients 0011) and read only the index ranges of the days a count cuts through and of the rotated
secrets used lately (clients 0012). Times are whole epoch seconds (``realms.clock``).

A confidential client's *status* is its current secret's:

* ``expired``: it has an expiry (> 0) and that is in the past (strictly, as ``clients.secrets``
  decides: a secret is still valid at its expiry's exact second);
* ``expiring``: it expires within ``EXPIRING_DAYS`` (30) days from now, now included;
* ``active``: it expires later than that;
* ``no-expiry``: it has no expiry (none, or 0 or less), or the client has no current secret.

The *rotated secret is in use* when a rotated secret exists, has not expired, was used since the
rotation (its last use is at or after the current secret's creation time, the moment the
rotation happened), and was last used within the quiet period (``ROTATED_SECRET_QUIET_PERIOD``
seconds, a day by default; 0 drops this last condition). Otherwise it is safe to invalidate. The
rule is written once, as ``rotated_secret_usage`` for rows in hand (the Credentials tab) and as
``_rotated_in_use`` for queries (filter, list), and in SQL for the summary's count
(``clients.secrets.rotated_secrets_used_count_sql``); tests hold them to the same answers.

Every read of the secret rows is ``clients.secrets``'s (the joined client queryset, the index
ranges, the raw SQL), and so is the validity rule (expired, valid); this module adds what the page
means by them: the statuses, the rotated secret in use, the order and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import BigIntegerField, Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.lookups import GreaterThan

from clients import secrets as secret_store
from clients.models import ClientSecret
from realms.models import Realm

DAY = 86400
EXPIRING_DAYS = 30
SOON_DAYS = 7
CHART_DAYS = 90

EXPIRED = "expired"
EXPIRING = "expiring"
ACTIVE = "active"
NO_EXPIRY = "no-expiry"
STATUSES = (EXPIRED, EXPIRING, ACTIVE, NO_EXPIRY)

ORDER_EXPIRES = "expires"
ORDER_EXPIRES_DESC = "-expires"
ORDER_CLIENT_ID = "clientId"
ORDERS = (ORDER_EXPIRES, ORDER_EXPIRES_DESC, ORDER_CLIENT_ID)


# --- the conditions, written once for the summary, the filters and the status column ----------


def _has_expiry() -> Q:
    return secret_store.secret_has_expiration_q(field="expires")


def _expired(now: int) -> Q:
    return secret_store.current_secret_expired_q(now=now, field="expires")


def _expiring_within(now: int, days: int) -> Q:
    return _has_expiry() & Q(expires__gte=now, expires__lte=now + days * DAY)


def _active(now: int) -> Q:
    return Q(expires__gt=now + EXPIRING_DAYS * DAY)


def _no_expiry() -> Q:
    return secret_store.secret_no_expiration_q(field="expires")


# What the rotated secret's last use says (``rotated_secret_usage``): only IN_USE is "in use".
ROTATED_IN_USE = "in-use"
ROTATED_UNUSED = "unused"  # not used since the rotation
ROTATED_QUIET = "quiet"  # used since the rotation, but not within the quiet period
ROTATED_EXPIRED = "expired"  # no longer accepted anyway


def rotated_quiet_period() -> int:
    """Seconds without a use after which a rotated secret is safe to invalidate; 0: no window."""
    return settings.ROTATED_SECRET_QUIET_PERIOD


def _recent_from(now: int) -> int | None:
    """The earliest last use that still counts as recent at ``now``; None without a window."""
    quiet = rotated_quiet_period()
    return now - quiet if quiet else None


def rotated_secret_usage(*, rotated_at: int | None, expires: int | None, last_used: int | None, now: int) -> str:
    """Whether a rotated secret is in use, for rows already read: one of the ``ROTATED_*`` values.

    ``rotated_at`` is the current secret's creation time (None without a current secret),
    ``expires`` and ``last_used`` the rotated secret's. The same rule as ``_rotated_in_use``.
    """
    if secret_store.secret_expiration_passed(kind=ClientSecret.ROTATED, expiration_time=expires, now=now):
        return ROTATED_EXPIRED
    if last_used is None or rotated_at is None or last_used < rotated_at:
        return ROTATED_UNUSED
    recent = _recent_from(now)
    if recent is not None and last_used < recent:
        return ROTATED_QUIET
    return ROTATED_IN_USE


def _rotated_in_use(now: int) -> Q:
    in_use = secret_store.rotated_secret_valid_q(now=now, field="rotated_expires") & Q(rotated_last_used__gte=F("created"))
    recent = _recent_from(now)
    return in_use if recent is None else in_use & Q(rotated_last_used__gte=recent)


def _status_filter(status: str, now: int) -> Q:
    return {
        EXPIRED: _expired(now),
        EXPIRING: _expiring_within(now, EXPIRING_DAYS),
        ACTIVE: _active(now),
        NO_EXPIRY: _no_expiry(),
    }[status]


# --- summary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretsSummary:
    total: int
    expired: int
    expiring_within_7_days: int
    expiring_within_30_days: int
    no_expiry: int
    rotated_in_use: int


def client_secrets_summary(*, realm: Realm, now: int) -> SecretsSummary:
    """The counts over the realm's confidential clients, in one query (``client_secrets_overview``)."""
    return client_secrets_overview(realm=realm, now=now, days=0)[0]


def client_secrets_overview(
    *, realm: Realm, now: int, days: int = CHART_DAYS
) -> tuple[SecretsSummary, list[tuple[int, int]]]:
    """The summary and the upcoming expirations per day together, in one query whose cost does not
    grow with the number of clients.

    ``SecretExpiryCount`` (kept by triggers, clients 0011) has the realm's confidential clients per
    UTC day of their current secret's expiry (-1: no expiry): the summary and the chart add up those
    rows. A count that ends inside a day (expired before ``now``, expiring within 7 or 30 days from
    ``now``) also needs that day's secrets before the cut, read from one day of the
    (kind, expiration_time) index; the rotated secrets in use from the rotated secrets used lately
    (``clients.secrets.secret_expiry_counts``). Same answers as counting every client (tests compare with the list's filters and
    with ``client_secrets_expiring_per_day``)."""
    today = now // DAY
    # Each cut: the secrets of its day that expire before it (an expiry "within N days" ends at
    # now + N days included, so the cut is one second later).
    cuts = (now, now + SOON_DAYS * DAY + 1, now + EXPIRING_DAYS * DAY + 1)
    counts = secret_store.secret_expiry_counts(
        realm=realm, cuts=cuts, day=DAY, rotated_used_since=_recent_from(now), now=now
    )
    per_day, before_cut = counts.per_day, counts.before_cut

    def before(cut: int) -> int:
        """Dated current secrets expiring before ``cut``."""
        return sum(n for day, n in per_day.items() if 0 <= day < cut // DAY) + before_cut[cut]

    expired = before(cuts[0])
    summary = SecretsSummary(
        total=sum(per_day.values()),
        expired=expired,
        expiring_within_7_days=before(cuts[1]) - expired,
        expiring_within_30_days=before(cuts[2]) - expired,
        no_expiry=per_day.get(-1, 0),
        rotated_in_use=counts.rotated_used,
    )
    # Today counts from now on only.
    chart = [((today + i) * DAY, per_day.get(today + i, 0) - (before_cut[now] if i == 0 else 0)) for i in range(days)]
    return summary, chart


# --- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretsFilter:
    """What ``client_secrets_list`` keeps. ``within_days`` narrows to secrets that expire from now
    to that many days ahead (the console's "Expiring within 7 days"); ``rotated_in_use`` to
    clients whose rotated secret is in use."""

    status: str | None = None
    expires_before: int | None = None
    search: str = ""
    within_days: int | None = None
    rotated_in_use: bool = False
    order: str = ORDER_EXPIRES


class SecretRows:
    """The list's rows as consecutive parts (each an ordered ``values()`` queryset): sliced, counted
    and iterated like one queryset, so ``Paginator``, the API's ``first``/``max`` and the CSV take it.

    Sorted by expiry, the rows are two parts, dated (expiry > 0) then undated: each part's ORDER BY
    is a plain column, so the database walks the (kind, expiration_time) index and stops at the
    page, where one ORDER BY over a "dated first" expression sorted every row. A slice reads the
    parts it overlaps (a count only when it starts past the end of a part), so the number of
    queries never grows with the number of clients. ``count`` may be given (the summary knows it).
    """

    ordered = True  # for Paginator: each part is ordered

    def __init__(self, parts: list[QuerySet], *, whole: QuerySet, count: int | None = None):
        self.parts = parts
        self.whole = whole  # every row in one query, in the same order: for reading them all
        self._count = count

    def count(self) -> int:
        if self._count is None:
            self._count = self.whole.count()  # one COUNT for all the parts
        return self._count

    def __getitem__(self, key: slice) -> list[dict]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("SecretRows take a slice without a step")
        start, stop = key.start or 0, key.stop
        rows: list[dict] = []
        offset = 0  # rows in the parts before this one
        for index, part in enumerate(self.parts):
            low = max(start - offset, 0)
            high = None if stop is None else stop - offset
            if high is not None and high <= low:
                break
            got = list(part[low:high])
            rows.extend(got)
            if (high is not None and len(got) == high - low) or index == len(self.parts) - 1:
                break  # the slice ends in this part, or nothing follows it
            # This part ended inside the slice: its size is known, unless the slice began past it.
            offset += part.count() if not got and low > 0 else low + len(got)
        return rows

    def __iter__(self):
        return self.iterator()

    def iterator(self, chunk_size: int = 2000):
        return self.whole.iterator(chunk_size=chunk_size)


def client_secrets_summary_count(summary: SecretsSummary, filters: SecretsFilter) -> int | None:
    """How many rows ``filters`` keep, read off the summary when it has that number, else None."""
    if filters.search or filters.expires_before is not None:
        return None
    chosen = (filters.status, filters.within_days, filters.rotated_in_use)
    return {
        (None, None, False): summary.total,
        (EXPIRED, None, False): summary.expired,
        (EXPIRING, None, False): summary.expiring_within_30_days,
        (NO_EXPIRY, None, False): summary.no_expiry,
        (ACTIVE, None, False): summary.total - summary.expired - summary.expiring_within_30_days - summary.no_expiry,
        (None, SOON_DAYS, False): summary.expiring_within_7_days,
        (None, None, True): summary.rotated_in_use,
    }.get(chosen)


def client_secrets_list(
    *, realm: Realm, now: int, filters: SecretsFilter | None = None, count: int | None = None
) -> SecretRows:
    """The realm's confidential clients with their secrets' times and use counts, as dicts
    (``values()``), filtered and ordered; slice it to paginate (``first``/``max``): one query per
    part the slice overlaps (``SecretRows``). ``count``: the number of rows when known already.

    Each row: ``pk``, ``client_id``, ``status``, ``expires``, ``rotated_expires``, ``last_used``,
    ``use_count``, ``rotated_last_used``, ``rotated_use_count`` (None when absent). Never a secret.
    ``expires_before`` keeps secrets with an expiry (> 0) before it (expired ones included).
    """
    filters = filters or SecretsFilter()
    rows = secret_store.confidential_clients_with_secret_times(realm=realm).annotate(
        status=Case(
            When(_expired(now), then=Value(EXPIRED)),
            When(_expiring_within(now, EXPIRING_DAYS), then=Value(EXPIRING)),
            When(_has_expiry(), then=Value(ACTIVE)),
            default=Value(NO_EXPIRY),
            output_field=CharField(),
        )
    )
    if filters.status:
        rows = rows.filter(_status_filter(filters.status, now))
    if filters.within_days is not None:
        rows = rows.filter(_expiring_within(now, filters.within_days))
    if filters.expires_before is not None:
        rows = rows.filter(_has_expiry() & Q(expires__lt=filters.expires_before))
    if filters.rotated_in_use:
        rows = rows.filter(_rotated_in_use(now))
    search = (filters.search or "").strip()
    if search:
        rows = rows.filter(client_id__icontains=search)
    rows = rows.values(*ROW_FIELDS)
    if filters.order == ORDER_CLIENT_ID:
        by_client_id = rows.order_by("client_id")
        return SecretRows([by_client_id], whole=by_client_id, count=count)
    # Secrets without an expiry (none, or 0 or less) come after every dated one, either way.
    descending = filters.order == ORDER_EXPIRES_DESC
    # A search keeps a few clients: sorting them beats walking the expiry index in order, which
    # reads every dated secret when the matches are few (SQLite did; "+ 0" is not the column, so
    # no index gives that order).
    expires = F("expires") + Value(0) if search else F("expires")
    expiry = expires.desc() if descending else expires.asc()
    undated = Case(When(_has_expiry(), then=Value(0)), default=Value(1), output_field=IntegerField())
    dated = Case(When(_has_expiry(), then=F("expires")), default=Value(0), output_field=BigIntegerField())
    whole = rows.order_by(undated.asc(), dated.desc() if descending else dated.asc(), "client_id")
    parts = []
    dated_only = filters.status in (EXPIRED, EXPIRING, ACTIVE) or filters.within_days is not None
    if filters.status != NO_EXPIRY:
        # With a search, not as a range of the expiry index either (SQLite, without statistics,
        # drove the query from that range rather than from the clients).
        dated_rows = rows.filter(GreaterThan(expires, 0)) if search else rows.filter(_has_expiry())
        parts.append(dated_rows.order_by(expiry, "client_id"))
    if not dated_only and filters.expires_before is None:
        parts.append(rows.filter(_no_expiry()).order_by("client_id"))
    return SecretRows(parts, whole=whole, count=count)


ROW_FIELDS = (
    "pk", "client_id", "status", "expires", "rotated_expires", "last_used", "use_count", "rotated_last_used",
    "rotated_use_count",
)


# --- upcoming expirations ----------------------------------------------------------------------


def client_secrets_expiring_per_day(*, realm: Realm, now: int, days: int = CHART_DAYS) -> list[tuple[int, int]]:
    """How many current secrets of confidential clients expire on each UTC day from today for
    ``days`` days: ``[(day start in epoch seconds, count), ...]``, every day present (0 when none).

    One grouped query, read from the (kind, expiration_time) index.
    """
    first_day = now - now % DAY
    per_day = secret_store.current_secrets_expiring_per_day(realm=realm, start=now, end=first_day + days * DAY, day=DAY)
    return [(first_day + i * DAY, per_day.get(first_day // DAY + i, 0)) for i in range(days)]
