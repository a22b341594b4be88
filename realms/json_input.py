"""Parsing JSON that came from outside (request bodies, the console's JSON editor).

Python's ``json`` accepts things no database column can hold and that fail much later as a 500:
``"\\ud800"``-style escapes decode to lone surrogates (not encodable as UTF-8, refused by
PostgreSQL's ``jsonb``), ``\\u0000`` decodes to NUL (refused in PostgreSQL text), ``1e999``
decodes to infinity, ``NaN``/``Infinity`` are accepted, and deep nesting raises
``RecursionError`` here or in any code that later walks the value. ``json_parse`` refuses all of
them up front with ``JSONInputError``, a ``ValueError``, so callers answer a 400 or a form error.
"""

from __future__ import annotations

import json
import math
from typing import Any

# No document this product reads nests deeper than about ten levels (a realm with its client
# policies); 100 leaves room while keeping every recursive walk far from Python's limit.
MAX_DEPTH = 100


class JSONInputError(ValueError):
    """Refused JSON. ``nul`` is set when the only fault is a NUL character."""

    def __init__(self, message: str, *, nul: bool = False):
        super().__init__(message)
        self.message = message
        self.nul = nul


def _refuse_constant(name: str):
    raise JSONInputError(f"{name} is not JSON")


def json_parse(raw: bytes | str) -> Any:
    """The parsed value of ``raw`` (UTF-8 bytes or text), or ``JSONInputError``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        value = json.loads(text, parse_constant=_refuse_constant)
    except JSONInputError:
        raise
    except UnicodeError as exc:
        raise JSONInputError("Invalid UTF-8") from exc
    except RecursionError as exc:
        raise JSONInputError(f"Nesting deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:  # json.JSONDecodeError, and integers beyond Python's digit limit
        raise JSONInputError(str(exc)) from exc
    _check(value)
    return value


def _check(value: Any) -> None:
    """Iterative walk: depth, lone surrogates, NUL characters, non-finite numbers."""
    nul = False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            nul = nul or "\x00" in item
            _check_text(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise JSONInputError("Number out of range")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise JSONInputError(f"Nesting deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    if nul:
        raise JSONInputError("Invalid characters in request", nul=True)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONInputError("Invalid \\u escape: a lone surrogate") from exc
