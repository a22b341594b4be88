"""Executor types: one class each, registered with ``@executor_type`` (contract: ``base``)."""

from __future__ import annotations

from clients import secrets as secret_store
from clients.models import Client
from policies.errors import ClientPolicyError
from policies.providers.base import (
    ConfigError,
    Event,
    ExecutorType,
    Field,
    PolicyContext,
    executor_type,
    parse_seconds,
    truthy,
)

AUTHENTICATORS = ("client-secret", "client-secret-jwt", "client-jwt", "client-x509")


@executor_type
class SecretRotationExecutor(ExecutorType):
    provider_id = "secret-rotation"
    label = "Client Secret Rotation"
    help_text = (
        "The executor verifies that secret rotation is enabled for the client. If rotation is "
        "enabled, it provides validation of secrets and performs rotation if necessary."
    )
    events = frozenset({Event.REGISTERED, Event.UPDATED, Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST})
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

    # -- behaviour (docs/keycloak.md §1.5-§1.8) --------------------------------------------

    def execute(self, context: PolicyContext) -> None:
        client = context.client
        if client is None or not client.has_secret_type:
            return  # public and bearer-only clients: nothing, not even the flag (docs/keycloak.md §1.5)
        context.rotation_enabled = True
        if context.event in (Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST):
            # No expiration yet: the countdown starts now.
            secret_store.secret_expiration_start(client=client, expiration_time=context.now + self.expiration_period)
        elif context.event in (Event.REGISTERED, Event.UPDATED):
            self._create_or_update(context, client)

    def _create_or_update(self, context: PolicyContext, client: Client) -> None:
        now = context.now
        current, _rotated = secret_store.secret_rows_fresh(client=client)

        if context.regenerate:
            # a. The endpoint already generated the new secret; the context carries the old one.
            old = context.old_secret
            if not old or not old.strip():
                return
            self._store_rotated(client, old, now)
            secret_store.secret_current_set_times(
                client=client, created_time=now, expiration_time=now + self.expiration_period
            )
        elif not secret_store.secret_has_expiration(secret=current):
            # b. First time the policy sees the client: only the expiration.
            secret_store.secret_set_expiration(client, now + self.expiration_period)
        elif secret_store.secret_expired(secret=current, now=now) or (
            context.is_dcr_update and now >= current.expiration_time - self.remaining_rotation_period
        ):
            # c. Typical rotation: expired, or a DCR update inside the remaining window.
            self._store_rotated(client, secret_store.secret_value(current), now)
            secret_store.secret_set_current(client, None, now=now)
            secret_store.secret_set_expiration(client, now + self.expiration_period)
        else:
            return
        self._copy_to_representation(context, client)

    def _store_rotated(self, client: Client, old_value: str, now: int) -> None:
        """The rotated-secret rule: keep the old secret for rotated-expiration-period, or drop it."""
        if self.rotated_expiration_period > 0:
            secret_store.secret_store_rotated(
                client, old_value, now=now, expiration_time=now + self.rotated_expiration_period
            )
        else:
            secret_store.secret_remove_rotated(client)

    @staticmethod
    def _copy_to_representation(context: PolicyContext, client: Client) -> None:
        """Keycloak copies the rotation attributes into the proposed representation (event payload)."""
        rep = context.representation
        if not isinstance(rep, dict):
            return
        current, rotated = secret_store.secret_rows_fresh(client=client)
        attributes = rep.get("attributes")
        if not isinstance(attributes, dict):
            attributes = rep["attributes"] = {}
        values = secret_store.secret_attributes(current=current, rotated=rotated, include_secret=True)
        for key in secret_store.SECRET_ATTRIBUTES:
            if values.get(key) in (None, ""):
                attributes.pop(key, None)
            else:
                attributes[key] = values[key]


@executor_type
class ConfidentialClientExecutor(ExecutorType):
    provider_id = "confidential-client"
    label = "Confidential Client"
    help_text = "It makes the client enable client authentication."
    # Keycloak checks the requests; the product also refuses to create or update a public client.
    events = frozenset(
        {Event.REGISTER, Event.UPDATE, Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST, Event.SERVICE_ACCOUNT_TOKEN_REQUEST}
    )
    fields = ()

    def execute(self, context: PolicyContext) -> None:
        if context.event in (Event.REGISTER, Event.UPDATE):
            rep = context.representation if isinstance(context.representation, dict) else {}
            public = rep.get("publicClient")
            if public is None and context.client is not None:
                public = context.client.public_client
            if truthy(public):
                raise ClientPolicyError("invalid_client_metadata", "Invalid client metadata: invalid client access type")
            return
        client = context.client
        if client is None or client.public_client or client.bearer_only:
            # Keycloak's ConfidentialClientAcceptExecutor, verbatim error and description.
            raise ClientPolicyError("invalid_client", "invalid client access type")


@executor_type
class SecureClientAuthenticatorExecutor(ExecutorType):
    provider_id = "secure-client-authenticator"
    label = "Secure Client Authenticator"
    help_text = (
        "It validates the client authentication method (client authenticator) on client registration "
        "and update, and sets the default client authenticator when none is chosen."
    )
    events = frozenset({Event.REGISTER, Event.UPDATE, Event.TOKEN_REQUEST, Event.TOKEN_REFRESH, Event.TOKEN_INTROSPECT})
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

    # -- behaviour (Keycloak's SecureClientAuthenticatorExecutor) ---------------------------------

    @property
    def allowed(self) -> list[str]:
        allowed = self.configuration.get("allowed-client-authenticators")
        if isinstance(allowed, str):
            allowed = [allowed]
        return list(allowed or [])

    def execute(self, context: PolicyContext) -> None:
        if context.event in (Event.REGISTER, Event.UPDATE):
            rep = context.representation if isinstance(context.representation, dict) else None
            stored = context.client
            default = self.configuration.get("default-client-authenticator") or None
            # Auto-configure: a new client that names no authenticator gets the default. On an update
            # that names none, the stored client's authenticator stays (a partial PUT keeps it).
            if rep is not None and default and not rep.get("clientAuthenticatorType") and stored is None:
                rep["clientAuthenticatorType"] = default
            public = (rep or {}).get("publicClient")
            if public is None and stored is not None:
                public = stored.public_client
            if truthy(public):
                return  # public clients are allowed (confidential-client checks the access type)
            effective = (rep or {}).get("clientAuthenticatorType") or (
                stored.client_authenticator_type if stored is not None else "client-secret"
            )
            if effective not in self.allowed:
                raise ClientPolicyError(
                    "invalid_client_metadata", "Invalid client metadata: token_endpoint_auth_method"
                )
            return
        client = context.client
        if client is None or client.public_client:
            return
        if client.client_authenticator_type not in self.allowed:
            raise ClientPolicyError("invalid_request", "Configured client authentication method not allowed for client")
