from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from realms.models import REALM_NAME_VALIDATORS


class ConsoleForm(forms.Form):
    """Base form: crispy renders the fields, the template owns the <form> tag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class RealmCreateForm(ConsoleForm):
    name = forms.CharField(label="Realm name", max_length=255, validators=REALM_NAME_VALIDATORS)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)


class RealmGeneralForm(ConsoleForm):
    display_name = forms.CharField(label="Display name", max_length=255, required=False)
    enabled = forms.BooleanField(label="Enabled", required=False)
