"""The base of every console form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms


class ConsoleForm(forms.Form):
    """Base form: crispy renders the fields, the template owns the <form> tag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
