"""Realm settings → Secret expiry: the form. The rules are the service's
(``expiry.services.expiry_settings_clean``), shared with the Admin API."""

from __future__ import annotations

import re

from django import forms

from adminconsole.forms import ConsoleForm
from expiry import services

# The API's names → the form's.
FIELDS = {
    "warnBefore": "warn_before",
    "autoRotate": "auto_rotate",
    "autoRotateBefore": "auto_rotate_before",
    "emailRecipients": "email_recipients",
}
# Empty threshold inputs shown after the filled ones, so one more can be added without script.
SPARE_SLOTS = 2


class ThresholdsInput(forms.Widget):
    """Several ``<input name="warn_before">``, one per threshold (the template draws them)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])


class ThresholdsField(forms.Field):
    widget = ThresholdsInput

    def to_python(self, value) -> list[int]:
        if isinstance(value, str):
            value = [value]
        numbers = []
        for item in value or []:
            item = str(item).strip()
            if not item:
                continue
            if not re.fullmatch(r"[0-9]{1,12}", item):
                raise forms.ValidationError("Each threshold must be a whole number of seconds.")
            numbers.append(int(item))
        return numbers


class RecipientsField(forms.CharField):
    """Addresses separated by commas, spaces or new lines."""

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [part for part in re.split(r"[\s,;]+", text) if part]


class ExpirySettingsForm(ConsoleForm):
    warn_before = ThresholdsField(
        label="Warn before expiry",
        required=False,
        help_text="Seconds before a secret expires when a warning is sent (webhook, email, event); one more is sent when it has expired.",
    )
    auto_rotate = forms.BooleanField(
        label="Rotate automatically",
        required=False,
        help_text="The worker rotates each secret that expires within the lead time, as Re-generate does.",
    )
    auto_rotate_before = forms.IntegerField(
        label="Rotate before expiry",
        min_value=1,
        max_value=services.MAX_SECONDS,
        help_text="Lead time, in seconds: how long before its expiry a secret is rotated.",
    )
    email_recipients = RecipientsField(
        label="Email recipients",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address per line. Each sweep that finds something sends one summary.",
    )

    def clean(self):
        data = super().clean()
        values = {
            "warn_before": data.get("warn_before", []),
            "auto_rotate": data.get("auto_rotate", False),
            "auto_rotate_before": data.get("auto_rotate_before", 1),
            "email_recipients": data.get("email_recipients", []),
        }
        try:
            self.settings_values = services.expiry_settings_clean(**values)
        except services.ExpirySettingsInvalid as exc:
            for name, messages in exc.errors.items():
                if FIELDS[name] not in self.errors:
                    self.add_error(FIELDS[name], messages)
        return data

    def threshold_slots(self) -> list[dict]:
        """The threshold inputs to draw (id, value): the ones given, then spare empty ones."""
        if self.is_bound:
            values = [value for value in self.data.getlist("warn_before") if value.strip()]
        else:
            values = list(self.initial.get("warn_before") or [])
        spare = max(0, min(SPARE_SLOTS, services.MAX_THRESHOLDS - len(values)))
        return [{"id": f"warn-before-{number}", "value": value} for number, value in enumerate(values + [""] * spare, 1)]
