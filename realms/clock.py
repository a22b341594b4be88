"""The one clock. Everything that needs "now" asks here; tests move it with time-machine."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def epoch() -> int:
    """Whole seconds since the epoch, as Keycloak counts rotation times."""
    return int(time.time())


def seconds() -> float:
    """Seconds since the epoch with their fraction, for short bounds such as per-worker cache ages."""
    return time.time()


def from_epoch(seconds: int | None) -> dt.datetime | None:
    if not seconds:
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
