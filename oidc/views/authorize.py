"""The authorization endpoint: ``/realms/{realm}/protocol/openid-connect/auth``.

Published in discovery because clients build on it; browser flows are not offered here.
"""

from __future__ import annotations

from oidc.views.endpoint import endpoint, realm_get
from realms.errors import OAuthError


@endpoint("GET", "POST")
def authorize(request, realm: str):
    realm_get(realm)
    raise OAuthError(
        400,
        "unsupported_response_type",
        "Browser login flows are not offered by this server; use the client_credentials, password or refresh_token grants",
    )
