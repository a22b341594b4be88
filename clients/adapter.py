"""Keycloak's adapter configuration of a client (the ``keycloak-oidc-keycloak-json`` installation
provider): the ``keycloak.json`` an application reads to reach this server as its client.

Keycloak's KeycloakOIDCClientInstallation, field for field: ``realm``, ``auth-server-url`` (the
server root, with its slash), ``ssl-required`` (``external``: the server's own rule in production,
HTTPS except from private addresses), ``resource`` (the clientId), ``public-client`` or
``bearer-only`` when so, ``credentials`` for a client with a secret, ``use-resource-role-mappings``
when the client has roles, ``confidential-port`` 0.

The secret in clear only for callers allowed to read it (manage-clients, and every role of the
client's service account: ``clients.selectors``); anyone else gets the mask, as in every other
representation of the client (docs/differences.md (ad)).
"""

from __future__ import annotations

from clients import secrets as secret_store
from clients.models import SECRET_AUTHENTICATORS, Client, ClientRole

PROVIDER_ID = "keycloak-oidc-keycloak-json"
FILE_NAME = "keycloak.json"


def adapter_config(*, client: Client, server_url: str, include_secret: bool) -> dict:
    """The keycloak.json of ``client``; ``server_url`` is the server root as the caller reached it."""
    config: dict = {
        "realm": client.realm.name,
        "auth-server-url": server_url.rstrip("/") + "/",
        "ssl-required": "external",
        "resource": client.client_id,
    }
    if client.public_client and not client.bearer_only:
        config["public-client"] = True
    if client.bearer_only:
        config["bearer-only"] = True
        config["verify-token-audience"] = True
    if client.has_secret_type or (client.bearer_only and client.service_accounts_enabled):
        config["credentials"] = _credentials(client, include_secret=include_secret)
    if ClientRole.objects.filter(client=client).exists():
        config["use-resource-role-mappings"] = True
    config["confidential-port"] = 0
    return config


def _credentials(client: Client, *, include_secret: bool) -> dict:
    if client.client_authenticator_type not in SECRET_AUTHENTICATORS:
        return {}  # a key or certificate lives with the application, never here
    if include_secret:
        current, _ = secret_store.secret_rows(client)
        value = secret_store.secret_value(current) if current is not None else None
    else:
        value = secret_store.MASK
    if value is None:
        return {}
    if client.client_authenticator_type == "client-secret-jwt":
        return {"secret-jwt": {"secret": value}}
    return {"secret": value}
