"""Admin REST API for a realm's webhooks (not a Keycloak endpoint: Keycloak has no webhooks).

``GET`` / ``POST /admin/realms/{realm}/webhooks``, ``GET`` / ``PUT`` / ``DELETE
.../webhooks/{id}``, ``POST .../webhooks/{id}/secret`` (regenerate), ``POST .../webhooks/{id}/test``,
``GET .../webhooks/{id}/deliveries`` and ``POST .../deliveries/{deliveryId}/resend``. view-realm
reads, manage-realm writes. The ``secret`` is write-only: answered by the create and the
regenerate only.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import json_response, no_content, not_found
from adminconsole.api.schemas import ERRORS_READ, ERRORS_WRITE, KeycloakError
from realms import permissions
from realms.selectors import MAX_RESULTS
from webhooks import outbound, selectors, services
from webhooks.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["Webhooks"])

REP = "WebhookRepresentation"
FIELDS = {"id", "url", "enabled", "eventTypes", "secret"}
INT32_MAX = 2**31 - 1


class WebhookRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    url: str
    enabled: bool = True
    eventTypes: list[str] = Field(description=f"Any of {', '.join(services.EVENT_TYPES)}")
    secret: str | None = Field(
        None, description="`whsec_` + base64 (24 to 64 bytes). Answered only by the create and the regenerate; "
        "optional in a create or update body (generated when absent).",
    )


class WebhookSecretRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str


class WebhookDeliveryRepresentation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    messageId: str = Field(description="The `webhook-id` header, the same on every attempt.")
    eventType: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    lastStatusCode: int | None = None
    lastError: str | None = None
    lastAttemptAt: int | None = None
    nextAttemptAt: int | None = None
    createdAt: int


def _webhook(request, realm: str, id: str, role: str):  # noqa: A002
    auth, realm_obj = authorized_realm(request, realm, role)
    try:
        return auth, selectors.webhook_get(realm=realm_obj, id=id)
    except WebhookEndpoint.DoesNotExist:
        raise not_found("Could not find webhook") from None


def _body(request, *, required: bool) -> dict:
    body = b.json_object(request, REP, required=required) or {}
    b.reject_unknown(body, FIELDS, REP)
    fields = {
        "url": b.opt_str(body, "url", REP, max_length=outbound.MAX_URL_LENGTH),
        "enabled": b.opt_bool(body, "enabled", REP),
        "secret": b.opt_str(body, "secret", REP, max_length=200),
        "event_types": body.get("eventTypes"),
    }
    if required and fields["url"] is None:
        raise services.WebhookInvalid("url is required")
    if required and fields["event_types"] is None:
        raise services.WebhookInvalid("eventTypes is required")
    return fields


@router.get(
    "/realms/{realm}/webhooks",
    response={200: list[WebhookRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="List webhooks",
    description=f"Oldest first. `first` / `max` paginate; at most {MAX_RESULTS} webhooks, also without `max`. "
    "Needs view-realm. Never the secret.",
)
def webhooks_list(
    request,
    realm: str,
    first: int | None = Query(None, ge=0, le=INT32_MAX),
    max_: int | None = Query(None, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    endpoints = selectors.webhooks_list(realm=realm_obj, first=first, max_=max_)
    return json_response([selectors.webhook_representation(e) for e in endpoints])


@router.post(
    "/realms/{realm}/webhooks",
    response={201: WebhookRepresentation, **ERRORS_WRITE},
    summary="Create a webhook",
    description="Needs manage-realm. 201 with `Location` and the webhook, `secret` included: the only answer "
    "that shows it. A refused URL (not http(s), no host, or in production mode a non-public address) is 400 "
    "`{\"errorMessage\"}` and nothing is created.",
    openapi_extra=body_doc(WebhookRepresentation, required=True),
)
def webhooks_create(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    fields = _body(request, required=True)
    endpoint, secret = services.webhook_create(
        realm=realm_obj, url=fields["url"], event_types=fields["event_types"],
        enabled=True if fields["enabled"] is None else fields["enabled"], secret=fields["secret"], actor=auth.actor,
    )
    response = json_response({**selectors.webhook_representation(endpoint), "secret": secret}, status=201)
    response["Location"] = request.build_absolute_uri(f"/admin/realms/{realm_obj.name}/webhooks/{endpoint.id}")
    return response


@router.get("/realms/{realm}/webhooks/{id}", response={200: WebhookRepresentation, **ERRORS_READ}, summary="Get a webhook")
def webhooks_get(request, realm: str, id: str):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.VIEW_REALM)
    return json_response(selectors.webhook_representation(endpoint))


@router.put(
    "/realms/{realm}/webhooks/{id}",
    response={204: None, **ERRORS_WRITE},
    summary="Update a webhook (merge)",
    description="Only the fields sent change. A `secret` sent replaces the signing secret (it is not echoed).",
    openapi_extra=body_doc(WebhookRepresentation),
)
def webhooks_update(request, realm: str, id: str):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.MANAGE_REALM)
    fields = _body(request, required=False)
    services.webhook_update(endpoint=endpoint, actor=auth.actor, **fields)
    return no_content()


@router.delete("/realms/{realm}/webhooks/{id}", response={204: None, **ERRORS_WRITE}, summary="Delete a webhook")
def webhooks_delete(request, realm: str, id: str):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.MANAGE_REALM)
    services.webhook_delete(endpoint=endpoint, actor=auth.actor)
    return no_content()


@router.post(
    "/realms/{realm}/webhooks/{id}/secret",
    response={200: WebhookSecretRepresentation, **ERRORS_WRITE},
    summary="Regenerate a webhook's secret",
    description="`{\"secret\": \"whsec_...\"}`, shown only here. Every later attempt, retries included, is signed with it.",
)
def webhooks_secret_regenerate(request, realm: str, id: str):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.MANAGE_REALM)
    return json_response({"secret": services.webhook_secret_regenerate(endpoint=endpoint, actor=auth.actor)})


@router.post(
    "/realms/{realm}/webhooks/{id}/test",
    response={202: WebhookDeliveryRepresentation, **ERRORS_WRITE},
    summary="Send a test event",
    description="Queues a `webhook.test` delivery to this webhook; 400 when it is disabled.",
)
def webhooks_test(request, realm: str, id: str):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.MANAGE_REALM)
    delivery = services.webhook_test(endpoint=endpoint, actor=auth.actor)
    return json_response(selectors.delivery_representation(delivery), status=202)


@router.get(
    "/realms/{realm}/webhooks/{id}/deliveries",
    response={200: list[WebhookDeliveryRepresentation], 400: KeycloakError, **ERRORS_READ},
    summary="List a webhook's deliveries",
    description=f"Newest first, at most {selectors.DELIVERIES_MAX}. Times in epoch seconds. Needs view-realm.",
)
def webhooks_deliveries(request, realm: str, id: str, max: int = Query(selectors.DELIVERIES_MAX, ge=0, le=selectors.DELIVERIES_MAX)):  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.VIEW_REALM)
    deliveries = selectors.deliveries_list(endpoint=endpoint, limit=max)
    return json_response([selectors.delivery_representation(d) for d in deliveries])


@router.post(
    "/realms/{realm}/webhooks/{id}/deliveries/{delivery_id}/resend",
    response={202: WebhookDeliveryRepresentation, **ERRORS_WRITE},
    summary="Resend a delivery",
    description="A new attempt of the same message, with the same `webhook-id`.",
)
def webhooks_delivery_resend(request, realm: str, id: str, delivery_id: int) -> HttpResponse:  # noqa: A002
    auth, endpoint = _webhook(request, realm, id, permissions.MANAGE_REALM)
    try:
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise not_found("Could not find delivery") from None
    delivery = services.delivery_resend(delivery=delivery, actor=auth.actor)
    return json_response(selectors.delivery_representation(delivery), status=202)
