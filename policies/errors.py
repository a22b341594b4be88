"""Refusals raised by the client-policies services.

Every face (console, JSON editor, Admin REST API, realm import, management commands) shows the
same ``message``; the Admin REST API answers ``status`` with ``body`` (Keycloak's wire shape).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from realms.errors import ApiError, OAuthError

if TYPE_CHECKING:
    from policies.providers.base import Event


class PolicyValidationError(ApiError):
    """A refused client-profiles or client-policies change; nothing was stored.

    * ``message``: Keycloak's text (``errorMessage`` on the wire, the ``{{error}}`` of the alerts).
    * ``field``: what the message is about, for the console to show it next to the control:
      ``"name"``, ``"executor"``, ``"condition"``, ``"profiles"`` or a configuration key such as
      ``"rotated-expiration-period"``.
    * ``detail``: a more specific sentence for that control, when Keycloak's message is generic
      (Keycloak has one text for every invalid executor configuration).
    * ``body``: the Admin REST API's 400 body. ``{"errorMessage": message}`` for the client-policy
      checks; Keycloak's REST-layer shapes (``{"error": ...}``) for representations that Jackson
      itself would refuse (unknown field, wrong JSON type).
    """

    def __init__(self, message: str, field: str | None = None, *, detail: str | None = None, body: dict | None = None):
        super().__init__(400, body if body is not None else {"errorMessage": message})
        self.message = message
        self.field = field
        self.detail = detail or message


def representation_error(representation: str, detail: str) -> PolicyValidationError:
    """Jackson's refusal of a body, in Keycloak's shape ``{"error":"Invalid json representation for X. ..."}``."""
    message = f"Invalid json representation for {representation}. {detail}"
    return PolicyValidationError(message, body={"error": message})


def unrecognized_field(representation: str, key: str) -> PolicyValidationError:
    return representation_error(
        representation, f'Unrecognized field "{key}" (class {representation}), not marked as ignorable.'
    )


def wrong_type(representation: str, key: str, expected: str) -> PolicyValidationError:
    return representation_error(representation, f'Cannot deserialize value of type `{expected}` (field "{key}").')


class PolicyNotFound(Exception):
    """The profile, policy, executor or condition named by the console no longer exists."""


class ClientPolicyError(OAuthError):
    """A refusal by a condition or executor: 400 ``{"error", "error_description"}``.

    ``event`` is the client-policy event that was refused, set by the engine (``raised_on``), so a
    face that answers differently per event (dynamic registration: 403 before the change, 400
    after it) reads it here.
    """

    def __init__(self, error: str, error_description: str, *, event: Event | None = None):
        super().__init__(400, error, error_description)
        self.event = event

    @staticmethod
    @contextmanager
    def raised_on(event: Event) -> Iterator[None]:
        """Label a refusal raised inside the block with ``event`` (unless it already names one)."""
        try:
            yield
        except ClientPolicyError as exc:
            if exc.event is None:
                exc.event = event
            raise
