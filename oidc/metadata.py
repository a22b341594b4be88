"""OIDC client metadata (RFC 7591/7592) <-> Keycloak's ClientRepresentation.

Incoming metadata is checked with Authlib's ``ClientMetadataClaims`` (URIs, auth method) plus the
types this product relies on; conversion follows Keycloak's DescriptionConverter for the fields
the product models.
"""

from __future__ import annotations

import uuid

from authlib.oauth2.rfc7591 import ClientMetadataClaims
from joserfc.errors import JoseError

from clients import secrets as secret_store
from clients.models import SECRET_AUTHENTICATORS, Client
from oidc.errors import MetadataError

# token_endpoint_auth_method -> Keycloak clientAuthenticatorType (None: a public client)
AUTH_METHODS = {
    "client_secret_basic": "client-secret",
    "client_secret_post": "client-secret",
    "client_secret_jwt": "client-secret-jwt",
    "private_key_jwt": "client-jwt",
    "tls_client_auth": "client-x509",
    "none": None,
}
ALLOWED_METHOD_ATTRIBUTE = "client.secret.authentication.allowed.method"
SIGNING_ALG_ATTRIBUTE = "token.endpoint.auth.signing.alg"
LIST_FIELDS = ("redirect_uris", "grant_types", "response_types", "contacts")
STRING_FIELDS = ("client_id", "client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri", "scope",
                 "token_endpoint_auth_method", "token_endpoint_auth_signing_alg", "software_id", "software_version")
URI_ATTRIBUTES = {"logo_uri": "logoUri", "policy_uri": "policyUri", "tos_uri": "tosUri"}


def metadata_parse(data) -> dict:
    """Validated metadata (with ``token_endpoint_auth_method`` defaulted), or ``MetadataError``."""
    if not isinstance(data, dict):
        raise MetadataError("invalid_client_metadata", "Client metadata must be a JSON object")
    for name in LIST_FIELDS:
        value = data.get(name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise MetadataError("invalid_client_metadata", f"{name} must be a list of strings")
    for name in STRING_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise MetadataError("invalid_client_metadata", f"{name} must be a string")
    options = ClientMetadataClaims.get_claims_options({"token_endpoint_auth_methods_supported": list(AUTH_METHODS)})
    claims = ClientMetadataClaims({k: v for k, v in data.items() if v is not None}, {}, options=options)
    try:
        claims.validate()
    except JoseError as exc:
        claim = getattr(exc, "claim", "") or ""
        if claim == "redirect_uris":
            raise MetadataError("invalid_redirect_uri", "Invalid redirect_uris") from None
        if claim == "token_endpoint_auth_method":
            raise MetadataError("invalid_client_metadata", "Invalid client authentication method") from None
        raise MetadataError("invalid_client_metadata", f"Invalid {claim or 'client metadata'}") from None
    return dict(claims)


def metadata_to_representation(metadata: dict, *, create: bool) -> dict:
    """The ClientRepresentation fields the metadata sets (a partial representation on update).

    A ``client_secret`` in the metadata is ignored: the server makes the secret.
    """
    representation: dict = {}
    attributes: dict = {}
    if metadata.get("client_id"):
        representation["clientId"] = metadata["client_id"]
    elif create:
        representation["clientId"] = str(uuid.uuid4())
    if "client_name" in metadata:
        representation["name"] = metadata["client_name"]
    if "redirect_uris" in metadata:
        representation["redirectUris"] = list(metadata["redirect_uris"])
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    authenticator = AUTH_METHODS[method]
    representation["publicClient"] = authenticator is None
    representation["bearerOnly"] = False
    if authenticator is not None:
        representation["clientAuthenticatorType"] = authenticator
    if method == "client_secret_post":
        attributes[ALLOWED_METHOD_ATTRIBUTE] = method
    elif method == "client_secret_basic" and not create:
        attributes[ALLOWED_METHOD_ATTRIBUTE] = None
    if "grant_types" in metadata:
        grants = set(metadata["grant_types"])
        representation["standardFlowEnabled"] = "authorization_code" in grants
        representation["implicitFlowEnabled"] = "implicit" in grants
        representation["directAccessGrantsEnabled"] = "password" in grants
        representation["serviceAccountsEnabled"] = "client_credentials" in grants
    if metadata.get("token_endpoint_auth_signing_alg"):
        attributes[SIGNING_ALG_ATTRIBUTE] = metadata["token_endpoint_auth_signing_alg"]
    for name, attribute in URI_ATTRIBUTES.items():
        if name in metadata:
            attributes[attribute] = metadata[name]
    if "contacts" in metadata:
        attributes["contacts"] = "##".join(metadata["contacts"])
    if attributes:
        representation["attributes"] = attributes
    return representation


def auth_method_of(client: Client) -> str:
    if client.public_client:
        return "none"
    if client.client_authenticator_type == "client-secret":
        return (client.attributes or {}).get(ALLOWED_METHOD_ATTRIBUTE) or "client_secret_basic"
    for method, authenticator in AUTH_METHODS.items():
        if authenticator == client.client_authenticator_type and method != "client_secret_basic":
            return method
    return "client_secret_basic"


def client_metadata(
    client: Client, *, registration_client_uri: str, registration_access_token: str | None, include_secret: bool = True
) -> dict:
    """The registered client as RFC 7591 metadata (Keycloak's toExternalResponse).

    ``include_secret=False`` (a caller who may only view clients) leaves ``client_secret`` out; the
    value is then never decrypted. ``client_secret_expires_at`` stays: it is no secret.
    """
    grant_types = []
    if client.standard_flow_enabled:
        grant_types.append("authorization_code")
    if client.implicit_flow_enabled:
        grant_types.append("implicit")
    if client.direct_access_grants_enabled:
        grant_types.append("password")
    if client.service_accounts_enabled:
        grant_types.append("client_credentials")
    if grant_types:
        grant_types.append("refresh_token")
    response_types = ["code", "none"] if client.standard_flow_enabled else ["none"]
    if client.implicit_flow_enabled:
        response_types += ["id_token", "token", "id_token token"]
    body: dict = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
    }
    if not client.public_client and client.client_authenticator_type in SECRET_AUTHENTICATORS:
        current, _ = secret_store.secret_rows(client)
        if current is not None and include_secret:
            body["client_secret"] = secret_store.secret_value(current)
        body["client_secret_expires_at"] = int(current.expiration_time or 0) if current is not None else 0
    body.update({
        "registration_client_uri": registration_client_uri,
        "redirect_uris": list(client.redirect_uris or []),
        "token_endpoint_auth_method": auth_method_of(client),
        "grant_types": grant_types,
        "response_types": response_types,
        "client_name": client.name or None,
        "subject_type": "public",
        "tls_client_certificate_bound_access_tokens": False,
    })
    attributes = client.attributes or {}
    if attributes.get(SIGNING_ALG_ATTRIBUTE):
        body["token_endpoint_auth_signing_alg"] = attributes[SIGNING_ALG_ATTRIBUTE]
    for name, attribute in URI_ATTRIBUTES.items():
        if attributes.get(attribute):
            body[name] = attributes[attribute]
    if attributes.get("contacts"):
        body["contacts"] = attributes["contacts"].split("##")
    if body["client_name"] is None:
        del body["client_name"]
    if registration_access_token is not None:
        body["registration_access_token"] = registration_access_token
    return body
