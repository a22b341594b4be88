"""The Secret rotation page: every confidential client's secret expiries and use, at a glance.

Summary counts (each a link that filters the table), the upcoming expirations per day (an SVG
drawn here, with a table of the same numbers), and the filtered, sorted, paginated table, also
as CSV. Reads through ``clients.rotation`` only; no secret is ever read.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from adminconsole.decorators import realm_view
from adminconsole.htmx import render_page
from clients import rotation
from realms import clock, permissions

PER_PAGE = 10
PER_PAGE_CHOICES = (10, 20, 50, 100)

# The console's filters: the four statuses of the Admin API and two narrower views the summary
# links to. (value, label, SecretsFilter fields)
FILTERS = {
    rotation.EXPIRED: ("Expired", {"status": rotation.EXPIRED}),
    "expiring-7": ("Expiring within 7 days", {"within_days": rotation.SOON_DAYS}),
    rotation.EXPIRING: ("Expiring within 30 days", {"status": rotation.EXPIRING}),
    rotation.ACTIVE: ("Active", {"status": rotation.ACTIVE}),
    rotation.NO_EXPIRY: ("No expiry", {"status": rotation.NO_EXPIRY}),
    "rotated-in-use": ("Rotated secret in use", {"rotated_in_use": True}),
}
STATUS_LABELS = {
    rotation.EXPIRED: "Expired",
    rotation.EXPIRING: "Expiring",
    rotation.ACTIVE: "Active",
    rotation.NO_EXPIRY: "No expiry",
}

# The chart's geometry (SVG user units).
BAR_STEP, BAR_WIDTH, CHART_HEIGHT, AXIS_HEIGHT = 8, 6, 120, 18


def _filters(request) -> tuple[str, rotation.SecretsFilter]:
    """The filter value, search and order from the query string; unknown values are ignored."""
    value = request.GET.get("status", "")
    value = value if value in FILTERS else ""
    order = request.GET.get("order", rotation.ORDER_EXPIRES)
    fields = FILTERS[value][1] if value else {}
    return value, rotation.SecretsFilter(
        search=request.GET.get("search", "").strip()[:255],
        order=order if order in rotation.ORDERS else rotation.ORDER_EXPIRES,
        **fields,
    )


@dataclass(frozen=True)
class Row:
    """One table row: the selector's dict with its times as datetimes for display."""

    id: str
    client_id: str
    status: str
    status_label: str
    expires_at: object
    rotated_expires_at: object
    last_used_at: object
    use_count: int
    rotated_last_used_at: object
    rotated_use_count: int

    @classmethod
    def of(cls, row: dict) -> Row:
        return cls(
            id=row["pk"],
            client_id=row["client_id"],
            status=row["status"],
            status_label=STATUS_LABELS[row["status"]],
            expires_at=_time(row["expires"]),
            rotated_expires_at=_time(row["rotated_expires"]),
            last_used_at=_time(row["last_used"]),
            use_count=row["use_count"] or 0,
            rotated_last_used_at=_time(row["rotated_last_used"]),
            rotated_use_count=row["rotated_use_count"] or 0,
        )


def _time(seconds: int | None):
    return clock.from_epoch(seconds) if seconds and seconds > 0 else None


def _chart(per_day: list[tuple[int, int]]) -> dict:
    """Bars and axis labels for the SVG: heights scaled to the busiest day."""
    peak = max((n for _, n in per_day), default=0)
    plot = CHART_HEIGHT - AXIS_HEIGHT
    bars = []
    for i, (day, n) in enumerate(per_day):
        height = round(n * plot / peak) if peak else 0
        bars.append({"x": i * BAR_STEP, "y": plot - height, "height": height, "day": clock.from_epoch(day), "count": n})
    ticks = [{"x": i * BAR_STEP, "day": clock.from_epoch(per_day[i][0])} for i in range(0, len(per_day), 30)]
    return {
        "bars": bars,
        "ticks": ticks,
        "peak": peak,
        "width": len(per_day) * BAR_STEP,
        "height": CHART_HEIGHT,
        "axis_y": plot,
        "label_y": CHART_HEIGHT - 4,
        "bar_width": BAR_WIDTH,
        "days": [bar for bar in bars if bar["count"]],
    }


@realm_view(permissions.VIEW_CLIENTS)
def secret_rotation(request, realm):
    now = clock.epoch()
    value, filters = _filters(request)
    try:
        per_page = int(request.GET.get("max", PER_PAGE))
    except ValueError:
        per_page = PER_PAGE
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE
    summary, per_day = rotation.client_secrets_overview(realm=realm, now=now)  # one pass for both
    # The summary already counted most filters: the paginator asks no COUNT over every client then.
    rows = rotation.client_secrets_list(
        realm=realm, now=now, filters=filters, count=rotation.client_secrets_summary_count(summary, filters)
    )
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    page.object_list = [Row.of(row) for row in page.object_list]
    list_url = reverse("secret-rotation", kwargs={"realm": realm.name})
    kept = {k: v for k, v in (("status", value), ("search", filters.search), ("order", filters.order)) if v}
    context = {
        "realm": realm,
        "nav": "secret-rotation",
        "summary": summary,
        "summary_links": [
            ("Expired", summary.expired, rotation.EXPIRED),
            ("Expiring within 7 days", summary.expiring_within_7_days, "expiring-7"),
            ("Expiring within 30 days", summary.expiring_within_30_days, rotation.EXPIRING),
            ("No expiry", summary.no_expiry, rotation.NO_EXPIRY),
            ("Rotated secret in use", summary.rotated_in_use, "rotated-in-use"),
        ],
        "chart": _chart(per_day),
        "filter_choices": [(key, label) for key, (label, _) in FILTERS.items()],
        "status": value,
        "search": filters.search,
        "order": filters.order,
        "page": page,
        "per_page": per_page,
        "list_url": list_url,
        "csv_url": reverse("secret-rotation-csv", kwargs={"realm": realm.name}) + (f"?{urlencode(kept)}" if kept else ""),
    }
    return render_page(request, "clients/secret_rotation.html", context, partial="secret-table")


class _Echo:
    """A file-like object whose write returns the line, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "Client ID", "Status", "Secret expires", "Secret use count", "Last used",
    "Rotated secret expires", "Rotated secret last used", "Rotated secret use count",
]


def _cell(value) -> str:
    """A spreadsheet must not run a client id as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(seconds: int | None) -> str:
    moment = _time(seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


@realm_view(permissions.VIEW_CLIENTS)
def secret_rotation_csv(request, realm):
    """The table as CSV, every matching row (no pagination), streamed; times in UTC ISO 8601."""
    _, filters = _filters(request)
    rows = rotation.client_secrets_list(realm=realm, now=clock.epoch(), filters=filters)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([
                _cell(row["client_id"]), row["status"], _iso(row["expires"]), row["use_count"] or 0,
                _iso(row["last_used"]), _iso(row["rotated_expires"]), _iso(row["rotated_last_used"]),
                "" if row["rotated_use_count"] is None else row["rotated_use_count"],
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", realm.name)
    response["Content-Disposition"] = f'attachment; filename="secret-rotation-{name}.csv"'
    return response
