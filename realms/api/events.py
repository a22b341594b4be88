"""``GET /admin/realms/{realm}/admin-events``: the audit trail in Keycloak's representation; the
events configuration (``/events/config``) and the clearing of events (``DELETE /admin-events``,
``DELETE /events``).

Keycloak's query parameters: ``operationTypes``, ``resourceTypes`` (repeatable), ``resourcePath``
(``*`` is a wildcard, matched as SQL LIKE), ``authRealm``, ``authClient``, ``authUser``,
``authIpAddress``, ``dateFrom``/``dateTo`` (``yyyy-MM-dd``, whole days, or epoch milliseconds),
``first``, ``max`` (default 100, at most ``selectors.MAX_RESULTS``; a negative one is a 400).
Newest first. Needs view-realm (Keycloak: view-events). Representations were masked when the
events were written and are masked again on the way out.
"""

from __future__ import annotations

import json
import re

from ninja import Query, Router
from pydantic import BaseModel, ConfigDict

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import invalid_json, json_response, no_content, oauth_error
from adminconsole.api.schemas import ERRORS_READ, ERRORS_WRITE, KeycloakError
from realms import permissions, selectors, services
from realms.events import mask_secrets
from realms.models import AdminEvent, LoginEvent, Realm

router = Router(tags=["Admin events"])

INT32_MAX = 2**31 - 1
DATE_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,15})$"


class AuthDetailsRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    realmId: str | None = None
    clientId: str | None = None
    userId: str | None = None
    ipAddress: str | None = None


class AdminEventRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: int
    realmId: str
    authDetails: AuthDetailsRepresentation
    operationType: str
    resourceType: str | None = None
    resourcePath: str | None = None
    representation: str | None = None
    error: str | None = None


def _masked(representation: str) -> str | None:
    if not representation:
        return None
    try:
        return json.dumps(mask_secrets(json.loads(representation)), separators=(",", ":"))
    except ValueError:
        return None


def admin_event_representation(event: AdminEvent, realm_name: str) -> dict:
    """Keycloak's AdminEventRepresentation; null fields are left out, as Keycloak leaves them out."""
    auth = {"realmId": event.auth_realm, "clientId": event.auth_client_id, "userId": event.auth_user_id, "ipAddress": event.ip_address}
    rep = {
        "time": event.time,
        "realmId": realm_name,
        "authDetails": {k: v for k, v in auth.items() if v},
        "operationType": event.operation_type,
        "resourceType": event.resource_type,
        "resourcePath": event.resource_path,
    }
    representation = _masked(event.representation)
    if representation is not None:
        rep["representation"] = representation
    return rep


# Repeated type parameters: more names than any real filter needs is refused, not run.
MANY_MAX_VALUES = 50
MANY_MAX_LENGTH = 255


def _many(values: list[str] | None, label: str) -> list[str]:
    """Repeated parameters, and comma-separated ones too (``operationTypes=CREATE,UPDATE``)."""
    out = []
    for value in values or []:
        out.extend(part for part in value.split(",") if part.strip())
    if len(out) > MANY_MAX_VALUES or any(len(part) > MANY_MAX_LENGTH for part in out):
        raise oauth_error(400, "invalid_request", f"Invalid value for parameter '{label}'")
    return out


def _date(value: str | None, label: str, *, end: bool = False) -> int | None:
    try:
        return selectors.date_bound_ms(value, end=end)
    except selectors.BadDate:
        raise oauth_error(400, "invalid_request", f"Invalid value for '{label}', expected format is yyyy-MM-dd") from None


@router.get(
    "/realms/{realm}/admin-events",
    response={200: list[AdminEventRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="Get admin events",
    description="Newest first. Needs view-realm. Every secret in `representation` is masked.",
)
def admin_events_list(
    request,
    realm: str,
    operationTypes: list[str] = Query(None),  # noqa: N803 - Keycloak's parameter names
    resourceTypes: list[str] = Query(None),  # noqa: N803
    resourcePath: str | None = Query(None, max_length=1024),  # noqa: N803
    authRealm: str | None = Query(None, max_length=255),  # noqa: N803
    authClient: str | None = Query(None, max_length=255),  # noqa: N803
    authUser: str | None = Query(None, max_length=255),  # noqa: N803
    authIpAddress: str | None = Query(None, max_length=64),  # noqa: N803
    dateFrom: str | None = Query(None, max_length=32, pattern=DATE_PATTERN, description="yyyy-MM-dd or epoch milliseconds"),  # noqa: N803
    dateTo: str | None = Query(None, max_length=32, pattern=DATE_PATTERN, description="yyyy-MM-dd (the whole day) or epoch milliseconds"),  # noqa: N803
    first: int = Query(0, ge=0, le=INT32_MAX),
    max: int = Query(100, ge=0, le=INT32_MAX, description=f"at most {selectors.MAX_RESULTS} are answered"),  # noqa: A002
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    events = selectors.admin_event_list(
        realm=realm_obj,
        operation_types=_many(operationTypes, "operationTypes"),
        resource_types=_many(resourceTypes, "resourceTypes"),
        resource_path=resourcePath or None,
        auth_realm=authRealm or None,
        auth_client=authClient or None,
        auth_user=authUser or None,
        auth_ip=authIpAddress or None,
        date_from=_date(dateFrom, "Date(From)"),
        date_to=_date(dateTo, "Date(To)", end=True),
        first=first,
        limit=max,
    )
    return json_response([admin_event_representation(event, realm_obj.name) for event in events])


class EventRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: int
    type: str
    realmId: str
    clientId: str | None = None
    ipAddress: str | None = None
    error: str | None = None
    details: dict[str, str] | None = None


def login_event_representation(event: LoginEvent, realm_name: str) -> dict:
    """Keycloak's EventRepresentation of a client login; ``details.secret_used`` says which secret matched."""
    details = {str(k): str(v) for k, v in mask_secrets(event.details or {}).items() if v not in (None, "")}
    if event.secret_used:
        details["secret_used"] = event.secret_used  # "current" or "rotated": which one, never its value
    rep = {"time": event.time, "type": event.type, "realmId": realm_name, "clientId": event.client_id or None,
           "ipAddress": event.ip_address or None, "error": event.error or None, "details": details or None}
    return {k: v for k, v in rep.items() if v is not None}


@router.get(
    "/realms/{realm}/events",
    response={200: list[EventRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="Get events (client logins)",
    description=(
        "Client authentications at the token and introspection endpoints, newest first: `CLIENT_LOGIN` "
        "(`details.secret_used` is `current` or `rotated`: which secret matched) and `CLIENT_LOGIN_ERROR`. "
        "Needs view-realm."
    ),
)
def events_list(
    request,
    realm: str,
    type: list[str] = Query(None),  # noqa: A002 - Keycloak's parameter names
    client: str | None = Query(None, max_length=255),
    ipAddress: str | None = Query(None, max_length=64),  # noqa: N803
    dateFrom: str | None = Query(None, max_length=32, pattern=DATE_PATTERN, description="yyyy-MM-dd or epoch milliseconds"),  # noqa: N803
    dateTo: str | None = Query(None, max_length=32, pattern=DATE_PATTERN, description="yyyy-MM-dd (the whole day) or epoch milliseconds"),  # noqa: N803
    first: int = Query(0, ge=0, le=INT32_MAX),
    max: int = Query(100, ge=0, le=INT32_MAX, description=f"at most {selectors.MAX_RESULTS} are answered"),  # noqa: A002
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    events = selectors.login_event_list(
        realm=realm_obj,
        types=_many(type, "type"),
        client_id=client or None,
        ip_address=ipAddress or None,
        date_from=_date(dateFrom, "Date(From)"),
        date_to=_date(dateTo, "Date(To)", end=True),
        first=first,
        limit=max,
    )
    return json_response([login_event_representation(event, realm_obj.name) for event in events])


# --- events configuration -------------------------------------------------------------------

EVENTS_REP = "RealmEventsConfigRepresentation"
# eventsExpiration in seconds: up to about 35,000 years, far below any overflow in milliseconds.
EXPIRATION_MAX = 2**40
LIST_MAX = 200
LISTENER_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,255}")
EVENT_TYPE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


class RealmEventsConfigRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eventsEnabled: bool
    eventsExpiration: int | None = None
    eventsListeners: list[str]
    enabledEventTypes: list[str]
    adminEventsEnabled: bool
    adminEventsDetailsEnabled: bool


def events_config_representation(realm: Realm) -> dict:
    """Keycloak's RealmEventsConfigRepresentation; ``eventsExpiration`` only when set, as Keycloak."""
    rep = {
        "eventsEnabled": realm.events_enabled,
        "eventsListeners": list(realm.events_listeners),
        "enabledEventTypes": list(realm.enabled_event_types),
        "adminEventsEnabled": realm.admin_events_enabled,
        "adminEventsDetailsEnabled": realm.admin_events_details_enabled,
    }
    if realm.events_expiration:
        rep["eventsExpiration"] = realm.events_expiration
    return rep


def _names(body: dict, key: str, representation: str, pattern: re.Pattern) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_json(representation, f'Cannot deserialize value of type `java.util.Set` from {b.json_kind(value)} value (field "{key}").')
    if len(value) > LIST_MAX:
        raise invalid_json(representation, f'Field "{key}" has more than {LIST_MAX} values.')
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not pattern.fullmatch(item):
            raise invalid_json(representation, f'Invalid value {json.dumps(item)[:80]} in field "{key}".')
        if item not in names:
            names.append(item)
    return names


def events_config_changes(body: dict, representation: str) -> dict:
    """The event settings sent in ``body`` (our field names); a field left out or null is kept."""
    changes: dict = {}
    for key in ("eventsEnabled", "adminEventsEnabled", "adminEventsDetailsEnabled"):
        value = b.opt_bool(body, key, representation)
        if value is not None:
            changes[services.EVENTS_CONFIG_FIELDS[key]] = value
    expiration = b.opt_int(body, "eventsExpiration", representation, minimum=0, maximum=EXPIRATION_MAX)
    if expiration is not None:
        changes["events_expiration"] = expiration
    listeners = _names(body, "eventsListeners", representation, LISTENER_PATTERN)
    if listeners is not None:
        changes["events_listeners"] = listeners
    types = _names(body, "enabledEventTypes", representation, EVENT_TYPE_PATTERN)
    if types is not None:
        changes["enabled_event_types"] = types
    return changes


EVENTS_CONFIG_SCHEMA = (
    "RealmEventsConfigUpdate",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "eventsEnabled": {"type": ["boolean", "null"], "description": "Record login events (default true)."},
            "eventsExpiration": {"type": ["integer", "null"], "minimum": 0, "maximum": EXPIRATION_MAX,
                                 "description": "Seconds login events are kept; 0 keeps them for ever."},
            "eventsListeners": {"type": ["array", "null"], "maxItems": LIST_MAX, "items": {"type": "string", "pattern": LISTENER_PATTERN.pattern},
                                "description": "Stored and answered; events are recorded in the database whatever it says."},
            "enabledEventTypes": {"type": ["array", "null"], "maxItems": LIST_MAX, "items": {"type": "string", "pattern": EVENT_TYPE_PATTERN.pattern},
                                  "description": "Login event types to record; empty: every type."},
            "adminEventsEnabled": {"type": ["boolean", "null"], "description": "Record admin events (default true)."},
            "adminEventsDetailsEnabled": {"type": ["boolean", "null"], "description": "Keep each admin event's representation (default true)."},
        },
    },
)


@router.get(
    "/realms/{realm}/events/config",
    response={200: RealmEventsConfigRepresentation, **ERRORS_READ},
    summary="Get the events configuration",
    description="Needs view-realm.",
)
def events_config_get(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    return json_response(events_config_representation(realm_obj))


@router.put(
    "/realms/{realm}/events/config",
    response={204: None, **ERRORS_WRITE},
    summary="Update the events configuration (partial)",
    description="Only the fields sent change. Needs manage-realm. Recorded as an admin event even when it turns them off.",
    openapi_extra=body_doc(EVENTS_CONFIG_SCHEMA, required=True),
)
def events_config_update(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    body = b.json_object(request, EVENTS_REP) or {}
    b.reject_unknown(body, frozenset(services.EVENTS_CONFIG_FIELDS), EVENTS_REP)
    services.realm_events_config_update(realm=realm_obj, actor=auth.actor, **events_config_changes(body, EVENTS_REP))
    return no_content()


@router.delete(
    "/realms/{realm}/admin-events",
    response={204: None, **ERRORS_WRITE},
    summary="Delete all admin events",
    description="Needs manage-realm. The deletion is recorded: it is the one admin event left.",
)
def admin_events_clear(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    services.realm_admin_events_clear(realm=realm_obj, actor=auth.actor)
    return no_content()


@router.delete(
    "/realms/{realm}/events",
    response={204: None, **ERRORS_WRITE},
    summary="Delete all events (client logins)",
    description="Needs manage-realm. Recorded as an admin event.",
)
def events_clear(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    services.realm_login_events_clear(realm=realm_obj, actor=auth.actor)
    return no_content()
