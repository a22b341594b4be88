"""Not found and forbidden stay inside the console (adminconsole.errors); JSON on the API paths."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from adminconsole.errors import page_not_found, permission_denied
from clients import services
from tests.factories import client_make, profile_make

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_deleted_clients_page_says_client_not_found_with_a_link_to_clients(admin_client, master):
    client = client_make(master, "billing")
    url = reverse("client-settings", kwargs={"realm": "master", "id": client.pk})
    services.client_delete(client=client, actor=None)

    response = admin_client.get(url)

    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1 class=\"h3\">Client not found</h1>" in body
    assert '<a class="btn btn-primary" href="/console/master/clients/">Clients</a>' in body
    assert 'aria-label="Console menu"' in body and "<title>Client not found · master</title>" in body


@pytest.mark.parametrize(("path", "title", "back"), [
    ("realm-settings/client-policies/profiles/{missing}/", "Client profile not found", "Client profiles"),
    ("realm-settings/client-policies/policies/{missing}/", "Client policy not found", "Client policies"),
    ("clients/not-a-uuid/", "Page not found", "Clients"),
    ("users/999999/settings", "User not found", "Users"),
    ("no-such-page", "Page not found", "Realm master"),
])
def test_each_kind_of_object_names_itself_and_its_list(admin_client, master, path, title, back):
    profile_make(master, "kept", [])
    response = admin_client.get(f"/console/master/{path.format(missing=uuid.uuid4())}")
    assert response.status_code == 404
    body = response.content.decode()
    assert f"<h1 class=\"h3\">{title}</h1>" in body and f">{back}</a>" in body


def test_an_unknown_realm_links_to_the_console(admin_client, master):
    response = admin_client.get("/console/nowhere/clients/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Realm not found" in body and '<a class="btn btn-primary" href="/">Back to the console</a>' in body


def test_forbidden_is_a_console_page(viewer_client, master):
    response = viewer_client.get(reverse("client-create", kwargs={"realm": "master"}))
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1 class=\"h3\">Forbidden</h1>" in body and "You don&#x27;t have access to the requested resource." in body
    assert 'aria-label="Console menu"' in body


def test_an_htmx_request_gets_the_words_as_an_alert_and_the_page_stays(admin_client, master):
    response = admin_client.get(f"/console/master/clients/{uuid.uuid4()}/settings", **HTMX)
    assert response.status_code == 404 and response["HX-Reswap"] == "none"
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body and "Client not found." in body and "<main" not in body


@pytest.mark.parametrize(("handler", "path", "status", "error"), [
    (page_not_found, "/admin/realms/master/clients/x", 404, "HTTP 404 Not Found"),
    (page_not_found, "/realms/master/protocol/openid-connect/x", 404, "Unable to find matching target resource method"),
    (permission_denied, "/admin/realms/master/clients", 403, "HTTP 403 Forbidden"),
])
def test_api_and_oidc_paths_keep_their_json(rf, master, handler, path, status, error):
    """A 404 or 403 escaping a view on these paths reaches the handlers as JSON, never a page."""
    response = handler(rf.get(path), Http404() if status == 404 else PermissionDenied())
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"] == error


def test_someone_not_signed_in_learns_nothing_about_realms(client, master):
    known, unknown = client.get("/console/master/no-such-page"), client.get("/console/nowhere/no-such-page")
    assert known.status_code == unknown.status_code == 404
    def page(response):  # without the per-response CSRF token
        return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())

    assert page(known) == page(unknown)
    assert b'href="/">Back to the console</a>' in known.content
