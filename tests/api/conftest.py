"""Fixtures for the Admin REST API: real tokens from realm master's token endpoint."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ADMIN_PASSWORD, make_user

TOKEN_URL = "/realms/master/protocol/openid-connect/token"


def password_token(client, username: str, password: str = ADMIN_PASSWORD) -> str:
    """An access token from the password grant with admin-cli, as python-keycloak asks for one."""
    response = client.post(
        TOKEN_URL,
        {"username": username, "password": password, "client_id": "admin-cli", "grant_type": "password"},
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


class Api:
    """The Django test client with a bearer token and JSON bodies, for direct HTTP tests."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        result = {}
        if self.token is not None:
            result["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        result.update(headers or {})
        return result

    def _body(self, body):
        if body is None:
            return b""
        if isinstance(body, (bytes, str)):
            return body
        return json.dumps(body)

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path, body=None, content_type="application/json", **headers):
        return self.client.post(path, self._body(body), content_type=content_type, **self._headers(headers))

    def put(self, path, body=None, content_type="application/json", **headers):
        return self.client.put(path, self._body(body), content_type=content_type, **self._headers(headers))

    def delete(self, path, body=None, content_type="application/json", **headers):
        return self.client.delete(path, self._body(body), content_type=content_type, **self._headers(headers))

    def as_token(self, token):
        return Api(self.client, token)


@pytest.fixture
def api(client, master, admin_user):
    """Authenticated as the bootstrap administrator (all four roles)."""
    return Api(client, password_token(client, admin_user.username))


@pytest.fixture
def anonymous(client, master):
    return Api(client, None)


@pytest.fixture
def api_as(client, master, django_user_model):
    """``api_as("view-clients", ...)``: a user holding exactly those roles, with a fresh token."""

    counter = iter(range(1000))

    def build(*roles: str) -> Api:
        user = make_user(django_user_model, f"user{next(counter)}", list(roles))
        return Api(client, password_token(client, user.username))

    return build


def compact(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
