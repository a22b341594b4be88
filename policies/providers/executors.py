"""Executor types. Declarations and validation here; behaviour (``execute``) is the engine's."""

from __future__ import annotations

from policies.providers.base import ConfigError, ExecutorType, Field, executor_type, parse_seconds

AUTHENTICATORS = ("client-secret", "client-secret-jwt", "client-jwt", "client-x509")


@executor_type
class SecretRotationExecutor(ExecutorType):
    provider_id = "secret-rotation"
    label = "Client Secret Rotation"
    help_text = (
        "The executor verifies that secret rotation is enabled for the client. If rotation is "
        "enabled, it provides validation of secrets and performs rotation if necessary."
    )
    events = frozenset({"REGISTERED", "UPDATED", "AUTHORIZATION_REQUEST", "TOKEN_REQUEST"})
    fields = (
        Field(
            key="expiration-period",
            label="Secret Expiration",
            help_text="When the secret is rotated. The time frequency for generating a new secret. (In seconds)",
            kind="seconds",
            default="2505600",
            required=True,
        ),
        Field(
            key="rotated-expiration-period",
            label="Rotated Secret Expiration",
            help_text=(
                "When secret is rotated, this is the remaining expiration time for the old secret. "
                "This value should be always smaller than Secret Expiration. When this is set to 0, "
                "the old secret will be immediately removed during client rotation (In seconds)"
            ),
            kind="seconds",
            default="172800",
            required=True,
        ),
        Field(
            key="remaining-rotation-period",
            label="Remain Expiration Time",
            help_text=(
                "During dynamic client registration client-update request, the client secret will be "
                "automatically rotated if the remaining expiration time of the current secret is smaller "
                "than the value specified by this option. This configuration option is relevant only "
                "for dynamic client update requests (In seconds)"
            ),
            kind="seconds",
            default="864000",
            required=True,
        ),
    )

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        expiration = parse_seconds(effective, "expiration-period")
        rotated = parse_seconds(effective, "rotated-expiration-period")
        remaining = parse_seconds(effective, "remaining-rotation-period")
        if expiration <= 0:
            raise ConfigError("Secret Expiration must be greater than 0", "expiration-period")
        if rotated >= expiration:
            # Product decision (b): strictly less, as the procedure's WARNING says.
            raise ConfigError(
                "Rotated Secret Expiration must be less than Secret Expiration", "rotated-expiration-period"
            )
        if remaining > expiration:
            raise ConfigError(
                "Remain Expiration Time must not be greater than Secret Expiration", "remaining-rotation-period"
            )
        return {**effective, "_seconds": (expiration, rotated, remaining)}

    @property
    def expiration_period(self) -> int:
        return self.configuration["_seconds"][0]

    @property
    def rotated_expiration_period(self) -> int:
        return self.configuration["_seconds"][1]

    @property
    def remaining_rotation_period(self) -> int:
        return self.configuration["_seconds"][2]


@executor_type
class ConfidentialClientExecutor(ExecutorType):
    provider_id = "confidential-client"
    label = "Confidential Client"
    help_text = "It makes the client enable client authentication."
    events = frozenset({"REGISTER", "UPDATE", "AUTHORIZATION_REQUEST"})
    fields = ()


@executor_type
class SecureClientAuthenticatorExecutor(ExecutorType):
    provider_id = "secure-client-authenticator"
    label = "Secure Client Authenticator"
    help_text = (
        "It validates the client authentication method (client authenticator) on client registration "
        "and update, and sets the default client authenticator when none is chosen."
    )
    events = frozenset({"REGISTER", "UPDATE"})
    fields = (
        Field(
            key="allowed-client-authenticators",
            label="Allowed Client Authenticators",
            help_text="List of available client authentication methods, which are allowed for clients to use. "
            "Other client authentication methods will not be allowed.",
            kind="multiselect",
            options=AUTHENTICATORS,
            default=None,
        ),
        Field(
            key="default-client-authenticator",
            label="Default Client Authenticator",
            help_text="This client authentication method will be set as the authentication method to new clients "
            "during client registration/update request in case that client does not have explicitly set other "
            "client authenticator method. If it is not set, then the client authenticator won't be set on new "
            "clients. Regardless the value of this option, client is still validated to match any of the allowed "
            "client authentication methods",
            kind="select",
            options=AUTHENTICATORS,
            default=None,
        ),
    )

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        allowed = effective.get("allowed-client-authenticators")
        if allowed is not None:
            if isinstance(allowed, str):
                allowed = [allowed]
            if not isinstance(allowed, list) or any(a not in AUTHENTICATORS for a in allowed):
                raise ConfigError("Allowed Client Authenticators has an unknown authenticator", "allowed-client-authenticators")
        default = effective.get("default-client-authenticator")
        if default not in (None, ""):
            if default not in AUTHENTICATORS:
                raise ConfigError("Default Client Authenticator is not a known authenticator", "default-client-authenticator")
            if allowed and default not in allowed:
                raise ConfigError(
                    "Default Client Authenticator must be one of the allowed client authenticators",
                    "default-client-authenticator",
                )
        return effective
