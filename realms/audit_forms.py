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
        label="Resource types", required=False, choices=[(t, t) for t in RESOURCE_TYPES], widget=forms.SelectMultiple(attrs={"size": 4})
    )
    user = forms.CharField(label="User", required=False, max_length=255, help_text="The acting user's username or id.")

    field_order = ["operation_types", "resource_types", "user", "date_from", "date_to", "max", "first"]


class UserEventSearchForm(EventSearchForm):
    types = forms.MultipleChoiceField(
        label="Event type", required=False, choices=LoginEvent.TYPES, widget=forms.CheckboxSelectMultiple
    )
    client = forms.CharField(label="Client", required=False, max_length=255)

    field_order = ["types", "client", "date_from", "date_to", "max", "first"]
