"""OpenAPI descriptions of Keycloak's representations, as this API sends and accepts them.

These models describe the wire; they are not a second serializer. Handlers build their answers
with the representation functions of each app and read bodies with ``adminconsole.api.body``;
the models feed the generated OpenAPI document only.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A representation that may carry more keys than listed (Keycloak's are large)."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeycloakError(Closed):
    """One of Keycloak's compact error bodies: ``{"errorMessage"}`` or ``{"error","error_description"}``."""

    errorMessage: Optional[str] = None
    params: Optional[list[Any]] = None
    error: Optional[str] = None
    error_description: Optional[str] = None


ERRORS_READ = {401: KeycloakError, 403: KeycloakError, 404: KeycloakError}
ERRORS_WRITE = {400: KeycloakError, 401: KeycloakError, 403: KeycloakError, 404: KeycloakError}


# --- client policies ------------------------------------------------------------------------------


class ExecutorEntry(Closed):
    executor: str
    configuration: Optional[dict[str, Any]] = None


class ClientProfileRepresentation(Closed):
    name: Optional[str] = None
    description: Optional[str] = None
    executors: Optional[list[ExecutorEntry]] = None


class ClientProfilesRepresentation(Closed):
    profiles: list[ClientProfileRepresentation] = Field(default_factory=list)
    globalProfiles: Optional[list[ClientProfileRepresentation]] = Field(
        default=None, description="Present only with include-global-profiles=true."
    )


class ConditionEntry(Closed):
    condition: str
    configuration: Optional[dict[str, Any]] = None


class ClientPolicyRepresentation(Closed):
    name: Optional[str] = None
    description: Optional[str] = None
    enabled: Optional[bool] = None
    conditions: Optional[list[ConditionEntry]] = None
    profiles: Optional[list[str]] = None


class ClientPoliciesRepresentation(Closed):
    policies: list[ClientPolicyRepresentation] = Field(default_factory=list)
    globalPolicies: Optional[list[ClientPolicyRepresentation]] = Field(
        default=None, description="Present only with include-global-policies=true."
    )


def _provider_ids(kind: str) -> list[str]:
    from policies.providers import CONDITIONS, EXECUTORS

    return sorted(EXECUTORS if kind == "executor" else CONDITIONS)


class ExecutorEntryIn(Closed):
    executor: str = Field(json_schema_extra=lambda schema: schema.update(enum=_provider_ids("executor")))
    configuration: Optional[dict[str, Any]] = Field(
        default=None, description="Free-form per executor; numbers of seconds may be strings or numbers."
    )


class ClientProfileIn(Closed):
    name: str = Field(min_length=1)
    description: Optional[str] = None
    executors: Optional[list[ExecutorEntryIn]] = None


class ConditionEntryIn(Closed):
    condition: str = Field(json_schema_extra=lambda schema: schema.update(enum=_provider_ids("condition")))
    configuration: Optional[dict[str, Any]] = None


class ClientPolicyIn(Closed):
    name: str = Field(min_length=1)
    description: Optional[str] = None
    enabled: Optional[bool] = Field(default=None, description="Stored as false when missing.")
    conditions: Optional[list[ConditionEntryIn]] = None
    profiles: Optional[list[str]] = Field(
        default=None, description="Names of profiles that are already stored; each at most once."
    )


class ClientProfilesUpdate(Closed):
    """Body of PUT .../client-policies/profiles: replaces the realm's profiles (names unique)."""

    profiles: Optional[list[ClientProfileIn]] = None
    globalProfiles: Optional[list[ClientProfileRepresentation]] = Field(
        default=None, max_length=0, description="No global profiles ship: only an empty list may be sent back."
    )


class ClientPoliciesUpdate(Closed):
    """Body of PUT .../client-policies/policies: replaces the realm's policies (names unique)."""

    policies: Optional[list[ClientPolicyIn]] = None
    globalPolicies: Optional[list[ClientPolicyRepresentation]] = Field(
        default=None, max_length=0, description="No global policies ship: only an empty list may be sent back."
    )


# --- realms ---------------------------------------------------------------------------------------


class RealmRepresentation(Open):
    id: str
    realm: str
    displayName: Optional[str] = None
    enabled: bool
    accessTokenLifespan: Optional[int] = None
    clientProfiles: Optional[ClientProfilesRepresentation] = None
    clientPolicies: Optional[ClientPoliciesRepresentation] = None


# --- clients --------------------------------------------------------------------------------------


class ClientRepresentation(Open):
    id: Optional[str] = None
    clientId: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    enabled: Optional[bool] = None
    protocol: Optional[str] = None
    publicClient: Optional[bool] = None
    bearerOnly: Optional[bool] = None
    clientAuthenticatorType: Optional[str] = None
    secret: Optional[str] = None
    serviceAccountsEnabled: Optional[bool] = None
    standardFlowEnabled: Optional[bool] = None
    directAccessGrantsEnabled: Optional[bool] = None
    implicitFlowEnabled: Optional[bool] = None
    rootUrl: Optional[str] = None
    redirectUris: Optional[list[str]] = None
    webOrigins: Optional[list[str]] = None
    attributes: Optional[dict[str, Any]] = None
    registrationAccessToken: Optional[str] = None


class CredentialRepresentation(Closed):
    type: str = "secret"
    value: Optional[str] = None


class RoleRepresentation(Open):
    id: Optional[str] = None
    name: str
    description: Optional[str] = None
    composite: Optional[bool] = None
    clientRole: Optional[bool] = None
    containerId: Optional[str] = None


NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


class RoleRepresentationIn(Closed):
    name: str = Field(min_length=1, max_length=255, pattern=NAME_PATTERN)
    description: Optional[str] = Field(default=None, max_length=1024)
    id: Optional[str] = Field(default=None, description="Ignored.")
    composite: Optional[bool] = Field(default=None, description="Ignored: client roles here are never composite.")
    clientRole: Optional[bool] = Field(default=None, description="Ignored.")
    containerId: Optional[str] = Field(default=None, description="Ignored.")
    attributes: Optional[Any] = Field(default=None, description="Ignored.")
    composites: Optional[Any] = Field(default=None, description="Ignored.")


class ClientInitialAccessCreate(Closed):
    expiration: Optional[int] = Field(default=None, ge=0, le=2**31 - 1, description="Seconds; 0 (the default) means it never expires.")
    count: Optional[int] = Field(default=None, ge=1, le=2**31 - 1, description="How many clients it may register (default 1).")


class ClientInitialAccess(Open):
    id: str
    token: str
    timestamp: Optional[int] = None
    expiration: Optional[int] = None
    count: Optional[int] = None
    remainingCount: Optional[int] = None
