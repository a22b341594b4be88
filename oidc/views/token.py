"""The token endpoint: ``POST /realms/{realm}/protocol/openid-connect/token`` (docs/wire-contract.md §2)."""

from __future__ import annotations

from oidc import grants
from oidc.views.endpoint import client_authenticate, endpoint, issuer_of, json_response, realm_get
from realms.errors import OAuthError


@endpoint("POST")
def token(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    grant_type = request.POST.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "Missing form parameter: grant_type")
    grant = grants.GRANTS.get(grant_type)
    if grant is None:
        raise OAuthError(400, "unsupported_grant_type", "Unsupported grant_type")
    issuer = issuer_of(request, realm_obj)
    auth = client_authenticate(request, realm_obj, issuer)
    return json_response(grant(request=request, realm=realm_obj, client=auth.client, issuer=issuer), no_store=True)
