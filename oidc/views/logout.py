"""Logout: ``POST /realms/{realm}/protocol/openid-connect/logout`` ends the refresh token's session."""

from __future__ import annotations

from django.http import HttpResponse

from oidc import grants, sessions
from oidc.views.endpoint import client_authenticate, endpoint, issuer_of, realm_get
from realms.errors import OAuthError


@endpoint("POST")
def logout(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    issuer = issuer_of(request, realm_obj)
    auth = client_authenticate(request, realm_obj, issuer)
    refresh = request.POST.get("refresh_token")
    if not refresh:
        raise OAuthError(400, "invalid_request", "No refresh token")
    claims = grants.refresh_token_claims(refresh, realm=realm_obj)
    if claims.get("azp") != auth.client.client_id:
        raise OAuthError(400, "invalid_grant", "Invalid refresh token")
    sessions.session_end(claims["sid"])
    return HttpResponse(status=204)
