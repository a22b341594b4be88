"""Console forms for clients. Thin: they turn input into a ClientRepresentation for the services."""

from __future__ import annotations

from django import forms

from adminconsole.forms import ConsoleForm
from clients.models import AUTHENTICATOR_CHOICES, Client
from clients.representations import MAX_DESCRIPTION, MAX_ID, MAX_TEXT, MAX_URL, RepresentationError

HELP = {
    "protocol": (
        "'OpenID Connect' allows Clients to verify the identity of the End-User based on the authentication "
        "performed by an Authorization Server. It is the only protocol this console offers."
    ),
    "client_id": "Specifies ID referenced in URI and tokens. For example 'my-client'.",
    "description": (
        "Specifies description of the client. For example 'My Client for TimeSheets'. Supports keys for localized "
        "values as well. For example: ${my_client_description}"
    ),
    "client_authentication": (
        "This switch defines the type of OIDC client. When it is ON, the type is confidential access. When it is "
        "OFF, the type is public access."
    ),
    "client_authenticator": "Client Authenticator used for authentication of this client against the server",
    "enabled": "Disabled clients cannot initiate a login or have obtained access tokens.",
    "root_url": "Root URL appended to relative URLs",
    "redirect_uris": (
        "Valid URI pattern a browser can redirect to after a successful login. Simple wildcards are allowed such as "
        "'http://example.com/*'. Relative path can be specified too such as /my/relative/path/*. Relative paths are "
        "relative to the client root URL, or if none is specified the auth server root URL is used. One per line."
    ),
    "web_origins": (
        "Allowed CORS origins. To permit all origins of Valid Redirect URIs, add '+'. This does not include the '*' "
        "wildcard though. To permit all origins, explicitly add '*'. One per line."
    ),
}

# JSON field of a RepresentationError -> form field
FORM_FIELD_OF = {
    "clientId": "client_id",
    "name": "name",
    "description": "description",
    "rootUrl": "root_url",
    "redirectUris": "redirect_uris",
    "webOrigins": "web_origins",
    "clientAuthenticatorType": "client_authenticator_type",
}


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class SwitchInput(forms.CheckboxInput):
    """A Bootstrap switch: a checkbox with role="switch" (its accessible name is its label)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"role": "switch", **(attrs or {})})


class ClientFieldsForm(ConsoleForm):
    """Fields shared by Create client and the Settings tab, in Keycloak's sections."""

    GENERAL = ("client_id", "name", "description")
    CAPABILITY = ("client_authentication", "standard_flow", "direct_access_grants", "implicit_flow", "service_accounts")
    URLS = ("root_url", "redirect_uris", "web_origins")

    client_id = forms.CharField(label="Client ID", max_length=MAX_ID, help_text=HELP["client_id"])
    name = forms.CharField(label="Name", max_length=MAX_TEXT, required=False)
    description = forms.CharField(label="Description", max_length=MAX_DESCRIPTION, required=False, help_text=HELP["description"])
    client_authentication = forms.BooleanField(
        label="Client authentication", required=False, widget=SwitchInput, help_text=HELP["client_authentication"]
    )
    standard_flow = forms.BooleanField(label="Standard flow", required=False, initial=True)
    direct_access_grants = forms.BooleanField(label="Direct access grants", required=False, initial=True)
    implicit_flow = forms.BooleanField(label="Implicit flow", required=False)
    service_accounts = forms.BooleanField(label="Service account roles", required=False)
    root_url = forms.CharField(label="Root URL", max_length=MAX_URL, required=False, help_text=HELP["root_url"])
    redirect_uris = forms.CharField(
        label="Valid redirect URIs", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=HELP["redirect_uris"]
    )
    web_origins = forms.CharField(
        label="Web origins", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=HELP["web_origins"]
    )

    def general_fields(self):
        return [self[name] for name in self.GENERAL if name in self.fields]

    def capability_fields(self):
        return [self[name] for name in self.CAPABILITY if name in self.fields]

    def url_fields(self):
        return [self[name] for name in self.URLS if name in self.fields]

    def clean_redirect_uris(self):
        return lines(self.cleaned_data.get("redirect_uris"))

    def clean_web_origins(self):
        return lines(self.cleaned_data.get("web_origins"))

    def to_representation(self) -> dict:
        data = self.cleaned_data
        rep = {
            "clientId": data["client_id"],
            "name": data["name"],
            "description": data["description"],
            "rootUrl": data["root_url"],
            "redirectUris": data["redirect_uris"],
            "webOrigins": data["web_origins"],
        }
        if "client_authentication" in self.fields:
            public = not data["client_authentication"]
            rep.update(
                {
                    "publicClient": public,
                    "standardFlowEnabled": data["standard_flow"],
                    "directAccessGrantsEnabled": data["direct_access_grants"],
                    "implicitFlowEnabled": data["implicit_flow"],
                    # Turning client authentication off also clears service account roles.
                    "serviceAccountsEnabled": data["service_accounts"] and not public,
                }
            )
        return rep

    def add_representation_error(self, exc: RepresentationError) -> None:
        field = FORM_FIELD_OF.get(exc.field or "")
        self.add_error(field if field in self.fields else None, exc.message)


class ClientCreateForm(ClientFieldsForm):
    GENERAL = ("protocol", "client_id", "name", "description")

    protocol = forms.ChoiceField(label="Client type", choices=[("openid-connect", "OpenID Connect")], help_text=HELP["protocol"])

    field_order = ["protocol", "client_id", "name", "description"]

    def to_representation(self) -> dict:
        return {"protocol": self.cleaned_data["protocol"], "bearerOnly": False, **super().to_representation()}


class ClientSettingsForm(ClientFieldsForm):
    GENERAL = ("client_id", "name", "description", "enabled")

    enabled = forms.BooleanField(label="Enabled", required=False, widget=SwitchInput, help_text=HELP["enabled"])

    def __init__(self, data=None, *, client: Client, **kwargs):
        if data is None:
            kwargs.setdefault("initial", self.initial_for(client))
        super().__init__(data, **kwargs)
        if client.bearer_only and not client.public_client:
            # Bearer-only (legacy) clients have no Capability config.
            for name in self.CAPABILITY:
                del self.fields[name]

    @staticmethod
    def initial_for(client: Client) -> dict:
        return {
            "client_id": client.client_id,
            "name": client.name,
            "description": client.description,
            "enabled": client.enabled,
            "client_authentication": not client.public_client,
            "standard_flow": client.standard_flow_enabled,
            "direct_access_grants": client.direct_access_grants_enabled,
            "implicit_flow": client.implicit_flow_enabled,
            "service_accounts": client.service_accounts_enabled,
            "root_url": client.root_url,
            "redirect_uris": "\n".join(client.redirect_uris or []),
            "web_origins": "\n".join(client.web_origins or []),
        }

    def to_representation(self) -> dict:
        return {**super().to_representation(), "enabled": self.cleaned_data["enabled"]}


class ClientAuthenticatorForm(ConsoleForm):
    client_authenticator_type = forms.ChoiceField(
        label="Client Authenticator", choices=AUTHENTICATOR_CHOICES, help_text=HELP["client_authenticator"]
    )

    def add_representation_error(self, exc: RepresentationError) -> None:
        self.add_error("client_authenticator_type" if exc.field == "clientAuthenticatorType" else None, exc.message)


class ClientRoleForm(ConsoleForm):
    name = forms.CharField(label="Role name", max_length=255)
    description = forms.CharField(label="Description", max_length=1024, required=False, widget=forms.Textarea(attrs={"rows": 3}))
