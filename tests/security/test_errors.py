"""The error handler: 503 + Retry-After for a database outage, 500 otherwise; no stack traces."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from adminconsole.errors import server_error


def raised(exc, path):
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:
        return server_error(request)


@pytest.mark.parametrize("exc", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_database_errors_are_503_with_retry_after(exc):
    page = raised(exc, "/console/master/events")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert b"cannot reach its database" in page.content and b"connection refused" not in page.content
    api = raised(exc, "/admin/realms/master/clients")
    assert api.status_code == 503
    assert json.loads(api.content) == {"error": "temporarily_unavailable", "error_description": "For more on this error consult the server log."}


def test_a_database_error_wrapped_in_another_is_still_503():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as inner:
            raise RuntimeError("while loading the session") from inner
    except RuntimeError:
        response = server_error(RequestFactory().get("/realms/master/protocol/openid-connect/token"))
    assert response.status_code == 503


def test_other_errors_are_500_without_details():
    response = raised(ValueError("secret=hunter2"), "/console/master/events")
    assert response.status_code == 500
    assert b"hunter2" not in response.content and "Retry-After" not in response
    assert raised(KeyError("x"), "/admin/realms").status_code == 500
