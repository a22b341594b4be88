"""The OpenAPI description of ClientRepresentation request bodies.

Derived from the declarations ``clients.representations.representation_parse`` checks (its
``FIELDS`` and ``IGNORED_FIELDS`` and limits), so the documented body and the accepted body come
from one list.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clients import representations as reps

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
_NOT_BLANK = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
_HTTP_URL = r"^\s*(https?|HTTPS?)://[A-Za-z0-9\-._~%]+(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f]*)?\s*$"
_TIME = r"^\s*(-?[0-9]{1,18})?\s*$"


def client_request_schema(*, create: bool) -> tuple[str, dict]:
    """The JSON schema of a ClientRepresentation body, from the declarations
    ``clients.representations.representation_parse`` checks (one list of fields, two uses)."""
    kinds = {
        "bool": lambda limit: {"type": "boolean"},
        "text": lambda limit: {"type": "string", "maxLength": limit},
        "not_before": lambda limit: {"type": "integer", "minimum": 0, "maximum": reps.MAX_NOT_BEFORE},
        "client_id": lambda limit: {"type": "string", "minLength": 1, "maxLength": limit, "pattern": _NOT_BLANK},
        "protocol": lambda limit: {"type": "string", "enum": [reps.PROTOCOL_OIDC]},
        "authenticator": lambda limit: {"type": "string", "enum": list(reps.AUTHENTICATOR_TYPES)},
        "url": lambda limit: {"type": "string", "maxLength": limit, "anyOf": [{"pattern": r"^\s*$"}, {"pattern": _HTTP_URL}]},
        "redirect_uris": lambda limit: {
            "type": "array", "maxItems": reps.MAX_URIS,
            "items": {"type": "string", "maxLength": limit,
                      "pattern": r"^\s*(\*|\+|/[^\s\x00-\x1f\x7f]*|[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]*)?\s*$",
                      "description": "Absolute URIs (no javascript:, data: or vbscript:), paths, * or +."}},
        "web_origins": lambda limit: {
            "type": "array", "maxItems": reps.MAX_URIS,
            "items": {"type": "string", "maxLength": limit,
                      "anyOf": [{"pattern": r"^\s*[*+]?\s*$"}, {"pattern": _HTTP_URL}]}},
    }
    properties: dict = {}
    for name, (_, kind, limit) in reps.FIELDS.items():
        properties[name] = {"anyOf": [kinds[kind](limit), {"type": "null"}]}
    properties["id"] = {"type": ["string", "null"], "maxLength": reps.MAX_ID,
                        "description": "On create, a UUID to use as the client's id; ignored on update."}
    if create:
        properties["id"]["format"] = "uuid"
    properties["secret"] = {"type": ["string", "null"], "maxLength": reps.MAX_SECRET, "pattern": _NO_CONTROL,
                            "description": "Empty or ********** leaves the secret unchanged."}
    time_scalar = [{"type": "string", "pattern": _TIME}, {"type": "integer", "minimum": -(2**62), "maximum": 2**62}]
    time_value = {"anyOf": [*time_scalar, {"type": "null"},
                            {"type": "array", "minItems": 1, "maxItems": 1, "items": {"anyOf": [*time_scalar, {"type": "null"}]}}]}

    def scalar(max_length: int) -> list[dict]:
        return [{"type": "string", "maxLength": max_length}, {"type": ["number", "boolean", "null"]}]

    def attribute(max_length: int) -> dict:
        return {"anyOf": [*scalar(max_length),
                          {"type": "array", "minItems": 1, "maxItems": 1, "items": {"anyOf": scalar(max_length)}}]}

    properties["attributes"] = {
        "anyOf": [
            {
                "type": "object",
                "maxProperties": reps.MAX_ATTRIBUTES,
                "propertyNames": {"minLength": 1, "maxLength": reps.MAX_ATTRIBUTE_KEY},
                "properties": {
                    **{name: time_value for name in reps.TIME_ATTRIBUTES},
                    reps.ATTR_ROTATED: attribute(reps.MAX_SECRET),
                },
                "additionalProperties": attribute(reps.MAX_ATTRIBUTE_VALUE),
                "description": "Merged key by key; null removes a key. Keycloak's client.secret.* attributes "
                "write the secret rows.",
            },
            {"type": "null"},
        ]
    }
    json_types = {str: "string", bool: "boolean", int: "integer", list: "array", dict: "object"}
    for name, expected in reps.IGNORED_FIELDS.items():
        properties[name] = {"type": [json_types[expected], "null"], "description": "Accepted and ignored."}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if create:
        schema["required"] = ["clientId"]
        schema["properties"]["clientId"] = kinds["client_id"](reps.MAX_ID)
    return ("ClientRepresentationCreate" if create else "ClientRepresentationUpdate"), schema


# --- the secret-rotation overview (GET /admin/realms/{realm}/client-secrets[/summary]) -----------

SecretStatus = Literal["expired", "expiring", "active", "no-expiry"]


class ClientSecretOverview(BaseModel):
    """One confidential client's secrets: times (epoch seconds, null when absent) and use counts.
    Never a secret."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The client's id, as in /clients/{id}.")
    clientId: str
    status: SecretStatus = Field(
        description="The current secret's: expired; expiring within 30 days; active (expires later); "
        "no-expiry (no expiry, or no current secret)."
    )
    expiresAt: int | None = Field(description="When the current secret expires; null: never.")
    rotatedExpiresAt: int | None = Field(description="When the rotated secret expires; null: no rotated secret.")
    lastUsedAt: int | None
    useCount: int
    rotatedLastUsedAt: int | None
    rotatedUseCount: int | None = Field(description="null: no rotated secret.")


class ClientSecretsSummary(BaseModel):
    """Counts over the realm's confidential clients."""

    model_config = ConfigDict(extra="forbid")

    total: int
    expired: int
    expiringWithin7Days: int
    expiringWithin30Days: int = Field(description="Includes the ones expiring within 7 days.")
    noExpiry: int
    rotatedInUse: int = Field(
        description="A rotated secret that has not expired and was used since the rotation (not yet safe to invalidate)."
    )
