from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm
from realms.models import REALM_NAME_VALIDATORS


class RealmCreateForm(ConsoleForm):
    name = forms.CharField(label="Realm name", max_length=255, validators=REALM_NAME_VALIDATORS)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)


class RealmGeneralForm(ConsoleForm):
    display_name = forms.CharField(label="Display name", max_length=255, required=False)
    enabled = forms.BooleanField(label="Enabled", required=False)
