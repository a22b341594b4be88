"""The provider contract: what an executor or a condition receives, may do, and must declare.

An executor type or a condition type is ONE class in ONE module, registered by a decorator
(``@executor_type`` / ``@condition_type``) under its Keycloak provider id. Everything else follows
from the declaration: the console's type select and configuration form (``policies.forms``), the
JSON editor and the Admin REST API (``policies.services`` validate through ``validate``), and the
engine (``policies.engine``), which instantiates the stored configurations and calls ``vote`` /
``execute``. The README's "Adding an executor or a condition" shows a complete example.

What a type declares (class attributes):

* ``provider_id`` — Keycloak's id, stored in the profile or policy; the registry key.
* ``label``, ``help_text`` (and optionally ``description`` for conditions) — the console's words.
* ``fields`` — a tuple of ``Field``: one control each in the console's form. ``Field.kind`` picks
  the control ("seconds", "select", "multiselect", "stringlist", "bool", "keyvalue"),
  ``default`` pre-fills it and fills a stored configuration that omits the key.
  ``@condition_type`` adds the *Negative Logic* switch first, unless ``negative_logic = False``.
* ``events`` — a frozenset of ``Event``: the engine calls an executor only on these. A condition's
  ``events`` documents where it votes; it is asked on every event and answers ``Vote.ABSTAIN``
  where it has no opinion.
* ``validate(configuration) -> dict`` (classmethod) — check a configuration and return the
  effective one; call ``super().validate`` first (it refuses a non-object, fills the defaults and,
  for conditions, checks ``is-negative-logic``). Refuse with ``ConfigError(message, field_key)``;
  the services turn it into Keycloak's refusal and the console shows it next to that field.
  ``string_list`` and ``parse_seconds`` check the usual shapes. The engine validates again when it
  loads a stored configuration and skips (with a warning) an entry that no longer validates.

What a type does at run time:

* A condition implements ``vote(context: PolicyContext) -> Vote`` — ``YES``, ``NO`` or ``ABSTAIN``,
  before negative logic (the engine applies it). It only reads: the context and the stored
  client's row, and what it knows beyond the row through ``context.fact(name)`` (e.g. the
  client's role names), where ``name`` is one it declares in ``facts`` and a loader registered
  with ``@client_fact(name)`` reads it. A fact is read at most once per client per request
  (``ClientFacts``), and only when a condition asks for it; a condition never queries the
  database itself, so evaluation costs the same number of queries whatever the number of
  policies. It never writes and never raises to refuse. Work that depends only on the
  configuration (parsing, building sets) belongs in ``__init__``: the engine builds each
  condition once per configuration version and shares it between requests and threads, so
  ``vote`` must not change ``self``.
* An executor implements ``execute(context: PolicyContext) -> None``. It may:

  - refuse the operation by raising ``ClientPolicyError(error, error_description)``: the whole
    operation rolls back, the console shows ``error_description``, the APIs answer
    ``{"error", "error_description"}``; the engine records the refusing event on the error;
  - on ``REGISTER`` / ``UPDATE``, amend ``context.representation`` (the proposed client) in place;
    the service parses it again after the trigger;
  - set ``context.rotation_enabled = True`` (the one context field it may assign);
  - write secret rows, only through ``clients.secrets`` (the ``secret-rotation`` executor does);
    the caller holds the client's row lock and the transaction.

  Any other exception is a bug: it propagates as a server error.

Time: ``context.now`` (whole epoch seconds), one value per trigger; never read the clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from realms import clock
from realms.actor import DYNAMIC_REGISTRATION, Actor

if TYPE_CHECKING:
    from clients.models import Client
    from realms.models import Realm


class Event(StrEnum):
    """Keycloak's client-policy events that this product fires (``ClientPolicyEvent``)."""

    REGISTER = "REGISTER"
    REGISTERED = "REGISTERED"
    UPDATE = "UPDATE"
    UPDATED = "UPDATED"
    VIEW = "VIEW"
    UNREGISTER = "UNREGISTER"
    AUTHORIZATION_REQUEST = "AUTHORIZATION_REQUEST"
    TOKEN_REQUEST = "TOKEN_REQUEST"
    SERVICE_ACCOUNT_TOKEN_REQUEST = "SERVICE_ACCOUNT_TOKEN_REQUEST"
    TOKEN_REFRESH = "TOKEN_REFRESH"
    TOKEN_INTROSPECT = "TOKEN_INTROSPECT"


class Vote(StrEnum):
    """A condition's answer, before negative logic."""

    YES = "YES"
    NO = "NO"
    ABSTAIN = "ABSTAIN"

    def negated(self) -> Vote:
        """Negative logic: YES and NO swap, ABSTAIN stays."""
        return {Vote.YES: Vote.NO, Vote.NO: Vote.YES}.get(self, self)


@dataclass
class PolicyContext:
    """What the engine hands every condition and executor of one trigger.

    Read-only for providers, with two exceptions (see the module's docstring): an executor may
    amend ``representation`` in place and may set ``rotation_enabled``.
    """

    event: Event
    # The trigger always sets it; a unit test of one provider may leave it None.
    realm: Realm | None
    # The stored client: None on REGISTER (there is none yet); on UPDATE the client before the
    # change; on REGISTERED/UPDATED and the request events the stored client.
    client: Client | None = None
    # The proposed Keycloak ClientRepresentation (REGISTER/UPDATE), or the event payload
    # (REGISTERED/UPDATED); None where there is none.
    representation: dict[str, Any] | None = None
    # Who acts and from where: source (console/admin-api/dynamic-registration), token kind.
    actor: Actor | None = None
    # The regenerate-secret context only: the secret before the Re-generate, and the flag.
    old_secret: str | None = None
    regenerate: bool = False
    # Keycloak's per-request "rotation enabled" flag, raised by a secret-rotation executor.
    rotation_enabled: bool = False
    # Request details for request events, e.g. {"grant_type": "client_credentials"}.
    extra: dict[str, Any] = field(default_factory=dict)
    # Epoch seconds: one value per trigger, shared by every provider.
    now: int = field(default_factory=clock.epoch)
    # What the conditions know about ``client`` beyond its row; the engine passes the request's
    # (shared by every trigger of one request), otherwise one is made for this context.
    facts: ClientFacts | None = field(default=None, repr=False)

    def fact(self, name: str) -> Any:
        """A fact about the stored client (a ``@client_fact`` loader), read at most once; None
        when there is no stored client."""
        client = self.client
        if client is None:
            return None
        if self.facts is None or self.facts.client_pk != client.pk:
            self.facts = ClientFacts(client)
        return self.facts.get(name)

    @property
    def is_dynamic_registration(self) -> bool:
        return getattr(self.actor, "source", None) == DYNAMIC_REGISTRATION

    @property
    def is_dcr_update(self) -> bool:
        """Keycloak's DynamicClientUpdatedContext: UPDATED fired by a dynamic-registration update."""
        return self.event == Event.UPDATED and self.is_dynamic_registration and not self.regenerate


# Keycloak's generic refusal for any invalid executor (no executor-specific text exists).
INVALID_EXECUTOR_MESSAGE = (
    "proposed client profile contains the executor, which does not have valid provider, "
    "or has invalid configuration."
)


class ConfigError(ValueError):
    """A configuration refused by its type. ``field`` names the config key, when one is at fault.

    ``out_of_range``: the value is beyond what the product can store. Keycloak's one generic text
    for an invalid executor would not tell which limit applies, so this sentence is added to it.
    """

    def __init__(self, message: str, field: str | None = None, *, out_of_range: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.out_of_range = out_of_range


@dataclass(frozen=True)
class Field:
    """One configuration field of a type, as the console shows it.

    kind: "seconds" (whole number, stored as a string as Keycloak's console does),
          "multiselect" (list of options), "stringlist" (free list of strings),
          "select" (one option), "bool" (switch), "keyvalue" (Keycloak MAP: JSON-encoded list
          of {"key","value"} pairs).
    """

    key: str
    label: str
    help_text: str
    kind: str
    default: Any = None
    options: tuple[str, ...] = ()
    required: bool = False


class ProviderType:
    provider_id: ClassVar[str]
    label: ClassVar[str]
    help_text: ClassVar[str]
    fields: ClassVar[tuple[Field, ...]] = ()

    @classmethod
    def field(cls, key: str) -> Field | None:
        return next((f for f in cls.fields if f.key == key), None)

    @classmethod
    def defaults(cls) -> dict:
        return {f.key: f.default for f in cls.fields if f.default is not None}

    @classmethod
    def validate(cls, configuration: Any) -> dict:
        """Check a configuration and return the effective one (defaults filled in).

        Raises ConfigError. ``None`` and ``{}`` mean "all defaults" (docs/differences.md (c)).
        """
        if configuration is None:
            configuration = {}
        if not isinstance(configuration, dict):
            raise ConfigError("configuration must be a JSON object")
        return {**cls.defaults(), **configuration}


class ExecutorType(ProviderType):
    """An executor: acts on the events it declares (see the module's docstring for what it may do)."""

    events: ClassVar[frozenset[Event]] = frozenset()

    def __init__(self, configuration: dict | None):
        self.configuration = self.validate(configuration)

    def execute(self, context: PolicyContext) -> None:
        """Act on ``context``; raise ``ClientPolicyError`` to refuse the operation."""
        raise NotImplementedError


class ConditionType(ProviderType):
    """A condition: votes on every event, read-only (see the module's docstring)."""

    events: ClassVar[frozenset[Event]] = frozenset()
    negative_logic: ClassVar[bool] = True  # offers the "Negative Logic" switch
    # The client facts ``vote`` reads through ``context.fact`` (names registered by ``client_fact``).
    facts: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, configuration: dict | None):
        self.configuration = self.validate(configuration)

    @classmethod
    def validate(cls, configuration: Any) -> dict:
        effective = super().validate(configuration)
        if cls.negative_logic:
            value = effective.get(NEGATIVE_LOGIC_FIELD.key, False)
            if value not in (True, False, "true", "false", "True", "False"):
                raise ConfigError("is-negative-logic must be a boolean", NEGATIVE_LOGIC_FIELD.key)
        return effective

    @property
    def is_negative(self) -> bool:
        return bool(self.configuration.get(NEGATIVE_LOGIC_FIELD.key) in (True, "true", "True"))

    @classmethod
    def vote_all(cls, conditions: Sequence[ConditionType]) -> Callable[[PolicyContext], Sequence[Vote]]:
        """How the engine asks all of a realm's conditions of this type at once: built once per
        configuration version, called at most once per trigger, it answers each one's ``vote``
        in order. The default asks them one by one; a type with many instances that differ only
        by a list (``client-roles``) answers with one index lookup per client fact instead."""

        def ask(context: PolicyContext) -> list[Vote]:
            return [condition.vote(context) for condition in conditions]

        return ask

    def group_key(self) -> tuple:
        """Conditions with equal keys vote alike on every context, whatever their negative logic:
        the engine asks one of them once per trigger and shares the vote."""
        settings = {k: v for k, v in self.configuration.items() if k != NEGATIVE_LOGIC_FIELD.key}
        return (type(self), json.dumps(settings, sort_keys=True, default=repr))

    def vote(self, context: PolicyContext) -> Vote:
        """The condition's answer on ``context``, before negative logic. Never writes, never refuses."""
        raise NotImplementedError


# The registries, by provider id, in registration order (the order the console's selects offer).
EXECUTORS: dict[str, type[ExecutorType]] = {}
CONDITIONS: dict[str, type[ConditionType]] = {}

# Client facts by name: a loader reads one fact about a stored client (``client_fact``).
FACTS: dict[str, Callable[[Client], Any]] = {}


def client_fact(name: str):
    """Decorator: register ``loader(client) -> value`` as the fact ``name`` (one query at most)."""

    def register(loader: Callable[[Client], Any]) -> Callable[[Client], Any]:
        FACTS[name] = loader
        return loader

    return register


class ClientFacts:
    """The facts about one stored client, each loaded the first time a condition asks for it.

    The engine keeps one per client for the whole request (``policies.engine``), so the UPDATE
    and UPDATED of one client update (or any request's several triggers) read each fact
    once; a change to what a fact reads drops them (``policies.signals``). Values are never
    changed in place, so sharing them is safe.
    """

    __slots__ = ("client", "client_pk", "_values")

    def __init__(self, client: Client):
        self.client = client
        self.client_pk = client.pk
        self._values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            value = self._values[name] = FACTS[name](self.client)
            return value


NEGATIVE_LOGIC_FIELD = Field(
    key="is-negative-logic",
    label="Negative Logic",
    help_text="If On, the result of condition's evaluation is reverted from true to false and vice versa.",
    kind="bool",
    default=False,
)


def executor_type(cls: type[ExecutorType]) -> type[ExecutorType]:
    """Class decorator: register an executor type under its ``provider_id``."""
    EXECUTORS[cls.provider_id] = cls
    return cls


def condition_type(cls: type[ConditionType]) -> type[ConditionType]:
    """Class decorator: register a condition type under its ``provider_id`` (with the Negative
    Logic field first, unless ``negative_logic = False``)."""
    if cls.negative_logic and not any(f.key == NEGATIVE_LOGIC_FIELD.key for f in cls.fields):
        cls.fields = (NEGATIVE_LOGIC_FIELD, *cls.fields)
    CONDITIONS[cls.provider_id] = cls
    return cls


def provider_unregister(cls: type[ProviderType]) -> None:
    """Remove a registered type (for tests that register an example type)."""
    registry: dict = EXECUTORS if issubclass(cls, ExecutorType) else CONDITIONS
    if registry.get(cls.provider_id) is cls:
        del registry[cls.provider_id]


# --- helpers for validate() and vote() -------------------------------------------------------


def truthy(value: Any) -> bool:
    """Keycloak's booleans in representations and configurations: ``true`` or ``"true"``."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def string_list(effective: dict, key: str, options: tuple[str, ...] | None = None) -> None:
    """Check (in place) that ``effective[key]``, when present, is a list of strings, from
    ``options`` when given; a single string becomes a one-element list."""
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


def listed(configuration: dict, key: str) -> list:
    """A configured list (a single string counts as a one-element list; absent: empty)."""
    value = configuration.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


# The longest period any "seconds" field accepts: 100 years. Expiries are stored as epoch seconds
# (now + period) in a 64-bit column; a larger period would overflow it, and no rotation needs it.
MAX_SECONDS = 100 * 365 * 24 * 3600


def parse_seconds(configuration: dict, key: str) -> int:
    """A number of seconds given as a JSON number or a numeric string, at most 100 years either way."""
    value = configuration.get(key)
    seconds = None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)
    elif isinstance(value, str):
        text = value.strip()
        # ASCII digits only (str.isdigit also accepts "²", which int() refuses). Past 30 digits the
        # value is out of range whatever it is, and converting a long digit string costs time.
        if re.fullmatch(r"-?[0-9]+", text):
            seconds = int(text) if len(text) <= 30 else (-(10**30) if text.startswith("-") else 10**30)
    if seconds is None:
        raise ConfigError(f"{key} must be a number of seconds", key)
    if seconds > MAX_SECONDS:
        raise ConfigError(f"{key} must not be greater than {MAX_SECONDS} seconds (100 years)", key, out_of_range=True)
    if seconds < -MAX_SECONDS:
        raise ConfigError(f"{key} must not be less than -{MAX_SECONDS} seconds (100 years)", key, out_of_range=True)
    return seconds
