"""The client page's Action → Download adapter config (the keycloak.json of Keycloak's console)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from clients.service_accounts import service_account_roles_set
from tests.factories import ClientFactory
from tests.oidc.conftest import SECRET
from tests.permissions import TO_LOGIN, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(master):
    return ClientFactory(realm=master, client_id="app", secret=SECRET)


def url(client) -> str:
    return f"/console/{client.realm.name}/clients/{client.pk}/adapter-config"


def test_who_may_open_it(permission_matrix, app):
    permission_matrix([get(url(app)), get(url(app), {"download": "1"})], anonymous=TO_LOGIN, outsider=403,
                      viewer=200, manager=200, manager_roles=["manage-clients"])


def test_manager_sees_and_downloads_the_secret(console_client, app):
    client = console_client(["manage-clients"])
    page = client.get(url(app))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Download adapter config" in text and "Keycloak OIDC JSON" in text and SECRET in text
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    download = client.get(url(app), {"download": "1"})
    assert download["Content-Disposition"] == 'attachment; filename="keycloak.json"'
    config = json.loads(download.content)
    assert config["resource"] == "app" and config["credentials"] == {"secret": SECRET}
    assert config["auth-server-url"] == "http://testserver/"


def test_viewer_never_gets_the_secret(viewer_client, app):
    page = viewer_client.get(url(app))
    assert SECRET not in page.content.decode()
    assert "The client secret is masked" in page.content.decode()
    download = viewer_client.get(url(app), {"download": "1"})
    assert SECRET not in download.content.decode()
    assert json.loads(download.content)["credentials"] == {"secret": "**********"}


def test_manager_without_the_service_accounts_roles_gets_the_mask(console_client, master):
    privileged = ClientFactory(realm=master, client_id="priv", service_accounts_enabled=True, secret=SECRET)
    service_account_roles_set(client_id="priv", grant=["manage-realm"])
    client = console_client(["manage-clients"])
    assert SECRET not in client.get(url(privileged), {"download": "1"}).content.decode()


def test_action_menu_offers_it_to_viewers_and_managers(console_client, app):
    settings = f"/console/master/clients/{app.pk}/settings"
    viewer_page = console_client(["view-clients"], client=Client()).get(settings).content.decode()
    assert "Download adapter config" in viewer_page and ">Delete<" not in viewer_page and ">Action<" not in viewer_page
    manager_page = console_client(["manage-clients"], client=Client()).get(settings).content.decode()
    assert "Download adapter config" in manager_page and ">Delete<" in manager_page and ">Action<" in manager_page


def test_unknown_client_is_404(admin_client, master):
    assert admin_client.get("/console/master/clients/00000000-0000-0000-0000-000000000000/adapter-config").status_code == 404
