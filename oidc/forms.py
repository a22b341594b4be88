from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm

MAX_LIFESPAN = 365 * 24 * 3600


class RealmTokensForm(ConsoleForm):
    access_token_lifespan = forms.IntegerField(
        label="Access Token Lifespan",
        min_value=1,
        max_value=MAX_LIFESPAN,
        help_text="Max time, in seconds, before an access token is expired. This value is recommended to be short relative to the SSO timeout.",
    )


class InitialAccessTokenForm(ConsoleForm):
    expiration = forms.IntegerField(
        label="Expiration",
        min_value=0,
        max_value=10 * MAX_LIFESPAN,
        initial=86400,
        help_text="Specifies how long the token will be valid, in seconds. 0 means it never expires.",
    )
    count = forms.IntegerField(
        label="Count",
        min_value=1,
        max_value=100_000,
        initial=1,
        help_text="Specifies how many clients can be created using the token.",
    )
