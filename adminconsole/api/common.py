"""What the Admin API's routers share, kept apart from the API instance that imports them."""

from __future__ import annotations

from pydantic import BaseModel

from adminconsole.api.errors import ApiError
from realms import selectors
from realms.models import Realm

_REQUEST_SCHEMAS: dict[str, type[BaseModel] | dict] = {}


def body_doc(model: type[BaseModel] | tuple[str, dict], *, required: bool = False, description: str | None = None) -> dict:
    """``openapi_extra`` declaring a JSON request body that the handler reads itself.

    Handlers read bodies with ``adminconsole.api.body`` (empty body = none, Keycloak's error
    shapes), so ninja must not parse them; this only documents the body in the OpenAPI schema.
    ``model`` is a pydantic model, or ``(name, JSON schema)`` for a schema derived from the
    declarations the representation parsers use.
    """
    if isinstance(model, tuple):
        name, schema = model
    else:
        name, schema = model.__name__, model
    _REQUEST_SCHEMAS[name] = schema
    body = {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        "required": required,
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def realm_get(name: str) -> Realm:
    realm = selectors.realm_find(name=name)
    if realm is None:
        raise ApiError(404, {"error": "Realm not found."})
    return realm


def authorized_realm(request, realm: str, role: str):
    """The caller's auth and the realm at ``/realms/{realm}``: realm 404 first, then role 403."""
    auth = request.auth
    realm_obj = realm_get(realm)
    auth.require(role)
    return auth, realm_obj
