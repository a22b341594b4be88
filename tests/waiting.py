"""Waiting in tests for something another thread, process or connection does.

Bounded by a deadline, never by a count of tries, and ended by the event itself: the test goes
on as soon as ``predicate`` holds. Time inside the app is moved with time-machine instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
# How long a test waits for a PostgreSQL notification it knows is coming: ``client_cache.sync``
# returns as soon as it arrives, so the bound costs nothing unless it never does.
NOTIFIED = 5.0


def wait_until(predicate: Callable[[], T], *, timeout: float = 5.0, between: Callable[[], object] | None = None) -> T:
    """Call ``predicate`` until it returns a true value or ``timeout`` seconds have passed; return
    its last value, so the test asserts what it expects as before.

    ``between`` runs between two calls and should itself wait for the next event (for example
    ``client_cache.sync(timeout=0.2)``); without it a short pause keeps the loop from spinning.
    Real seconds (``time.monotonic``), not the app's clock, which tests freeze.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        if between is not None:
            between()
        else:
            time.sleep(0.02)
