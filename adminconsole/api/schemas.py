"""OpenAPI descriptions of Keycloak's representations, as this API sends and accepts them.

These models describe the wire; they are not a second serializer. Handlers build their answers
with the representation functions of each app and read bodies with ``adminconsole.api.body``;
the models feed the generated OpenAPI document only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from policies.providers import CONDITIONS, EXECUTORS


class Open(BaseModel):
    """A representation that may carry more keys than listed (Keycloak's are large)."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeycloakError(Closed):
    """One of Keycloak's compact error bodies: ``{"errorMessage"}`` or ``{"error","error_description"}``."""

    errorMessage: str | None = None
    params: list[Any] | None = None
    error: str | None = None
    error_description: str | None = None


ERRORS_READ = {401: KeycloakError, 403: KeycloakError, 404: KeycloakError}
ERRORS_WRITE = {400: KeycloakError, 401: KeycloakError, 403: KeycloakError, 404: KeycloakError}


# --- client policies ------------------------------------------------------------------------------


class ExecutorEntry(Closed):
    executor: str
    configuration: dict[str, Any] | None = None


class ClientProfileRepresentation(Closed):
    name: str | None = None
    description: str | None = None
    executors: list[ExecutorEntry] | None = None


class ClientProfilesRepresentation(Closed):
    profiles: list[ClientProfileRepresentation] = Field(default_factory=list)
    globalProfiles: list[ClientProfileRepresentation] | None = Field(
        default=None, description="Present only with include-global-profiles=true."
    )


class ConditionEntry(Closed):
    condition: str
    configuration: dict[str, Any] | None = None


class ClientPolicyRepresentation(Closed):
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    conditions: list[ConditionEntry] | None = None
    profiles: list[str] | None = None


class ClientPoliciesRepresentation(Closed):
    policies: list[ClientPolicyRepresentation] = Field(default_factory=list)
    globalPolicies: list[ClientPolicyRepresentation] | None = Field(
        default=None, description="Present only with include-global-policies=true."
    )


def _provider_ids(kind: str) -> list[str]:
    return sorted(EXECUTORS if kind == "executor" else CONDITIONS)


class ExecutorEntryIn(Closed):
    executor: str = Field(json_schema_extra=lambda schema: schema.update(enum=_provider_ids("executor")))
    configuration: dict[str, Any] | None = Field(
        default=None, description="Free-form per executor; numbers of seconds may be strings or numbers."
    )


class ClientProfileIn(Closed):
    name: str = Field(min_length=1)
    description: str | None = None
    executors: list[ExecutorEntryIn] | None = None


class ConditionEntryIn(Closed):
    condition: str = Field(json_schema_extra=lambda schema: schema.update(enum=_provider_ids("condition")))
    configuration: dict[str, Any] | None = None


class ClientPolicyIn(Closed):
    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool | None = Field(default=None, description="Stored as false when missing.")
    conditions: list[ConditionEntryIn] | None = None
    profiles: list[str] | None = Field(
        default=None, description="Names of profiles that are already stored; each at most once."
    )


class ClientProfilesUpdate(Closed):
    """Body of PUT .../client-policies/profiles: replaces the realm's profiles (names unique)."""

    profiles: list[ClientProfileIn] | None = None
    globalProfiles: list[ClientProfileRepresentation] | None = Field(
        default=None, max_length=0, description="No global profiles ship: only an empty list may be sent back."
    )


class ClientPoliciesUpdate(Closed):
    """Body of PUT .../client-policies/policies: replaces the realm's policies (names unique)."""

    policies: list[ClientPolicyIn] | None = None
    globalPolicies: list[ClientPolicyRepresentation] | None = Field(
        default=None, max_length=0, description="No global policies ship: only an empty list may be sent back."
    )


# --- realms ---------------------------------------------------------------------------------------


class RealmRepresentation(Open):
    id: str
    realm: str
    displayName: str | None = None
    enabled: bool
    accessTokenLifespan: int | None = None
    clientProfiles: ClientProfilesRepresentation | None = None
    clientPolicies: ClientPoliciesRepresentation | None = None


# --- clients --------------------------------------------------------------------------------------


class ClientRepresentation(Open):
    id: str | None = None
    clientId: str | None = None
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    protocol: str | None = None
    publicClient: bool | None = None
    bearerOnly: bool | None = None
    clientAuthenticatorType: str | None = None
    secret: str | None = None
    serviceAccountsEnabled: bool | None = None
    standardFlowEnabled: bool | None = None
    directAccessGrantsEnabled: bool | None = None
    implicitFlowEnabled: bool | None = None
    rootUrl: str | None = None
    redirectUris: list[str] | None = None
    webOrigins: list[str] | None = None
    notBefore: int | None = None
    attributes: dict[str, Any] | None = None
    registrationAccessToken: str | None = None


class CredentialRepresentation(Closed):
    type: str = "secret"
    value: str | None = None


class RoleRepresentation(Open):
    id: str | None = None
    name: str
    description: str | None = None
    composite: bool | None = None
    clientRole: bool | None = None
    containerId: str | None = None
    attributes: dict[str, list[str]] | None = None


NAME_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


class RoleRepresentationIn(Closed):
    name: str = Field(min_length=1, max_length=255, pattern=NAME_PATTERN)
    description: str | None = Field(default=None, max_length=1024)
    id: str | None = Field(default=None, description="Ignored.")
    composite: bool | None = Field(default=None, description="Ignored: client roles here are never composite.")
    clientRole: bool | None = Field(default=None, description="Ignored.")
    containerId: str | None = Field(default=None, description="Ignored.")
    attributes: dict[str, list[str]] | None = Field(default=None, description="Names to lists of values.")
    composites: Any | None = Field(default=None, description="Ignored.")


class ClientInitialAccessCreate(Closed):
    expiration: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Seconds; 0 (the default) means it never expires.")
    count: int | None = Field(default=None, ge=1, le=2**31 - 1, description="How many clients it may register (default 1).")


class ClientInitialAccess(Open):
    id: str
    token: str | None = Field(default=None, description="Only in the create answer.")
    timestamp: int | None = None
    expiration: int | None = None
    count: int | None = None
    remainingCount: int | None = None
