"""Token revocation: ``POST /realms/{realm}/protocol/openid-connect/revoke`` (RFC 7009).

As Keycloak's TokenRevocationEndpoint answers:

* the client authenticates as at the token and introspection endpoints (same credentials, same
  lockout, same constant-time comparison: ``client_authenticate``); a public client names itself
  by ``client_id``; a bearer-only client is refused;
* no ``token`` parameter: ``400 invalid_request "Token not provided"``;
* a token this realm did not sign, an expired one, or garbage: ``200`` with
  ``{"error":"invalid_token","error_description":"Invalid token"}`` (RFC 7009 §2.2: nothing to
  revoke is not an error for the caller);
* a token issued to another client: ``400 invalid_request "Unmatching clients"``, nothing revoked;
* a refresh token: its login session ends (every token of the session stops working, as at logout);
* an access token: it is recorded as revoked until its ``exp``; introspection answers
  ``{"active": false}`` for it, userinfo and the Admin API 401.

``token_type_hint`` is optional and only a hint (RFC 7009 §2.1): both kinds are tried.
"""

from __future__ import annotations

from django.http import HttpResponse

from oidc import sessions, tokens
from oidc.errors import TokenError
from oidc.views.endpoint import client_authenticate, endpoint, issuer_of, json_response, realm_get
from realms.errors import OAuthError
from realms.models import Realm


@endpoint("POST")
def revoke(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    issuer = issuer_of(request, realm_obj)
    auth = client_authenticate(request, realm_obj, issuer)
    if auth.client.bearer_only:
        raise OAuthError(400, "invalid_client", "Bearer-only not allowed")
    token_value = request.POST.get("token")
    if not token_value:
        raise OAuthError(400, "invalid_request", "Token not provided")
    claims = _verified_claims(token_value, realm_obj)
    if claims is None or not isinstance(claims.get("azp"), str):
        return json_response({"error": "invalid_token", "error_description": "Invalid token"})
    if claims["azp"] != auth.client.client_id:
        raise OAuthError(400, "invalid_request", "Unmatching clients")
    if claims.get("typ") == tokens.TYP_REFRESH:
        sessions.session_end(claims["sid"])
    else:
        sessions.access_token_revoke(claims)
    response = HttpResponse(status=200)
    del response["Content-Type"]
    return response


def _verified_claims(token_value: str, realm: Realm) -> dict | None:
    """The claims of a live-signed access or refresh token of ``realm``, or None."""
    try:
        return tokens.access_token_verify(token_value, realm=realm.name)
    except TokenError:
        pass
    try:
        claims = tokens.refresh_token_verify(token_value, realm=realm.name)
    except TokenError:
        return None
    return claims if claims.get("sid") else None
