"""The token endpoint: ``POST /realms/{realm}/protocol/openid-connect/token`` (docs/wire-contract.md §2)."""

from __future__ import annotations

from oidc import grants
from oidc.client_auth import client_login_outcome_record
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
    # The login event waits for the grant: refused after authentication, it is a CLIENT_LOGIN_ERROR.
    auth = client_authenticate(request, realm_obj, issuer, record_success=False)
    try:
        body = grant(request=request, realm=realm_obj, client=auth.client, issuer=issuer)
    except OAuthError as exc:
        client_login_outcome_record(request, realm_obj, auth, endpoint="token", error=exc.error)
        raise
    client_login_outcome_record(request, realm_obj, auth, endpoint="token", error=None)
    return json_response(body, no_store=True)
