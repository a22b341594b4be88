"""UserInfo: ``GET|POST /realms/{realm}/protocol/openid-connect/userinfo`` with a bearer access token."""

from __future__ import annotations

from oidc import sessions, tokens
from oidc.errors import TokenError
from oidc.views.endpoint import bearer_token, endpoint, json_response, realm_get
from realms.errors import OAuthError


@endpoint("GET", "POST")
def userinfo(request, realm: str):
    realm_obj = realm_get(realm, enabled=True)
    challenge = f'Bearer realm="{realm_obj.name}", error="invalid_token", error_description="Token verification failed"'
    token_value = bearer_token(request) or (request.POST.get("access_token") if request.method == "POST" else None)
    if not token_value:
        raise OAuthError(401, "invalid_request", "Token not provided", headers={"WWW-Authenticate": f'Bearer realm="{realm_obj.name}"'})
    try:
        claims = tokens.access_token_verify(token_value, realm=realm_obj.name)
    except TokenError:
        raise OAuthError(401, "invalid_token", "Token verification failed", headers={"WWW-Authenticate": challenge}) from None
    if sessions.token_holder(claims) is None:
        raise OAuthError(401, "invalid_token", "Token verification failed", headers={"WWW-Authenticate": challenge})
    body = {"sub": claims["sub"], "email_verified": bool(claims.get("email_verified", False))}
    if claims.get("preferred_username") is not None:
        body["preferred_username"] = claims["preferred_username"]
    return json_response(body)
