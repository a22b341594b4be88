"""The provider registry: declarations shared by the console, the JSON editor, the API and the engine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

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

        Raises ConfigError. ``None`` and ``{}`` mean "all defaults" (product decision c).
        """
        if configuration is None:
            configuration = {}
        if not isinstance(configuration, dict):
            raise ConfigError("configuration must be a JSON object")
        return {**cls.defaults(), **configuration}


class ExecutorType(ProviderType):
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, configuration: dict | None):
        self.configuration = self.validate(configuration)

    def execute(self, context) -> None:  # implemented by the engine's types
        raise NotImplementedError


class ConditionType(ProviderType):
    events: ClassVar[frozenset[str]] = frozenset()
    negative_logic: ClassVar[bool] = True  # offers the "Negative Logic" switch

    def __init__(self, configuration: dict | None):
        self.configuration = self.validate(configuration)

    @property
    def is_negative(self) -> bool:
        return bool(self.configuration.get("is-negative-logic") in (True, "true", "True"))

    def vote(self, context) -> str:  # "YES" | "NO" | "ABSTAIN", before negative logic
        raise NotImplementedError


EXECUTORS: dict[str, type[ExecutorType]] = {}
CONDITIONS: dict[str, type[ConditionType]] = {}

NEGATIVE_LOGIC_FIELD = Field(
    key="is-negative-logic",
    label="Negative Logic",
    help_text="If On, the result of condition's evaluation is reverted from true to false and vice versa.",
    kind="bool",
    default=False,
)


def executor_type(cls):
    EXECUTORS[cls.provider_id] = cls
    return cls


def condition_type(cls):
    if cls.negative_logic and not any(f.key == NEGATIVE_LOGIC_FIELD.key for f in cls.fields):
        cls.fields = (NEGATIVE_LOGIC_FIELD, *cls.fields)
    CONDITIONS[cls.provider_id] = cls
    return cls


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
