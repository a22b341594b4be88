"""Admin REST API: ``/admin/realms/{realm}/client-policies/profiles`` and ``.../policies``.

Thin handlers over ``policies.services`` (writes, with Keycloak's validation and messages) and
``policies.representations`` (reads). A refusal is 400 ``{"errorMessage": ...}`` and stores nothing
(docs/keycloak.md §3.5).
"""

from __future__ import annotations

from ninja import Query, Router

from adminconsole.api import body as b
from adminconsole.api.common import authorized_realm, body_doc
from adminconsole.api.errors import json_response, no_content
from adminconsole.api.schemas import (
    ERRORS_READ,
    ERRORS_WRITE,
    ClientPoliciesRepresentation,
    ClientPoliciesUpdate,
    ClientProfilesRepresentation,
    ClientProfilesUpdate,
)
from policies import representations, services
from realms import permissions

router = Router(tags=["Client policies"])


@router.get(
    "/realms/{realm}/client-policies/profiles",
    response={200: ClientProfilesRepresentation, 400: ERRORS_WRITE[400], **ERRORS_READ},
    summary="Get the realm's client profiles",
    description="`globalProfiles` is present only with `include-global-profiles=true` (no global profiles ship).",
)
def profiles_get(request, realm: str, include_global_profiles: bool = Query(False, alias="include-global-profiles")):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    return json_response(representations.profiles_representation(realm_obj, include_global=include_global_profiles))


@router.put(
    "/realms/{realm}/client-policies/profiles",
    response={204: None, **ERRORS_WRITE},
    summary="Replace the realm's client profiles",
    description="The whole list is replaced; `{}` removes every realm profile. Refusals are 400 "
    "`{\"errorMessage\":...}` with Keycloak's messages, and nothing is stored.",
    openapi_extra=body_doc(ClientProfilesUpdate, required=True),
)
def profiles_put(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    services.profiles_replace(realm=realm_obj, representation=b.json_body(request), actor=auth.actor)
    return no_content()


@router.get(
    "/realms/{realm}/client-policies/policies",
    response={200: ClientPoliciesRepresentation, 400: ERRORS_WRITE[400], **ERRORS_READ},
    summary="Get the realm's client policies",
    description="`globalPolicies` is present only with `include-global-policies=true` (no global policies ship).",
)
def policies_get(request, realm: str, include_global_policies: bool = Query(False, alias="include-global-policies")):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    return json_response(representations.policies_representation(realm_obj, include_global=include_global_policies))


@router.put(
    "/realms/{realm}/client-policies/policies",
    response={204: None, **ERRORS_WRITE},
    summary="Replace the realm's client policies",
    description="The whole list is replaced; `{}` removes every realm policy. A policy may name only "
    "profiles that are already stored. Refusals are 400 `{\"errorMessage\":...}` and nothing is stored.",
    openapi_extra=body_doc(ClientPoliciesUpdate, required=True),
)
def policies_put(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.MANAGE_REALM)
    services.policies_replace(realm=realm_obj, representation=b.json_body(request), actor=auth.actor)
    return no_content()
