"""Console forms. The configuration part of an executor or condition form is built from the type's
``Field`` declarations (``policies.providers``): adding a type adds its form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from crispy_bootstrap5.bootstrap5 import Switch
from crispy_forms.layout import Field as LayoutField
from crispy_forms.layout import Layout
from django import forms

from adminconsole.forms import ConsoleForm
from policies.providers.base import MAX_SECONDS, ConfigError, parse_seconds

REQUIRED = "Required field"
UNIQUE_NAME_HELP = "The name must be unique within the realm"
# One shape for every duplicate name the console refuses (issue 14); the Admin API keeps
# Keycloak's texts (docs/wire-contract.md).
DUPLICATE_NAME = "A {what} named '{name}' already exists"


def duplicate_name(what: str, name: str) -> str:
    """"A client profile named 'weekly' already exists"."""
    return DUPLICATE_NAME.format(what=what, name=name)


def _name_field(**kwargs) -> forms.CharField:
    # aria-label: the accessible name stays "Name" although the label shows the required asterisk.
    return forms.CharField(
        label="Name",
        max_length=255,
        error_messages={"required": REQUIRED},
        widget=forms.TextInput(attrs={"aria-label": "Name"}),
        **kwargs,
    )


def _description_field() -> forms.CharField:
    return forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ProfileForm(ConsoleForm):
    name = _name_field(help_text=UNIQUE_NAME_HELP)
    description = _description_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(LayoutField("name"), LayoutField("description"))


class PolicyForm(ConsoleForm):
    name = _name_field()
    description = _description_field()
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(LayoutField("name"), LayoutField("description"), Switch("enabled"))


# --- configuration fields -------------------------------------------------------------------------


@dataclass
class BoundConfigField:
    """One declared configuration field with its current value, ready for the template."""

    declaration: Any
    html_name: str
    value: Any
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.declaration.key

    @property
    def kind(self) -> str:
        return self.declaration.kind

    @property
    def label(self) -> str:
        return self.declaration.label

    @property
    def help_text(self) -> str:
        return self.declaration.help_text

    @property
    def options(self) -> tuple[str, ...]:
        return self.declaration.options

    @property
    def id(self) -> str:
        return f"id_{self.html_name}"

    @property
    def max_value(self) -> int | None:
        """The browser refuses what the type would refuse anyway: seconds beyond 100 years."""
        return MAX_SECONDS if self.kind == "seconds" else None

    @property
    def min_value(self) -> int | None:
        return -MAX_SECONDS if self.kind == "seconds" else None

    @property
    def add_label(self) -> str:
        """Keycloak's ``Add {{fieldLabel}}`` button of list fields, label lower-cased."""
        return f"Add {self.label.lower()}"

    @property
    def rows(self) -> list:
        """List fields always show at least one row."""
        if self.kind == "stringlist":
            return list(self.value) or [""]
        if self.kind == "keyvalue":
            return list(self.value) or [("", "")]
        return []


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _pairs(value: Any) -> list[tuple[str, str]]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return [(str(p.get("key", "")), str(p.get("value", ""))) for p in value if isinstance(p, dict)]


def _truthy(value: Any) -> bool:
    return value in (True, "true", "True", "on")


class ConfigFieldset:
    """The configuration fields of one executor or condition type.

    * add: ``ConfigFieldset(provider)`` shows the declared defaults;
    * edit: ``ConfigFieldset(provider, configuration=stored)`` shows the stored values;
    * post: ``ConfigFieldset(provider, data=request.POST, configuration=stored)``, then
      ``configuration()`` gives what to store: the stored JSON with the declared keys replaced
      (keys the form does not know are kept verbatim).
    """

    prefix = "config"

    def __init__(self, provider, *, data=None, configuration: Any = None):
        self.provider = provider
        self.original = configuration if isinstance(configuration, dict) else None
        self.fields: list[BoundConfigField] = []
        for declaration in provider.fields:
            name = f"{self.prefix}-{declaration.key}"
            if data is not None:
                value = self._from_data(declaration, name, data)
            elif self.original is not None:
                value = self._from_stored(declaration)
            else:
                value = self._default(declaration)
            self.fields.append(BoundConfigField(declaration, name, value))

    # values ------------------------------------------------------------------------------------

    @staticmethod
    def _default(declaration) -> Any:
        default = declaration.default
        if declaration.kind in ("multiselect", "stringlist"):
            return _as_list(default)
        if declaration.kind == "keyvalue":
            return _pairs(default)
        if declaration.kind == "bool":
            return _truthy(default)
        return "" if default is None else str(default)

    def _from_stored(self, declaration) -> Any:
        if declaration.key not in self.original:
            return self._default(declaration) if declaration.kind != "multiselect" else []
        value = self.original[declaration.key]
        if declaration.kind in ("multiselect", "stringlist"):
            return _as_list(value)
        if declaration.kind == "keyvalue":
            return _pairs(value)
        if declaration.kind == "bool":
            return _truthy(value)
        return "" if value is None else str(value)

    @staticmethod
    def _from_data(declaration, name: str, data) -> Any:
        kind = declaration.kind
        if kind in ("multiselect", "stringlist"):
            return data.getlist(name)
        if kind == "keyvalue":
            return list(zip(data.getlist(f"{name}-key"), data.getlist(f"{name}-value"), strict=False))
        if kind == "bool":
            return _truthy(data.get(name))
        return (data.get(name) or "").strip()

    def configuration(self) -> dict:
        result = dict(self.original or {})
        for bound in self.fields:
            key, kind, value = bound.key, bound.kind, bound.value
            if kind in ("seconds", "select"):
                if value == "":
                    result.pop(key, None)
                elif self.original is not None and str(self.original.get(key)) == value:
                    result[key] = self.original[key]  # unchanged: keep the stored JSON type
                else:
                    result[key] = value
            elif kind == "multiselect":
                result[key] = list(value)
            elif kind == "stringlist":
                result[key] = [item.strip() for item in value if item.strip()]
            elif kind == "keyvalue":
                pairs = [{"key": k.strip(), "value": v} for k, v in value if k.strip()]
                if pairs:
                    result[key] = json.dumps(pairs, separators=(",", ":"))
                else:
                    result.pop(key, None)
            elif kind == "bool":
                result[key] = bool(value)
        return result

    # errors and list rows ----------------------------------------------------------------------

    def check(self) -> bool:
        """Judge every field on its own, before the type's own rules, so that all the mistakes of
        one post are shown at once (the type's ``validate`` stops at the first). False when any
        field got an error."""
        for bound in self.fields:
            declaration, value = bound.declaration, bound.value
            if declaration.kind == "seconds" and value != "":
                try:
                    parse_seconds({declaration.key: value}, declaration.key)
                except ConfigError as exc:
                    # The type's own sentence, naming the field by its label as the form does.
                    bound.errors.append(exc.message.replace(declaration.key, declaration.label, 1))
            elif declaration.kind == "multiselect" and declaration.required and not value:
                bound.errors.append(f"Choose at least one {declaration.label}")
        return not any(bound.errors for bound in self.fields)

    def add_error(self, key: str | None, message: str) -> bool:
        for bound in self.fields:
            if bound.key == key:
                bound.errors.append(message)
                return True
        return False

    def row_action(self, action: str) -> bool:
        """``add:<key>`` appends an empty row to a list field, ``remove:<key>:<index>`` removes one."""
        verb, _, rest = action.partition(":")
        if verb == "add":
            key, index = rest, None
        elif verb == "remove":
            key, _, index = rest.rpartition(":")
        else:
            return False
        for bound in self.fields:
            if bound.key != key or bound.kind not in ("stringlist", "keyvalue"):
                continue
            rows = bound.rows
            if verb == "add":
                rows.append("" if bound.kind == "stringlist" else ("", ""))
            else:
                try:
                    rows.pop(int(index))
                except (ValueError, IndexError):
                    return False
            bound.value = rows
            return True
        return False

