"""The OIDC protocol's own refusals, all in the OAuth shape (``realms.errors.OAuthError``).

Each carries the status and error code it is answered with when it reaches the endpoint decorator
(``oidc.views.endpoint``) unchanged; an endpoint that answers differently catches it and raises
its own ``OAuthError``.
"""

from __future__ import annotations

from realms.errors import OAuthError


class TokenError(OAuthError):
    """A token that is malformed, not signed by a published key of its realm, expired or of the wrong type.

    ``error_description`` is safe to show to the caller (Keycloak's texts where they exist).
    """

    def __init__(self, description: str = "Token is not active"):
        super().__init__(401, "invalid_token", description)


class MetadataError(OAuthError):
    """Client metadata (RFC 7591) that cannot be registered: 400 with ``error``."""

    def __init__(self, error: str, description: str):
        super().__init__(400, error, description)


class RegistrationTokenError(OAuthError):
    """An unusable initial access token: 401 ``invalid_token`` with Keycloak's description."""

    def __init__(self, description: str):
        super().__init__(401, "invalid_token", description)
