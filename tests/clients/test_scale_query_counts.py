"""Pages ``bench/console.py`` times at 100,000 clients make no more queries with 50 clients than with
5: the console's client search, the Secret rotation page's search and filters (whose count comes
from the summary), and the Admin API's client list and search."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import password_token
from tests.factories import client_secrets_make

T0 = 1_780_000_000
DAY = 86400

pytestmark = pytest.mark.django_db


def add(realm, start: int, end: int) -> None:
    for i in range(start, end):
        client_secrets_make(realm, f"app-{i:03}", created=T0 - 3600, expires=T0 + i * DAY if i % 4 else None,
                            last_used=T0 - 10, rotated_expires=T0 + 3600, rotated_last_used=T0 - 5)


def same_queries_with_more_clients(realm, http, paths: list[str], **headers) -> None:
    add(realm, 0, 5)
    counts = {}
    with time_machine.travel(T0, tick=False):
        for path in paths:
            assert http.get(path, **headers).status_code == 200  # warm the session and realm caches
            with CaptureQueriesContext(connection) as five:
                assert http.get(path, **headers).status_code == 200
            counts[path] = len(five.captured_queries)  # read now: the next request empties the log
    add(realm, 5, 50)
    with time_machine.travel(T0, tick=False):
        for path, expected in counts.items():
            with CaptureQueriesContext(connection) as fifty:
                assert http.get(path, **headers).status_code == 200
            # Never more (a page that ends in the dated rows with more clients may need one query fewer).
            assert len(fifty.captured_queries) <= expected, path


def test_console_pages(realm, admin_client):
    clients = reverse("client-list", kwargs={"realm": realm.name})
    rotation = reverse("secret-rotation", kwargs={"realm": realm.name})
    same_queries_with_more_clients(realm, admin_client, [
        f"{clients}?search=app-0",
        f"{clients}?search=APP&max=100",
        f"{rotation}?search=app-0&max=100",
        f"{rotation}?status=expiring&max=100",
        f"{rotation}?status=no-expiry&max=100",
        f"{rotation}?status=rotated-in-use&order=-expires&max=100",
        f"{rotation}?page=2",
    ])


def test_admin_api_lists(realm, client, master, admin_user):
    with time_machine.travel(T0, tick=False):
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {password_token(client, admin_user.username)}"}
    base = f"/admin/realms/{realm.name}"
    same_queries_with_more_clients(realm, client, [
        f"{base}/clients?first=0&max=20",
        f"{base}/clients?clientId=app-0&search=true&first=0&max=20",
        f"{base}/client-secrets?first=0&max=20",
        f"{base}/client-secrets?first=20&max=20",
        f"{base}/client-secrets?search=app&status=expiring",
    ], **bearer)
