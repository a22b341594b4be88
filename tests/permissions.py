"""The permission matrix of console views: which answer each kind of user gets for each request.

``permission_matrix`` (a fixture in tests/conftest.py) signs each kind of user in on a client of
its own and checks every request against the answer expected for that kind::

    def test_viewers_change_nothing(permission_matrix, realm):
        permission_matrix([get(LIST_URL), post(CREATE_URL, {"name": "x"})],
                          anonymous=TO_LOGIN, viewer=[200, 403], manager=200, manager_roles=["manage-clients"])

An answer is a status code, ``TO_LOGIN``, or a list with one answer per request. A kind of user
left out (``None``) is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true"}
# Realm-management roles of the kinds of user the matrix knows (see tests/conftest.py).
VIEWER_ROLES = ("view-realm", "view-clients")


@dataclass(frozen=True)
class Call:
    """One request: method, URL, form data, extra headers (``HTMX`` for an htmx request)."""

    method: str
    url: str
    data: dict | None = None
    headers: dict = field(default_factory=dict)

    def send(self, client: Client):
        return getattr(client, self.method)(self.url, self.data or {}, **self.headers)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}{' (htmx)' if self.headers.get('HTTP_HX_REQUEST') else ''}"


def get(url: str, data: dict | None = None, **headers) -> Call:
    return Call("get", url, data, headers)


def post(url: str, data: dict | None = None, **headers) -> Call:
    return Call("post", url, data, headers)


class _ToLogin:
    """The answer to a visitor who is not signed in: a redirect to the sign-in page."""

    def __repr__(self) -> str:
        return "TO_LOGIN"

    def __call__(self, response) -> bool:
        return response.status_code == 302 and response["Location"].startswith("/login?next=")


TO_LOGIN = _ToLogin()
Answer = int | Callable[[Any], bool]


def _matches(response, expected: Answer) -> bool:
    return expected(response) if callable(expected) else response.status_code == expected


def assert_answers(client: Client, calls: Sequence[Call], expected: Answer | Sequence[Answer]) -> None:
    """Send every call with ``client``; each must get ``expected`` (or its own answer from a list)."""
    answers = list(expected) if isinstance(expected, (list, tuple)) else [expected] * len(calls)
    assert len(answers) == len(calls), "one expected answer per call"
    for call, answer in zip(calls, answers, strict=True):
        response = call.send(client)
        assert _matches(response, answer), f"{call}: expected {answer!r}, got {response.status_code} {response.get('Location', '')}"


def assert_permission_matrix(
    sign_in: Callable[..., Client],
    calls: Sequence[Call],
    *,
    anonymous: Answer | Sequence[Answer] | None = None,
    outsider: Answer | Sequence[Answer] | None = None,
    viewer: Answer | Sequence[Answer] | None = None,
    manager: Answer | Sequence[Answer] | None = None,
    outsider_roles: Sequence[str] = (),
    viewer_roles: Sequence[str] = VIEWER_ROLES,
    manager_roles: Sequence[str] = (),
) -> None:
    """Check ``calls`` for each kind of user given an answer, each on a fresh client.

    anonymous: not signed in; outsider: signed in without the roles the view asks for
    (``outsider_roles``); viewer: the view-only administrator (``viewer_roles``); manager: the
    roles that may change what the view shows (``manager_roles``). ``sign_in`` is the
    ``console_client`` fixture.
    """
    if anonymous is not None:
        assert_answers(Client(), calls, anonymous)
    for expected, roles in ((outsider, outsider_roles), (viewer, viewer_roles), (manager, manager_roles)):
        if expected is not None:
            assert_answers(sign_in(list(roles), client=Client()), calls, expected)
