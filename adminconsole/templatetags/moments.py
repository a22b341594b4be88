"""``{{ moment|when }}``: a point in time as the whole console shows it.

"7 December 2026, 21:46 UTC (in 7 days)" or "… (3 minutes ago)": one absolute format, in UTC,
with the distance from now next to it, inside a ``<time>`` element whose ``datetime`` and
``title`` carry the exact second. ``moment`` is an aware datetime or whole epoch seconds (as
Keycloak stores secret times); None, 0 or anything else shows nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.timesince import timesince

from realms import clock

register = template.Library()


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return clock.from_epoch(value) if value > 0 else None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return None


def when_text(value: Any) -> str:
    """"7 December 2026, 21:46 UTC"; "" for no moment."""
    moment = _moment(value)
    # The day without a leading zero, portably (strftime's "%-d" is glibc's).
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC" if moment else ""


def relative_text(value: Any, *, now: dt.datetime | None = None) -> str:
    """"in 7 days", "3 minutes ago" (the largest unit only); "" for no moment."""
    moment = _moment(value)
    if moment is None:
        return ""
    # Whole seconds, as the moments are stored: "2 days" from now is not "1 day" for want of a
    # fraction of a second.
    now = (now or clock.now()).replace(microsecond=0)
    if abs((moment - now).total_seconds()) < 60:
        return "in less than a minute" if moment > now else "less than a minute ago"
    if moment > now:
        return "in " + timesince(now, moment, depth=1).replace("\xa0", " ")
    return timesince(moment, now, depth=1).replace("\xa0", " ") + " ago"


@register.filter
def when(value: Any) -> str:
    moment = _moment(value)
    if moment is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time> <span class="text-secondary">({})</span>',
        moment.isoformat(),
        moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        when_text(moment),
        relative_text(moment),
    )


@register.filter
def when_plain(value: Any) -> str:
    """The same words without markup, for attributes (a confirmation dialog's message)."""
    moment = _moment(value)
    return f"{when_text(moment)} ({relative_text(moment)})" if moment else ""
