"""Token introspection: ``POST /realms/{realm}/protocol/openid-connect/token/introspect`` (RFC 7662)."""

from __future__ import annotations

from oidc import grants, sessions, tokens
from oidc.errors import TokenError
from oidc.views.endpoint import client_authenticate, endpoint, issuer_of, json_response, realm_get
from policies.engine import Event
from realms.errors import OAuthError
from realms.models import Realm


@endpoint("POST")
def introspect(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    issuer = issuer_of(request, realm_obj)
    auth = client_authenticate(request, realm_obj, issuer)
    if auth.client.public_client:
        raise OAuthError(403, "invalid_request", "Client not allowed.")
    token_value = request.POST.get("token")
    if not token_value:
        raise OAuthError(400, "invalid_request", "Token not provided.")
    grants.policies_trigger(Event.TOKEN_INTROSPECT, realm=realm_obj, client=auth.client, grant_type="introspection")
    if request.POST.get("token_type_hint") == "requesting_party_token":
        return json_response({"active": False})  # no RPTs are issued here
    claims = _introspect_claims(token_value, realm_obj)
    if claims is None:
        return json_response({"active": False})
    body = dict(claims)
    body.update({"client_id": claims.get("azp"), "username": claims.get("preferred_username"), "token_type": claims.get("typ"), "active": True})
    return json_response(body)


def _introspect_claims(token_value: str, realm: Realm) -> dict | None:
    try:
        claims = tokens.access_token_verify(token_value, realm=realm.name)
    except TokenError:
        try:
            claims = tokens.refresh_token_verify(token_value, realm=realm.name)
        except TokenError:
            return None
    # A token of an ended session, or of a disabled or deleted user or client, is not active.
    if sessions.token_holder(claims) is None:
        return None
    return claims
