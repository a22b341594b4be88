"""The users services' refusals, in the Admin REST API's wire shapes (the console shows the message)."""

from __future__ import annotations

from realms.errors import ApiError


class UserError(ApiError):
    """A change refused for a reason the caller can read: 400 ``{"errorMessage": ...}``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(status, {"errorMessage": message})
        self.message = message


class UserExists(UserError):
    def __init__(self, message: str = "User exists with same username"):
        super().__init__(message, status=409)


class UserNotFound(ApiError):
    def __init__(self):
        super().__init__(404, {"error": "User not found"})
        self.message = "User not found"


class UserAccessDenied(ApiError):
    """The caller lacks a role the change needs (or one the user holds): the ordinary 403."""

    def __init__(self, missing: list[str]):
        super().__init__(403, {"error": "HTTP 403 Forbidden"})
        self.missing = missing
        self.message = f"You do not hold {', '.join(missing)}" if missing else "Forbidden"
