"""``{{ seconds|duration }}``: a number of seconds as people read it ("604800" → "7 days").

The one formatter for every seconds value the console shows; static/js/console.js
(``durationText``) formats the same way as the person types. A year is 365 days, the unit the
seconds fields' upper limit (``policies.providers.base.MAX_SECONDS``, 100 years) is stated in.
"""

from __future__ import annotations

import re
from typing import Any

from django import template

register = template.Library()

UNITS = (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_text(seconds: Any) -> str:
    """``90061`` → "1 day 1 hour 1 minute 1 second"; ``0`` → "0 seconds"; ``-3600`` → "-1 hour".

    Whole numbers only (an int or a string of ASCII digits, as the fields hold them); anything
    else gives "", so a half-typed or refused value shows no reading at all.
    """
    if isinstance(seconds, bool):
        return ""
    if isinstance(seconds, str):
        text = seconds.strip()
        # At most 30 digits: beyond that the value is refused anyway, and int() of a long digit
        # string costs time.
        if not re.fullmatch(r"-?[0-9]{1,30}", text):
            return ""
        seconds = int(text)
    if not isinstance(seconds, int):
        return ""
    if seconds == 0:
        return "0 seconds"
    sign, rest = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for name, size in UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return sign + " ".join(parts)


@register.filter
def duration(seconds: Any) -> str:
    return duration_text(seconds)
