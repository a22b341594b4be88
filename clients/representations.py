"""Keycloak's ClientRepresentation: rendering a client, and parsing what a caller sends.

Used by the console, the Admin REST API and dynamic registration alike, so nothing here knows
about HTTP. Rotation state is not a free-form attribute here: it lives in the secret rows
(``clients.secrets``, which also renders them as Keycloak's ``client.secret.*`` string attributes).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from clients import secrets as secret_store
from clients.models import AUTHENTICATOR_CHOICES, Client
from clients.secrets import (
    ATTR_CREATION,
    ATTR_EXPIRATION,
    ATTR_ROTATED,
    ATTR_ROTATED_CREATION,
    ATTR_ROTATED_EXPIRATION,
    MASK,
    SECRET_ATTRIBUTES,
)

ATTR_REMAINING = "client.secret.remaining.expiration.time"
ATTR_ROTATION_ENABLED = "client.secret.rotation.enabled"

# Accepted on input but never stored: Keycloak never writes the first, the second is a request flag.
DROPPED_ATTRIBUTES = (ATTR_REMAINING, ATTR_ROTATION_ENABLED)
TIME_ATTRIBUTES = (ATTR_CREATION, ATTR_EXPIRATION, ATTR_ROTATED_CREATION, ATTR_ROTATED_EXPIRATION)

AUTHENTICATOR_TYPES = tuple(key for key, _ in AUTHENTICATOR_CHOICES) + ("none",)
PROTOCOL_OIDC = "openid-connect"

# Limits that keep a representation (and the database) sane.
MAX_ID = 255
MAX_TEXT = 255
MAX_DESCRIPTION = 1024
MAX_URL = 1024
MAX_URIS = 100
MAX_SECRET = 255
MAX_ATTRIBUTES = 200
MAX_ATTRIBUTE_KEY = 255
MAX_ATTRIBUTE_VALUE = 8192
MAX_IGNORED_JSON = 65536

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RepresentationError(ValueError):
    """An incoming representation that cannot be applied.

    ``error`` is Keycloak's error code for the wire (``invalid_request`` for shape problems,
    ``invalid_input`` for values that fail validation); ``field`` names the JSON field.
    """

    def __init__(self, message: str, *, field: str | None = None, error: str = "invalid_input"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.error = error


# JSON name -> (model field, kind, max length)
FIELDS: dict[str, tuple[str, str, int | None]] = {
    "clientId": ("client_id", "client_id", MAX_ID),
    "name": ("name", "text", MAX_TEXT),
    "description": ("description", "text", MAX_DESCRIPTION),
    "enabled": ("enabled", "bool", None),
    "protocol": ("protocol", "protocol", None),
    "publicClient": ("public_client", "bool", None),
    "bearerOnly": ("bearer_only", "bool", None),
    "clientAuthenticatorType": ("client_authenticator_type", "authenticator", None),
    "serviceAccountsEnabled": ("service_accounts_enabled", "bool", None),
    "standardFlowEnabled": ("standard_flow_enabled", "bool", None),
    "directAccessGrantsEnabled": ("direct_access_grants_enabled", "bool", None),
    "implicitFlowEnabled": ("implicit_flow_enabled", "bool", None),
    "rootUrl": ("root_url", "url", MAX_URL),
    "redirectUris": ("redirect_uris", "redirect_uris", MAX_URL),
    "webOrigins": ("web_origins", "web_origins", MAX_URL),
    # Epoch seconds; tokens issued to the client before it are refused (0: none). Keycloak's
    # "Revocation" tab sets it to now (or back to 0) with a client update.
    "notBefore": ("not_before", "not_before", None),
}
MAX_NOT_BEFORE = 2**53  # a JSON number every client reads exactly

# Fields of Keycloak's ClientRepresentation this product does not model. They are accepted (so a
# representation read from Keycloak or from our own GET can be sent back) and ignored.
IGNORED_FIELDS = {
    "adminUrl": str,
    "baseUrl": str,
    "origin": str,
    "type": str,
    "registrationAccessToken": str,
    "clientTemplate": str,
    "surrogateAuthRequired": bool,
    "alwaysDisplayInConsole": bool,
    "consentRequired": bool,
    "frontchannelLogout": bool,
    "fullScopeAllowed": bool,
    "authorizationServicesEnabled": bool,
    "directGrantsOnly": bool,
    "useTemplateConfig": bool,
    "useTemplateScope": bool,
    "useTemplateMappers": bool,
    "nodeReRegistrationTimeout": int,
    "defaultRoles": list,
    "defaultClientScopes": list,
    "optionalClientScopes": list,
    "protocolMappers": list,
    "access": dict,
    "authenticationFlowBindingOverrides": dict,
    "registeredNodes": dict,
    "authorizationSettings": dict,
}


@dataclass
class ClientChanges:
    """A parsed representation: only what the caller sent.

    * ``fields``: model field name -> value;
    * ``attributes``: free-form attributes sent (``None`` removes the key);
    * ``secret_attributes``: the ``client.secret.*`` rotation attributes sent, times as ``int``
      (``None`` removes);
    * ``secret``: the secret sent, or ``None`` when none was sent (the mask counts as none).
    """

    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str | None] = field(default_factory=dict)
    secret_attributes: dict[str, Any] = field(default_factory=dict)
    secret: str | None = None
    id: uuid.UUID | None = None

    @property
    def client_id(self) -> str | None:
        return self.fields.get("client_id")


# --- rendering -------------------------------------------------------------------------------


def rotation_attributes(client: Client, *, include_secret: bool) -> dict[str, str]:
    """Keycloak's ``client.secret.*`` attributes, rendered from the client's secret rows."""
    current, rotated = secret_store.secret_rows(client)
    return secret_store.secret_attributes(current=current, rotated=rotated, include_secret=include_secret)


def client_representation(client: Client, *, include_secret: bool) -> dict:
    """The client as Keycloak's ClientRepresentation.

    ``include_secret=False`` (callers without manage-clients) masks ``secret`` and
    ``client.secret.rotated`` as ``**********``; values are decrypted only when included.
    Prefetch ``secrets`` when rendering many clients.
    """
    current, rotated = secret_store.secret_rows(client)
    attributes = {key: value for key, value in (client.attributes or {}).items() if key not in SECRET_ATTRIBUTES}
    attributes.update(secret_store.secret_attributes(current=current, rotated=rotated, include_secret=include_secret))
    representation = {
        "id": str(client.id),
        "clientId": client.client_id,
        "name": client.name,
        "description": client.description,
        "rootUrl": client.root_url,
        "enabled": client.enabled,
        "clientAuthenticatorType": client.client_authenticator_type,
    }
    if current is not None:
        representation["secret"] = secret_store.secret_value(current) if include_secret else MASK
    representation.update(
        {
            "redirectUris": list(client.redirect_uris or []),
            "webOrigins": list(client.web_origins or []),
            "notBefore": client.not_before,
            "bearerOnly": client.bearer_only,
            "standardFlowEnabled": client.standard_flow_enabled,
            "implicitFlowEnabled": client.implicit_flow_enabled,
            "directAccessGrantsEnabled": client.direct_access_grants_enabled,
            "serviceAccountsEnabled": client.service_accounts_enabled,
            "publicClient": client.public_client,
            "protocol": client.protocol,
            "attributes": attributes,
        }
    )
    return representation


# --- parsing ---------------------------------------------------------------------------------


def representation_parse(data: Any, *, create: bool = False) -> ClientChanges:
    """Check and convert an incoming ClientRepresentation (a decoded JSON object).

    Types are checked, unknown fields refused (``Unrecognized field "x"``), sizes bounded.
    ``null`` means "not sent" for every field except attribute values, where it removes the key.
    With ``create=True`` a ``clientId`` is required and an ``id`` may be given.
    """
    if not isinstance(data, dict):
        raise RepresentationError("Cannot parse the JSON", error="invalid_request")
    changes = ClientChanges()
    for key, value in data.items():
        if not isinstance(key, str):
            raise RepresentationError("Cannot parse the JSON", error="invalid_request")
        if key in FIELDS:
            if value is None:
                continue
            model_field, kind, limit = FIELDS[key]
            changes.fields[model_field] = _parse_field(key, kind, limit, value)
        elif key == "attributes":
            if value is None:
                continue
            _parse_attributes(value, changes)
        elif key == "secret":
            changes.secret = _parse_secret(key, value)
        elif key == "id":
            if value is None:
                continue
            if not isinstance(value, str) or len(value) > MAX_ID:
                raise RepresentationError('Field "id" must be a string', field="id", error="invalid_request")
            if create:
                try:
                    changes.id = uuid.UUID(value)
                except ValueError:
                    raise RepresentationError("Client id must be a UUID", field="id") from None
        elif key in IGNORED_FIELDS:
            _check_ignored(key, value)
        else:
            raise RepresentationError(f'Unrecognized field "{key}"', field=key, error="invalid_request")
    if create and not changes.fields.get("client_id"):
        raise RepresentationError("Client ID is required", field="clientId")
    return changes


def _type_error(key: str, expected: str) -> RepresentationError:
    return RepresentationError(f'Field "{key}" must be {expected}', field=key, error="invalid_request")


def _string(key: str, value: Any, limit: int | None) -> str:
    if not isinstance(value, str):
        raise _type_error(key, "a string")
    if limit is not None and len(value) > limit:
        raise RepresentationError(f'Field "{key}" is too long (at most {limit} characters)', field=key)
    return value


def _parse_field(key: str, kind: str, limit: int | None, value: Any) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(key, "true or false")
        return value
    if kind == "text":
        return _string(key, value, limit)
    if kind == "not_before":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(key, "a whole number")
        if not 0 <= value <= MAX_NOT_BEFORE:
            raise RepresentationError(f'Field "{key}" must be a time in epoch seconds (0 for none)', field=key)
        return value
    if kind == "client_id":
        value = _string(key, value, limit)
        if not value.strip():
            raise RepresentationError("Client ID must not be empty", field=key)
        if _CONTROL.search(value):
            raise RepresentationError("Client ID contains invalid characters", field=key)
        return value
    if kind == "protocol":
        value = _string(key, value, 64)
        if value != PROTOCOL_OIDC:
            raise RepresentationError(f'Protocol "{value}" is not supported; use "{PROTOCOL_OIDC}"', field=key)
        return value
    if kind == "authenticator":
        value = _string(key, value, 64)
        if value not in AUTHENTICATOR_TYPES:
            raise RepresentationError(f'Unknown client authenticator type "{value}"', field=key)
        return value
    if kind == "url":
        value = _string(key, value, limit).strip()
        if value and not _valid_url(value, schemes=("http", "https")):
            raise RepresentationError(f"Invalid URL in {key}", field=key)
        return value
    if kind in ("redirect_uris", "web_origins"):
        if not isinstance(value, list):
            raise _type_error(key, "a list of strings")
        if len(value) > MAX_URIS:
            raise RepresentationError(f'Field "{key}" has too many entries (at most {MAX_URIS})', field=key)
        result: list[str] = []
        for item in value:
            item = _string(key, item, limit).strip()
            if not item or item in result:
                continue
            if kind == "redirect_uris" and not _valid_redirect_uri(item):
                raise RepresentationError("A redirect URI is not a valid URI", field=key)
            if kind == "web_origins" and not _valid_web_origin(item):
                raise RepresentationError("A web origin is not a valid origin", field=key)
            result.append(item)
        return result
    raise AssertionError(kind)  # pragma: no cover


def _valid_url(value: str, *, schemes: tuple[str, ...]) -> bool:
    if _CONTROL.search(value) or " " in value:
        return False
    if value.startswith("${") and "}" in value:  # Keycloak's ${authBaseUrl}-style placeholders
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in schemes and bool(parts.netloc)


def _valid_redirect_uri(value: str) -> bool:
    if _CONTROL.search(value) or " " in value:
        return False
    if value in ("*", "+", "/*") or value.startswith("/") or value.startswith("${"):
        return True
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return False
    # Custom schemes (mobile apps) are allowed, script-like ones never.
    return bool(scheme) and scheme not in ("javascript", "data", "vbscript")


def _valid_web_origin(value: str) -> bool:
    return value in ("*", "+") or _valid_url(value, schemes=("http", "https"))


def _parse_secret(key: str, value: Any) -> str | None:
    if value is None:
        return None
    value = _string(key, value, MAX_SECRET)
    if value == MASK or value == "":
        return None  # a masked or empty secret sent back leaves the secret unchanged
    if _CONTROL.search(value):
        raise RepresentationError("The client secret contains invalid characters", field=key)
    return value


def _parse_attributes(value: Any, changes: ClientChanges) -> None:
    if not isinstance(value, dict):
        raise _type_error("attributes", "an object")
    if len(value) > MAX_ATTRIBUTES:
        raise RepresentationError(f"Too many attributes (at most {MAX_ATTRIBUTES})", field="attributes")
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > MAX_ATTRIBUTE_KEY:
            raise RepresentationError("Attribute names must be non-empty strings of at most 255 characters", field="attributes")
        if isinstance(item, list) and len(item) == 1:
            item = item[0]  # Keycloak accepts single-valued lists for attributes
        if item is None:
            text = None
        elif isinstance(item, bool):
            text = "true" if item else "false"
        elif isinstance(item, (int, float)):
            text = str(item)
        elif isinstance(item, str):
            text = item
        else:
            raise RepresentationError(f'Attribute "{key}" must be a string', field="attributes", error="invalid_request")
        if text is not None and len(text) > MAX_ATTRIBUTE_VALUE:
            raise RepresentationError(f'Attribute "{key}" is too long', field="attributes")
        if key in DROPPED_ATTRIBUTES:
            continue
        if key in TIME_ATTRIBUTES:
            changes.secret_attributes[key] = _parse_time(key, text)
        elif key == ATTR_ROTATED:
            if text is not None and len(text) > MAX_SECRET:
                raise RepresentationError(f'Attribute "{key}" is too long', field="attributes")
            if text == MASK:
                continue  # the masked value sent back leaves the rotated secret unchanged
            changes.secret_attributes[key] = text or None
        else:
            changes.attributes[key] = text


def _parse_time(key: str, text: str | None) -> int | None:
    if text is None or text.strip() == "":
        return None
    try:
        seconds = int(text.strip())
    except ValueError:
        raise RepresentationError(f'Attribute "{key}" must be a number of seconds', field="attributes") from None
    if abs(seconds) > 2**62:
        raise RepresentationError(f'Attribute "{key}" is out of range', field="attributes")
    return seconds


def _check_ignored(key: str, value: Any) -> None:
    if value is None:
        return
    expected = IGNORED_FIELDS[key]
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _type_error(key, "a number")
    if expected is not int and not isinstance(value, expected):
        raise _type_error(key, {str: "a string", bool: "true or false", list: "a list", dict: "an object"}[expected])
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError):
        raise RepresentationError("Cannot parse the JSON", error="invalid_request") from None
    if size > MAX_IGNORED_JSON:
        raise RepresentationError(f'Field "{key}" is too large', field=key)


def representation_apply(client: Client, changes: ClientChanges) -> None:
    """Copy the sent fields and free-form attributes onto ``client`` (not saved, secrets untouched).

    Attributes merge: each key sent is set, ``None`` removes it, keys not sent are kept.
    """
    for model_field, value in changes.fields.items():
        setattr(client, model_field, value)
    if changes.attributes:
        attributes = dict(client.attributes or {})
        for key, value in changes.attributes.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        client.attributes = attributes
