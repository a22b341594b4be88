"""The realm's public keys: ``GET /realms/{realm}/protocol/openid-connect/certs`` (JWKS)."""

from __future__ import annotations

from oidc import keys
from oidc.views.endpoint import endpoint, json_response, realm_get


@endpoint("GET")
def certs(request, realm: str):
    return json_response(keys.jwks(realm_get(realm)), headers={"Cache-Control": "no-cache"})
