"""Realm endpoints: ``/admin/realms`` and ``/admin/serverinfo``.

Thin handlers: read the body, check the role, call ``realms.services`` (and
``policies.services`` for ``clientProfiles`` / ``clientPolicies``), answer Keycloak's shapes.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from ninja import Query, Router

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc, realm_get  # noqa: F401  (realm_get re-exported)
from adminconsole.api.errors import error_message, forbidden, json_response, no_content
from adminconsole.api.schemas import (
    ERRORS_READ,
    ERRORS_WRITE,
    KeycloakError,
    RealmRepresentation,
)
from policies.representations import policies_representation, profiles_representation
from policies.services import client_policies_import
from realms import permissions, selectors, services
from realms.api.events import EVENTS_CONFIG_SCHEMA, events_config_changes, events_config_representation
from realms.models import Realm

router = Router(tags=["Realms"])

REP = "RealmRepresentation"
# The fields acted on: validated, stored in their columns, answered from them.
STORED_FIELDS = {"id", "realm", "displayName", "enabled", "accessTokenLifespan", "clientProfiles", "clientPolicies",
                 *services.EVENTS_CONFIG_FIELDS}
# Import-only collections of resources that have endpoints of their own (Keycloak's GET of a realm
# does not answer them either): accepted and ignored. Echoing them would describe clients and users
# that do not exist here.
NOT_KEPT_FIELDS = frozenset(
    "users federatedUsers clients roles groups applications oauthClients clientTemplates".split()  # noqa: SIM905
)
# The other RealmRepresentation fields Keycloak knows and this product does not act on: stored
# as sent (secrets masked) and answered by GET, so export and re-import lose nothing. Anything
# else is "Unrecognized field".
IGNORED_FIELDS = frozenset(
    """
    displayNameHtml notBefore defaultSignatureAlgorithm revokeRefreshToken refreshTokenMaxReuse
    accessTokenLifespanForImplicitFlow ssoSessionIdleTimeout ssoSessionMaxLifespan
    ssoSessionIdleTimeoutRememberMe ssoSessionMaxLifespanRememberMe offlineSessionIdleTimeout
    offlineSessionMaxLifespanEnabled offlineSessionMaxLifespan clientSessionIdleTimeout
    clientSessionMaxLifespan clientOfflineSessionIdleTimeout clientOfflineSessionMaxLifespan
    accessCodeLifespan accessCodeLifespanUserAction accessCodeLifespanLogin
    actionTokenGeneratedByAdminLifespan actionTokenGeneratedByUserLifespan oauth2DeviceCodeLifespan
    oauth2DevicePollingInterval sslRequired passwordCredentialGrantAllowed registrationAllowed
    registrationEmailAsUsername rememberMe verifyEmail loginWithEmailAllowed duplicateEmailsAllowed
    resetPasswordAllowed editUsernameAllowed userCacheEnabled realmCacheEnabled bruteForceProtected
    permanentLockout maxTemporaryLockouts bruteForceStrategy maxFailureWaitSeconds
    minimumQuickLoginWaitSeconds waitIncrementSeconds quickLoginCheckMilliSeconds maxDeltaTimeSeconds
    failureFactor privateKey publicKey certificate codeSecret roles groups defaultRoles defaultRole
    adminPermissionsClient defaultGroups requiredCredentials passwordPolicy otpPolicyType
    otpPolicyAlgorithm otpPolicyInitialCounter otpPolicyDigits otpPolicyLookAheadWindow otpPolicyPeriod
    otpPolicyCodeReusable otpSupportedApplications localizationTexts webAuthnPolicyRpEntityName
    webAuthnPolicySignatureAlgorithms webAuthnPolicyRpId webAuthnPolicyAttestationConveyancePreference
    webAuthnPolicyAuthenticatorAttachment webAuthnPolicyRequireResidentKey
    webAuthnPolicyUserVerificationRequirement webAuthnPolicyCreateTimeout
    webAuthnPolicyAvoidSameAuthenticatorRegister webAuthnPolicyAcceptableAaguids
    webAuthnPolicyExtraOrigins webAuthnPolicyPasswordlessRpEntityName
    webAuthnPolicyPasswordlessSignatureAlgorithms webAuthnPolicyPasswordlessRpId
    webAuthnPolicyPasswordlessAttestationConveyancePreference
    webAuthnPolicyPasswordlessAuthenticatorAttachment webAuthnPolicyPasswordlessRequireResidentKey
    webAuthnPolicyPasswordlessUserVerificationRequirement webAuthnPolicyPasswordlessCreateTimeout
    webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister webAuthnPolicyPasswordlessAcceptableAaguids
    webAuthnPolicyPasswordlessExtraOrigins webAuthnPolicyPasswordlessPasskeysEnabled
    clientScopeMappings scopeMappings clients clientScopes defaultDefaultClientScopes
    defaultOptionalClientScopes browserSecurityHeaders smtpServer userFederationProviders
    userFederationMappers loginTheme accountTheme adminTheme emailTheme eventsEnabled eventsExpiration
    eventsListeners enabledEventTypes adminEventsEnabled adminEventsDetailsEnabled identityProviders
    identityProviderMappers protocolMappers components internationalizationEnabled supportedLocales
    defaultLocale authenticationFlows authenticatorConfig requiredActions browserFlow registrationFlow
    directGrantFlow resetCredentialsFlow clientAuthenticationFlow dockerAuthenticationFlow
    firstBrokerLoginFlow attributes keycloakVersion userManagedAccessAllowed organizationsEnabled
    organizations verifiableCredentialsEnabled adminPermissionsEnabled social
    updateProfileOnInitialSocialLogin socialProviders applicationScopeMappings applications
    oauthClients clientTemplates users federatedUsers
    """.split()  # noqa: SIM905  (a word list reads better than a literal of 130 strings)
) - STORED_FIELDS
KEPT_FIELDS = IGNORED_FIELDS - NOT_KEPT_FIELDS
KNOWN_FIELDS = STORED_FIELDS | IGNORED_FIELDS
INT32_MAX = 2**31 - 1


def realm_request_schema(*, create: bool) -> tuple[str, dict]:
    """The JSON schema of a realm body, from the same field lists ``_realm_fields`` checks."""
    properties: dict = {
        name: {"description": "Accepted and ignored." if name in NOT_KEPT_FIELDS else "Stored as sent and answered by GET."}
        for name in sorted(IGNORED_FIELDS)
    }
    properties.update(
        {
            "id": {"type": ["string", "null"], "maxLength": 255,
                   "description": "Kept when given on create (unique; default: the name); ignored by PUT."},
            "realm": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[A-Za-z0-9_.-]+$"}
            if create
            else {"type": ["string", "null"], "minLength": 1, "maxLength": 255, "pattern": r"^[A-Za-z0-9_.-]+$",
                  "description": "A new name renames the realm (not master)."},
            "displayName": {"type": ["string", "null"], "maxLength": 255},
            "enabled": {"type": ["boolean", "null"]},
            "accessTokenLifespan": {"type": ["integer", "null"], "minimum": 1, "maximum": INT32_MAX},
            "clientProfiles": {"anyOf": [{"$ref": "#/components/schemas/ClientProfilesUpdate"}, {"type": "null"}],
                               "description": "Replaces the realm's client profiles."},
            "clientPolicies": {"anyOf": [{"$ref": "#/components/schemas/ClientPoliciesUpdate"}, {"type": "null"}],
                               "description": "Replaces the realm's client policies."},
            **EVENTS_CONFIG_SCHEMA[1]["properties"],
        }
    )
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if create:
        schema["required"] = ["realm"]
    return ("RealmRepresentationCreate" if create else "RealmRepresentationUpdate"), schema


def realm_representation(realm: Realm, *, full: bool = True) -> dict:
    """The stored extras first, then the fields acted on, so an extra never shadows one of them."""
    rep = {key: value for key, value in realm.extras.items() if key in KEPT_FIELDS} if full else {}
    rep.update({"id": realm.public_id, "realm": realm.name, "displayName": realm.display_name, "enabled": realm.enabled})
    if full:
        rep.update(events_config_representation(realm))
        rep["accessTokenLifespan"] = realm.access_token_lifespan
        # Realm-level entries only (docs/keycloak.md §8.1).
        rep["clientProfiles"] = profiles_representation(realm, include_global=False)
        rep["clientPolicies"] = policies_representation(realm, include_global=False)
    return rep


def _realm_fields(body: dict) -> dict:
    """The stored realm fields of a representation, type-checked (Keycloak's names → ours)."""
    b.reject_unknown(body, KNOWN_FIELDS, REP)
    changes = {}
    name = b.opt_str(body, "realm", REP, max_length=255)
    if name is not None:
        changes["name"] = name
    display_name = b.opt_str(body, "displayName", REP, max_length=255)
    if display_name is not None:
        changes["display_name"] = display_name
    enabled = b.opt_bool(body, "enabled", REP)
    if enabled is not None:
        changes["enabled"] = enabled
    lifespan = b.opt_int(body, "accessTokenLifespan", REP, minimum=1)
    if lifespan is not None:
        changes["access_token_lifespan"] = lifespan
    b.opt_str(body, "id", REP, max_length=255)
    changes.update(events_config_changes(body, REP))
    return changes


def _realm_extras(body: dict) -> dict:
    """The fields stored as sent; a null one is "not sent" (Keycloak's partial update)."""
    return {key: value for key, value in body.items() if key in KEPT_FIELDS and value is not None}


def _replace_client_policies(realm: Realm, body: dict, auth) -> None:
    """``clientProfiles`` / ``clientPolicies`` in a realm body replace the stored lists (docs/keycloak.md §8.1),
    with the same validation as the dedicated endpoints (profiles first)."""
    profiles, policies = body.get("clientProfiles"), body.get("clientPolicies")
    if profiles is None and policies is None:
        return
    auth.require(permissions.MANAGE_REALM)
    client_policies_import(realm=realm, client_profiles=profiles, client_policies=policies, actor=auth.actor)


@router.get("/realms", response={200: list[RealmRepresentation], 400: KeycloakError, 401: KeycloakError, 403: KeycloakError},
            summary="List realms",
            description=f"By name. `first` / `max` paginate; at most {selectors.MAX_RESULTS} realms, also without `max`.")
def realms_list(
    request,
    first: int | None = Query(None, ge=0, le=INT32_MAX),
    max_: int | None = Query(None, alias="max", ge=0, le=INT32_MAX, description=f"at most {selectors.MAX_RESULTS} are answered"),
):
    auth = request.auth
    if not auth.has_any():
        raise forbidden()
    full = auth.has(permissions.VIEW_REALM)
    realms = selectors.page_of(selectors.realms_list(with_extras=full), first, max_)
    return json_response([realm_representation(realm, full=full) for realm in realms])


@router.post(
    "/realms",
    response={201: None, 400: KeycloakError, 401: KeycloakError, 403: KeycloakError, 409: KeycloakError},
    summary="Create a realm",
    description="201 with an empty body and `Location: .../admin/realms/{realm}`. A duplicate name is 409.",
    openapi_extra=body_doc(realm_request_schema(create=True), required=True),
)
def realms_create(request):
    auth = request.auth
    auth.require(permissions.MANAGE_REALM)
    body = b.json_object(request, REP, required=True)
    changes = _realm_fields(body)
    name = changes.pop("name", None)
    if not name:
        raise error_message(400, "Realm name cannot be empty")
    events = {field: changes.pop(field) for field in services.EVENTS_CONFIG_FIELDS.values() if field in changes}
    try:
        with transaction.atomic():
            realm = services.realm_create(name=name, actor=auth.actor, realm_id=body.get("id") or "",
                                          extras=_realm_extras(body), events=events, **changes)
            _replace_client_policies(realm, body, auth)
    except (services.RealmExists, IntegrityError):
        raise error_message(409, "Conflict detected. See logs for details") from None
    except services.RealmRefused as exc:
        raise error_message(400, str(exc)) from None
    # 201 with an empty, non-JSON body: python-keycloak's create_realm fails on a JSON body.
    response = HttpResponse(status=201)
    del response["Content-Type"]
    response["Location"] = request.build_absolute_uri(f"/admin/realms/{realm.name}")
    return response


@router.get("/realms/{realm}", response={200: RealmRepresentation, **ERRORS_READ}, summary="Get a realm")
def realms_get(request, realm: str):
    auth = request.auth
    realm_obj = realm_get(realm)
    if not auth.has_any():
        raise forbidden()
    return json_response(realm_representation(realm_obj, full=auth.has(permissions.VIEW_REALM)))


@router.put(
    "/realms/{realm}",
    response={204: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Update a realm (partial)",
    description="Only the fields sent change. `clientProfiles` / `clientPolicies` replace the stored lists.",
    openapi_extra=body_doc(realm_request_schema(create=False)),
)
def realms_update(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    body = b.json_object(request, REP) or {}
    changes = _realm_fields(body)
    if changes.get("name") == realm_obj.name:
        changes.pop("name")
    if "name" in changes and selectors.realm_exists(name=changes["name"]):
        raise error_message(409, "Realm with same name exists")
    extras = _realm_extras(body)
    try:
        with transaction.atomic():
            if changes or extras:
                realm_obj = services.realm_update(realm=realm_obj, actor=auth.actor, extras=extras, **changes)
            _replace_client_policies(realm_obj, body, auth)
    except IntegrityError:
        raise error_message(409, "Realm with same name exists") from None
    except services.RealmRefused as exc:
        raise error_message(400, str(exc)) from None
    except services.RealmProtected as exc:
        raise error_message(409, str(exc)) from None
    return no_content()


@router.delete(
    "/realms/{realm}",
    response={204: None, **ERRORS_WRITE, 409: KeycloakError},
    summary="Delete a realm",
    description="Realm master, which signs every admin token, cannot be deleted (409).",
)
def realms_delete(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    try:
        services.realm_delete(realm=realm_obj, actor=auth.actor)
    except services.RealmProtected as exc:
        raise error_message(409, str(exc)) from None
    return no_content()


@router.get("/serverinfo", response={200: dict, 401: KeycloakError, 403: KeycloakError}, summary="Server info")
def serverinfo(request):
    if not request.auth.has_any():
        raise forbidden()
    return json_response({})
