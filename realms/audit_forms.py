"""Search forms of the Events page (admin events and user events)."""

from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm
from realms.events import OPERATION_TYPES, RESOURCE_TYPES
from realms.models import LoginEvent

PAGE_SIZES = (10, 20, 50, 100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EventSearchForm(ConsoleForm):
    """Common to both tabs: a date range and the page position (Keycloak's ``first``/``max``)."""

    date_from = forms.DateField(label="Date(from)", required=False, widget=DateInput())
    date_to = forms.DateField(label="Date(to)", required=False, widget=DateInput())
    first = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput())
    max = forms.TypedChoiceField(
        label="Per page", required=False, coerce=int, choices=[(n, n) for n in PAGE_SIZES], empty_value=PAGE_SIZES[0]
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Date(to) must not be before Date(from).")
        data["first"] = data.get("first") or 0
        data["max"] = data.get("max") or PAGE_SIZES[0]
        return data


class AdminEventSearchForm(EventSearchForm):
    operation_types = forms.MultipleChoiceField(
        label="Operation types", required=False, choices=[(o, o) for o in OPERATION_TYPES], widget=forms.CheckboxSelectMultiple
    )
    resource_types = forms.MultipleChoiceField(
        label="Resource types", required=False, choices=[(t, t) for t in RESOURCE_TYPES], widget=forms.CheckboxSelectMultiple
    )
    user = forms.CharField(label="User", required=False, max_length=255, help_text="The acting user's username or id.")

    field_order = ["operation_types", "resource_types", "user", "date_from", "date_to", "max", "first"]


class UserEventSearchForm(EventSearchForm):
    types = forms.MultipleChoiceField(
        label="Event type", required=False, choices=LoginEvent.TYPES, widget=forms.CheckboxSelectMultiple
    )
    client = forms.CharField(label="Client", required=False, max_length=255)

    field_order = ["types", "client", "date_from", "date_to", "max", "first"]


class EventSettingsForm(ConsoleForm):
    """The Event settings tab: Keycloak's RealmEventsConfigRepresentation, the switches a person
    changes (the lists stay as the Admin API set them)."""

    events_enabled = forms.BooleanField(
        label="Save user events", required=False,
        help_text="Record client authentications (CLIENT_LOGIN, CLIENT_LOGIN_ERROR) on the User events tab.",
    )
    events_expiration = forms.IntegerField(
        label="Expiration (seconds)", required=False, min_value=0, max_value=2**40,
        help_text="The worker deletes user events older than this. Empty or 0: keep them.",
    )
    admin_events_enabled = forms.BooleanField(
        label="Save admin events", required=False, help_text="Record every change on the Admin events tab."
    )
    admin_events_details_enabled = forms.BooleanField(
        label="Include representation", required=False,
        help_text="Keep what each change sent, with every secret masked.",
    )

    def clean_events_expiration(self):
        return self.cleaned_data.get("events_expiration") or 0
