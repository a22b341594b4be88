"""Not found and forbidden stay inside the console (adminconsole.errors); JSON on the API paths."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

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


def test_api_and_oidc_paths_keep_their_json(admin_client, master):
    api = admin_client.get(f"/admin/realms/master/clients/{uuid.uuid4()}")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
    oidc = admin_client.get("/realms/nowhere/protocol/openid-connect/auth")
    assert oidc.status_code == 404 and "error" in json.loads(oidc.content)
