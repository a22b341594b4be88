"""``GET`` / ``PUT /admin/realms/{realm}/secret-expiry``: the realm's Secret expiry settings.

Not a Keycloak endpoint (Keycloak has no expiry warnings). view-realm reads, manage-realm
writes. A ``PUT`` changes the fields it sends; a bad value is
``400 {"errorMessage": "..."}`` naming every bad field, and nothing is saved.
"""

from __future__ import annotations

from ninja import Router
from pydantic import Field

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import error_message, json_response, no_content
from adminconsole.api.schemas import ERRORS_READ, ERRORS_WRITE, Closed
from expiry import selectors, services
from realms import permissions

router = Router(tags=["Secret expiry"])

REP = "SecretExpiryRepresentation"
# The API's names → the service's.
FIELDS = {
    "warnBefore": "warn_before",
    "autoRotate": "auto_rotate",
    "autoRotateBefore": "auto_rotate_before",
    "emailRecipients": "email_recipients",
}


class SecretExpiryRepresentation(Closed):
    warnBefore: list[int] = Field(
        description=f"Seconds before expiry when a warning is sent, largest first (1 to 100 years, at most {services.MAX_THRESHOLDS}, each once)."
    )
    autoRotate: bool = Field(description="Rotate each secret automatically when it expires within `autoRotateBefore` seconds.")
    autoRotateBefore: int = Field(description="The automatic rotation's lead time, in seconds (1 to 100 years).")
    emailRecipients: list[str] = Field(description=f"Addresses that get each sweep's summary (at most {services.MAX_RECIPIENTS}).")


class SecretExpiryUpdate(Closed):
    """The fields to change; the others keep their value."""

    warnBefore: list[int] | None = Field(None, max_length=services.MAX_THRESHOLDS)
    autoRotate: bool | None = None
    autoRotateBefore: int | None = Field(None, ge=1, le=services.MAX_SECONDS)
    emailRecipients: list[str] | None = Field(None, max_length=services.MAX_RECIPIENTS)


@router.get(
    "/realms/{realm}/secret-expiry",
    response={200: SecretExpiryRepresentation, **ERRORS_READ},
    summary="Get the secret expiry settings",
    description="Warning thresholds, automatic rotation and email recipients of the realm. Needs view-realm.",
)
def secret_expiry_get(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    return json_response(selectors.expiry_settings_representation(selectors.expiry_settings_get(realm=realm_obj)))


@router.put(
    "/realms/{realm}/secret-expiry",
    response={204: None, **ERRORS_WRITE},
    summary="Update the secret expiry settings",
    description="Changes the fields sent. Needs manage-realm. Recorded as an admin event (`REALM_SECRET_EXPIRY`).",
    openapi_extra=body_doc(SecretExpiryUpdate, required=True),
)
def secret_expiry_update(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    body = b.json_object(request, REP, required=True)
    b.reject_unknown(body, set(FIELDS), REP)
    values = selectors.expiry_settings_representation(selectors.expiry_settings_get(realm=realm_obj))
    values.update({name: value for name, value in body.items() if value is not None})
    try:
        services.expiry_settings_update(realm=realm_obj, actor=auth.actor, **{FIELDS[name]: value for name, value in values.items()})
    except services.ExpirySettingsInvalid as exc:
        raise error_message(400, exc.message) from None
    return no_content()
