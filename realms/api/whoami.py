"""``GET /admin/{realm}/console/whoami``: who the caller is, as Keycloak's admin console asks.

Keycloak's WhoAmI: ``userId``, ``realm``, ``displayName``, ``locale``, ``createRealm``,
``realm_access`` (realm name -> the realm-management roles held there) and ``temporary``; we also
answer ``userName``. The caller is a bearer token of realm master (as everywhere in the Admin API)
or a signed-in console session. Administrators exist only in realm master, so ``{realm}`` must be
``master`` (another existing realm is 401, as Keycloak answers a token of another realm).
``currentRealm`` limits ``realm_access`` to that realm; without it every realm is listed, each
with the same roles, since a role here holds in every realm.
"""

from __future__ import annotations

from django.conf import settings
from ninja import Query, Router

from adminconsole.api.auth import ADMIN_REALM, BearerAuth
from adminconsole.api.common import realm_get
from adminconsole.api.errors import ApiError, json_response, unauthorized
from adminconsole.api.schemas import KeycloakError
from realms import permissions, selectors

router = Router(tags=["Console"])


def _caller(request) -> tuple[str, str, str, set[str]]:
    """(user id, username, display name, roles held) of the bearer token or the console session."""
    header = request.headers.get("Authorization")
    if header:
        auth = BearerAuth()(request)
        return auth.user_id, auth.username, auth.username, set(auth.roles)
    user = request.user
    if not user.is_authenticated or not user.is_active:
        raise unauthorized(invalid_token=False)
    return str(user.pk), user.get_username(), user.get_full_name() or user.get_username(), set(permissions.roles_of(user))


@router.get(
    "/{realm}/console/whoami",
    auth=None,
    # The console's own endpoint, outside Keycloak's Admin REST API document too.
    include_in_schema=False,
    response={200: dict, 401: KeycloakError, 404: KeycloakError},
    summary="Who am I (Keycloak's admin console)",
)
def whoami(request, realm: str, currentRealm: str | None = Query(None, max_length=255)):
    realm_obj = realm_get(realm)
    user_id, username, display_name, held = _caller(request)
    if realm_obj.name != ADMIN_REALM:
        raise unauthorized(invalid_token=True)
    if currentRealm is not None:
        current = selectors.realm_find(name=currentRealm)
        if current is None:
            raise ApiError(404, {"error": "Realm not found."})
        realms = [current]
    else:
        realms = list(selectors.realms_list())
    roles = [role for role in permissions.ROLES if permissions.grants(held, role)]
    return json_response({
        "userId": user_id,
        "userName": username,
        "realm": realm_obj.name,
        "displayName": display_name,
        "locale": settings.LANGUAGE_CODE.split("-")[0],
        "createRealm": permissions.grants(held, permissions.MANAGE_REALM),
        "realm_access": {r.name: roles for r in realms} if roles else {},
        "temporary": False,
    })
