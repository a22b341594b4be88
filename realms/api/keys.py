"""``GET /admin/realms/{realm}/keys``: Keycloak's KeysMetadataRepresentation of the realm's keys.

* ``active``: algorithm -> kid of the key that signs new tokens;
* ``keys``: every key, with ``status`` ``ACTIVE`` (signs), ``PASSIVE`` (retired, still published
  in the JWKS and accepted until its tokens expire) or ``DISABLED`` (retired and no longer accepted).

Keycloak's keys come from key-provider components; here each realm has one generated RSA key at a
time (``oidc.keys``), so ``providerId`` names that key's own provider, stable per kid, and no
``certificate`` is answered: the keys carry none.
"""

from __future__ import annotations

import uuid

from ninja import Router

from adminconsole.api.common import authorized_realm
from adminconsole.api.errors import json_response
from adminconsole.api.schemas import ERRORS_READ
from oidc import selectors as oidc_selectors
from realms import permissions

router = Router(tags=["Realm keys"])

PROVIDER_NAMESPACE = uuid.UUID("6f1d3a52-2d0e-4bb4-9d0a-7a4f0c6f7d11")
ACTIVE_PRIORITY = 100


def key_status(view) -> str:
    if view.active:
        return "ACTIVE"
    return "PASSIVE" if view.published else "DISABLED"


def keys_metadata(views) -> dict:
    active = {view.algorithm: view.kid for view in views if view.active}
    return {
        "active": active,
        "keys": [
            {
                "providerId": str(uuid.uuid5(PROVIDER_NAMESPACE, view.kid)),
                "providerPriority": ACTIVE_PRIORITY if view.active else 0,
                "kid": view.kid,
                "status": key_status(view),
                "type": "RSA",
                "algorithm": view.algorithm,
                "publicKey": view.public_key,
                "use": "SIG",
            }
            for view in views
        ],
    }


@router.get(
    "/realms/{realm}/keys",
    response={200: dict, **ERRORS_READ},
    summary="The realm's keys",
    description="Keycloak's KeysMetadataRepresentation: `active` maps each algorithm to the kid that signs, `keys` "
    "lists every key (`ACTIVE`, `PASSIVE`: retired but still accepted, `DISABLED`) with its public key "
    "(base64 DER). view-realm.",
)
def realm_keys(request, realm: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    return json_response(keys_metadata(oidc_selectors.realm_keys_list(realm=realm_obj)))
