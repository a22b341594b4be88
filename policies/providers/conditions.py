"""Condition types: one class each, registered with ``@condition_type`` (contract: ``base``)."""

from __future__ import annotations

from clients.models import ClientRole
from policies.providers.base import (
    ConditionType,
    ConfigError,
    Event,
    Field,
    PolicyContext,
    Vote,
    client_fact,
    condition_type,
    listed,
    string_list,
    truthy,
)
from realms.actor import ADMIN_API, CONSOLE, DYNAMIC_REGISTRATION, Actor
from realms.json_input import json_parse

ACCESS_TYPES = ("confidential", "public", "bearer-only")
UPDATER_SOURCES = ("ByAuthenticatedUser", "ByAnonymous", "ByInitialAccessToken", "ByRegistrationAccessToken")


# Events on which a condition judges the client of the request (docs/keycloak.md §4.1).
ACCESS_TYPE_CLIENT_EVENTS = frozenset(
    {
        Event.AUTHORIZATION_REQUEST,
        Event.TOKEN_REQUEST,
        Event.SERVICE_ACCOUNT_TOKEN_REQUEST,
        Event.TOKEN_REFRESH,
        Event.TOKEN_INTROSPECT,
        Event.UPDATE,
        Event.UPDATED,
        Event.REGISTERED,
    }
)
# Every event whose context exposes a client model: all but REGISTER (docs/keycloak.md §4.2, §4.5).
CLIENT_MODEL_EVENTS = frozenset(Event) - {Event.REGISTER}
ALL_EVENTS = frozenset(Event)
UPDATER_EVENTS = frozenset({Event.REGISTER, Event.UPDATE, Event.REGISTERED, Event.UPDATED})


@client_fact("roles")
def client_role_names(client) -> frozenset[str]:
    """The names of the client's roles: one query, or none when they were prefetched."""
    prefetched = getattr(client, "_prefetched_objects_cache", {}).get("roles")
    if prefetched is not None:
        return frozenset(role.name for role in prefetched)
    return frozenset(ClientRole.objects.filter(client=client).values_list("name", flat=True))


def updater_source(actor: Actor | None) -> str:
    """Where a create/update came from, as client-updater-context names it (docs/keycloak.md §4.4).

    The console and the Admin REST API always act for an authenticated administrator. Dynamic
    registration: an initial access token, a registration access token, or a bearer token that
    names a user or a client; no token (or a bearer naming neither) is anonymous.
    """
    if actor is None:
        return "ByAnonymous"
    source = getattr(actor, "source", None)
    if source in (CONSOLE, ADMIN_API):
        return "ByAuthenticatedUser"
    if source == DYNAMIC_REGISTRATION:
        kind = getattr(actor, "token_kind", None)
        if kind == "initial-access-token":
            return "ByInitialAccessToken"
        if kind == "registration-access-token":
            return "ByRegistrationAccessToken"
        if kind == "bearer" and (actor.username or actor.user_id or actor.client_id):
            return "ByAuthenticatedUser"
        return "ByAnonymous"
    # Internal callers (management commands, imports) act for an identified administrator, if any.
    if getattr(actor, "username", None) or getattr(actor, "user_id", None) or getattr(actor, "client_id", None):
        return "ByAuthenticatedUser"
    return "ByAnonymous"


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
            # The console asks for at least one (a condition without a type never matches); the
            # Admin API keeps accepting what Keycloak accepts.
            required=True,
        ),
    )

    @classmethod
    def defaults(cls) -> dict:
        return {}  # a stored condition without "type" never matches; the console pre-selects confidential

    events = ACCESS_TYPE_CLIENT_EVENTS | {Event.REGISTER}

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        string_list(effective, "type", ACCESS_TYPES)
        return effective

    def __init__(self, configuration):
        super().__init__(configuration)
        self.types = frozenset(listed(self.configuration, "type"))

    def vote(self, context: PolicyContext) -> Vote:
        if context.event == Event.REGISTER:
            rep = context.representation
            if not isinstance(rep, dict):
                return Vote.NO
            if truthy(rep.get("publicClient")):
                access = "public"
            elif truthy(rep.get("bearerOnly")):
                access = "bearer-only"
            else:
                access = "confidential"
        elif context.event in ACCESS_TYPE_CLIENT_EVENTS:
            if context.client is None:
                return Vote.NO
            access = context.client.access_type
        else:
            return Vote.ABSTAIN
        return Vote.YES if access in self.types else Vote.NO


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

    events = CLIENT_MODEL_EVENTS
    facts = frozenset({"roles"})

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        string_list(effective, "roles")
        return effective

    def __init__(self, configuration):
        super().__init__(configuration)
        self.roles = frozenset(listed(self.configuration, "roles"))

    def vote(self, context: PolicyContext) -> Vote:
        if context.event not in CLIENT_MODEL_EVENTS:
            return Vote.ABSTAIN  # REGISTER: the client does not exist yet
        if context.client is None or not self.roles:
            return Vote.NO
        # One set lookup against the client's role names, read once per request for all policies.
        return Vote.NO if self.roles.isdisjoint(context.fact("roles")) else Vote.YES

    @classmethod
    def vote_all(cls, conditions):
        # The same votes as ``vote``, for any number of conditions, in time that grows with the
        # client's roles: which conditions name each role is worked out once.
        naming: dict[str, list[int]] = {}
        for position, condition in enumerate(conditions):
            for role in condition.roles:
                naming.setdefault(role, []).append(position)
        abstain, no = [Vote.ABSTAIN] * len(conditions), [Vote.NO] * len(conditions)

        def ask(context: PolicyContext) -> list[Vote]:
            if context.event not in CLIENT_MODEL_EVENTS:
                return abstain
            if context.client is None:
                return no
            votes = no.copy()
            for role in context.fact("roles"):
                for position in naming.get(role, ()):
                    votes[position] = Vote.YES
            return votes

        return ask


@condition_type
class AnyClientCondition(ConditionType):
    provider_id = "any-client"
    label = "Any Client"
    help_text = "The condition is satisfied by any client on any event."
    description = help_text
    negative_logic = False  # the console offers no fields; a stored is-negative-logic still works
    fields = ()
    events = ALL_EVENTS

    def vote(self, context: PolicyContext) -> Vote:
        return Vote.YES


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

    events = UPDATER_EVENTS

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        string_list(effective, "update-client-source", UPDATER_SOURCES)
        return effective

    def __init__(self, configuration):
        super().__init__(configuration)
        self.sources = frozenset(listed(self.configuration, "update-client-source"))

    def vote(self, context: PolicyContext) -> Vote:
        if context.event not in UPDATER_EVENTS:
            return Vote.ABSTAIN
        return Vote.YES if updater_source(context.actor) in self.sources else Vote.NO


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
            value = json_parse(value) if value.strip() else []
        return value

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)
        try:
            pairs = cls.pairs(effective.get("attributes"))
        except (ValueError, TypeError) as exc:
            raise ConfigError("attributes must be a JSON list of key/value pairs", "attributes") from exc
        if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
            raise ConfigError("attributes must be a JSON list of key/value pairs", "attributes")
        return effective

    events = CLIENT_MODEL_EVENTS

    def __init__(self, configuration):
        super().__init__(configuration)
        self.wanted = self.wanted_attributes(self.configuration.get("attributes"))

    @classmethod
    def wanted_attributes(cls, value) -> dict[str, str] | None:
        """The configured pairs as a dict; None when the condition can never match (no pairs,
        unreadable pairs, a null key, an empty value, or a key listed twice)."""
        wanted: dict[str, str] = {}
        try:
            for pair in cls.pairs(value) or ():
                key, value = pair.get("key"), pair.get("value")
                if key in (None, "") or value in (None, "") or key in wanted:
                    return None
                wanted[key] = value
        except (ValueError, TypeError, AttributeError):
            return None
        return wanted or None

    def vote(self, context: PolicyContext) -> Vote:
        if context.event not in CLIENT_MODEL_EVENTS:
            return Vote.ABSTAIN  # REGISTER included
        client = context.client
        if client is None or self.wanted is None:
            return Vote.NO
        # Attributes are on the client's row: no fact to load.
        attributes = client.attributes or {}
        matched = all(attributes.get(key) == value for key, value in self.wanted.items())
        return Vote.YES if matched else Vote.NO
