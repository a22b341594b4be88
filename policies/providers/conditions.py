"""Condition types. Declarations and validation here; behaviour (``vote``) is the engine's."""

from __future__ import annotations

import json

from policies.providers.base import ConditionType, ConfigError, Field, condition_type

ACCESS_TYPES = ("confidential", "public", "bearer-only")
UPDATER_SOURCES = ("ByAuthenticatedUser", "ByAnonymous", "ByInitialAccessToken", "ByRegistrationAccessToken")


def _string_list(effective: dict, key: str, options: tuple[str, ...] | None = None) -> None:
    value = effective.get(key)
    if value is None:
        return
    if isinstance(value, str):
        value = [value]
        effective[key] = value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings", key)
    if options is not None:
        unknown = [v for v in value if v not in options]
        if unknown:
            raise ConfigError(f"{key} has unknown value {unknown[0]}", key)


def _negative_logic(effective: dict) -> None:
    value = effective.get("is-negative-logic", False)
    if value not in (True, False, "true", "false", "True", "False"):
        raise ConfigError("is-negative-logic must be a boolean", "is-negative-logic")


@condition_type
class ClientAccessTypeCondition(ConditionType):
    provider_id = "client-access-type"
    label = "Client Access Type"
    help_text = (
        "It uses the client's access type (confidential, public, bearer-only) to determine whether the policy "
        "is applied. Condition is checked during most of OpenID Connect requests (Authorization request, token "
        "requests, introspection endpoint request etc)."
    )
    description = (
        "It uses the client's access type (confidential, public, bearer-only) to determine whether the policy is "
        "applied. Condition is checked during most of OpenID Connect requests (Authorization requests, token "
        "requests, introspection endpoint request, etc.). Confidential client has enabled client authentication "
        "when public client has disabled client authentication. Bearer-only is a deprecated client type."
    )
    fields = (
        Field(
            key="type",
            label="Client Access Type",
            help_text="Access Type of the client, for which the condition will be applied. Confidential client has "
            "enabled client authentication when public client has disabled client authentication. Bearer-only is a "
            "deprecated client type.",
            kind="multiselect",
            options=ACCESS_TYPES,
            default=("confidential",),
        ),
    )

    @classmethod
    def defaults(cls) -> dict:
        return {}  # a stored condition without "type" never matches; the console pre-selects confidential

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        _negative_logic(effective)
        _string_list(effective, "type", ACCESS_TYPES)
        return effective


@condition_type
class ClientRolesCondition(ConditionType):
    provider_id = "client-roles"
    label = "Client Roles"
    description = "Client roles"
    help_text = (
        "The condition checks whether one of the specified client roles exists on the client to determine whether "
        "the policy is applied. This effectively allows client administrator to create client role of specified "
        "name on the client to make sure that particular client policy will be applied on requests of this client. "
        "Condition is checked during most of OpenID Connect requests (Authorization request, token requests, "
        "introspection endpoint request etc)."
    )
    fields = (
        Field(
            key="roles",
            label="Client Roles",
            help_text="Client roles, which will be checked during this condition evaluation. Condition evaluates to "
            "true if client has at least one client role with the name as the client roles specified in the "
            "configuration.",
            kind="stringlist",
        ),
    )

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        _negative_logic(effective)
        _string_list(effective, "roles")
        return effective


@condition_type
class AnyClientCondition(ConditionType):
    provider_id = "any-client"
    label = "Any Client"
    help_text = "The condition is satisfied by any client on any event."
    description = help_text
    negative_logic = False  # the console offers no fields; a stored is-negative-logic still works
    fields = ()


@condition_type
class ClientUpdaterContextCondition(ConditionType):
    provider_id = "client-updater-context"
    label = "Client Updater Context"
    help_text = (
        "The condition checks the context how is client created/updated to determine whether the policy is applied. "
        "For example it checks if client is created with admin REST API or OIDC dynamic client registration. And for "
        "the letter case if it is ANONYMOUS client registration or AUTHENTICATED client registration with Initial "
        "access token or Registration access token and so on."
    )
    description = help_text
    fields = (
        Field(
            key="update-client-source",
            label="Update Client Context",
            help_text="Specifies the context how is client created or updated. ByInitialAccessToken is usually OpenID "
            "Connect client registration with the initial access token. ByRegistrationAccessToken is usually OpenID "
            "Connect client update request with the registration access token. ByAuthenticatedUser is usually Admin "
            "REST request with the token on behalf of authenticated user or client (service account). ByAnonymous is "
            "usually anonymous OpenID Client registration request.",
            kind="multiselect",
            options=UPDATER_SOURCES,
            default=("ByAuthenticatedUser",),
        ),
    )

    @classmethod
    def defaults(cls) -> dict:
        return {}

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        _negative_logic(effective)
        _string_list(effective, "update-client-source", UPDATER_SOURCES)
        return effective


@condition_type
class ClientAttributesCondition(ConditionType):
    provider_id = "client-attributes"
    label = "Client Attributes"
    help_text = (
        "The condition checks whether all of the specified client attributes exists on the client to determine "
        "whether the policy is applied. This effectively allows client administrator to create client attribute of "
        "specified name on the client to make sure that particular client policy will be applied on requests of "
        "this client. Condition is checked during most of OpenID Connect requests (Authorization request, token "
        "requests, introspection endpoint request etc.)."
    )
    description = help_text
    fields = (
        Field(
            key="attributes",
            label="Client Attributes",
            help_text="Client attributes, which will be checked during this condition evaluation. Condition evaluates "
            "to true if the client has all the client attributes with the name and value as the client attributes "
            "specified in the configuration.",
            kind="keyvalue",
        ),
    )

    @staticmethod
    def pairs(value) -> list[dict]:
        """The configured pairs: Keycloak stores a JSON-encoded string; a list is accepted too."""
        if value is None:
            return []
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else []
        return value

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        _negative_logic(effective)
        try:
            pairs = cls.pairs(effective.get("attributes"))
        except (ValueError, TypeError) as exc:
            raise ConfigError("attributes must be a JSON list of key/value pairs", "attributes") from exc
        if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
            raise ConfigError("attributes must be a JSON list of key/value pairs", "attributes")
        return effective
