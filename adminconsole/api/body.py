"""Reading request bodies the way Keycloak's clients send them.

An empty body is "no body", whatever the content type says; a non-empty body must be JSON.
Field checks give Jackson-like refusals in Keycloak's shape instead of a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig

from adminconsole.api.errors import ApiError, cannot_parse, invalid_json, oauth_error
from realms.json_input import JSONInputError, json_parse

MAX_STRING = 65_535  # longer strings than any column or attribute holds are refused
INT32 = (-(2**31), 2**31 - 1)


def json_body(request) -> Any:
    """The parsed body, or ``None`` when there is none (empty or whitespace only)."""
    try:
        raw = request.body
    except RequestDataTooBig as exc:
        raise oauth_error(400, "invalid_request", "Request body too large") from exc
    if not raw or not raw.strip():
        return None
    try:
        return json_parse(raw)
    except JSONInputError as exc:
        if exc.nul:  # PostgreSQL refuses NUL in text, whatever the request's content type said
            raise oauth_error(400, "invalid_request", "Invalid characters in request") from exc
        raise cannot_parse() from exc


def json_object(request, representation: str, *, required: bool = False) -> dict | None:
    """A body that must be a JSON object (a representation). ``None`` when absent and optional."""
    body = json_body(request)
    if body is None and request.body.strip():
        raise invalid_json(representation, f"Cannot deserialize value of type `{representation}` from Null value.")
    if body is None:
        if required:
            raise invalid_json(representation, "No content to map due to end-of-input.")
        return None
    if not isinstance(body, dict):
        raise invalid_json(representation, f"Cannot deserialize value of type `{representation}` from {json_kind(body)} value.")
    return body


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, (int, float)):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return "Null"


def reject_unknown(body: dict, known: set[str] | frozenset[str], representation: str) -> None:
    for key in body:
        if key not in known:
            raise invalid_json(representation, f'Unrecognized field "{key}" (class {representation}), not marked as ignorable.')


def _wrong_type(representation: str, key: str, expected: str, value: Any) -> ApiError:
    return invalid_json(
        representation, f'Cannot deserialize value of type `{expected}` from {json_kind(value)} value (field "{key}").'
    )


def opt_str(body: dict, key: str, representation: str, *, max_length: int = MAX_STRING) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong_type(representation, key, "java.lang.String", value)
    if len(value) > max_length:
        raise invalid_json(representation, f'Field "{key}" is longer than {max_length} characters.')
    return value


def opt_bool(body: dict, key: str, representation: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    raise _wrong_type(representation, key, "java.lang.Boolean", value)


def opt_int(body: dict, key: str, representation: str, *, minimum: int = INT32[0], maximum: int = INT32[1]) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _wrong_type(representation, key, "java.lang.Integer", value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if not isinstance(value, int):
        raise _wrong_type(representation, key, "java.lang.Integer", value)
    if not minimum <= value <= maximum:
        raise invalid_json(representation, f'Numeric value ({value}) of field "{key}" out of range.')
    return value


def opt_object(body: dict, key: str, representation: str) -> dict | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_type(representation, key, "java.util.Map", value)
    return value
