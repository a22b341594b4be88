from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm
from realms import permissions


class UserForm(ConsoleForm):
    username = forms.CharField(label="Username", max_length=150)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    first_name = forms.CharField(label="First name", required=False, max_length=150)
    last_name = forms.CharField(label="Last name", required=False, max_length=150)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)


class PasswordForm(ConsoleForm):
    password = forms.CharField(label="Password", widget=forms.PasswordInput(render_value=False), max_length=1024, strip=False)
    password_confirmation = forms.CharField(label="Password confirmation", widget=forms.PasswordInput(render_value=False),
                                            max_length=1024, strip=False)
    temporary = forms.BooleanField(label="Temporary", required=False, initial=True,
                                   help_text="On: the user must choose a new password at their next sign-in.")

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirmation"):
            self.add_error("password_confirmation", "Password and confirmation do not match.")
        return data


class NewPasswordForm(PasswordForm):
    temporary = None


class RolesForm(ConsoleForm):
    roles = forms.MultipleChoiceField(label="Roles", required=False, widget=forms.CheckboxSelectMultiple,
                                      choices=[(role, role) for role in permissions.ALL_ROLES])
