from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm
from webhooks import outbound, services


class WebhookForm(ConsoleForm):
    url = forms.CharField(
        label="URL",
        max_length=outbound.MAX_URL_LENGTH,
        help_text="Where the events are posted: an http or https URL.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks"}),
    )
    event_types = forms.MultipleChoiceField(
        label="Event types",
        choices=[(t, t) for t in services.EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this webhook receives.",
        error_messages={"required": "Choose at least one event type"},
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)
