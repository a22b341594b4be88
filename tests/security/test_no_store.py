"""``Cache-Control: no-store`` on every answer that carries a secret or a token (and on every other
dynamic answer), in the Admin API, the OIDC endpoints, dynamic registration and the console."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import ADMIN_PASSWORD
from tests.security.conftest import API, DCR, World, call, password_token

pytestmark = pytest.mark.django_db


def assert_no_store(response, where: str) -> None:
    assert "no-store" in response.get("Cache-Control", ""), f"{where}: Cache-Control {response.get('Cache-Control')!r}"
    assert response.get("Pragma") == "no-cache", where


def test_admin_api_answers_with_secrets_are_not_stored(client, world: World):
    token = password_token(client, "manager")
    pk = world.client.pk
    for method, path, body, status in [
        ("get", f"{API}/clients", None, 200),
        ("get", f"{API}/clients/{pk}", None, 200),
        ("get", f"{API}/clients/{pk}/client-secret", None, 200),
        ("get", f"{API}/clients/{pk}/client-secret/rotated", None, 200),
        ("post", f"{API}/clients/{pk}/client-secret", None, 200),
        ("post", f"{API}/clients/{pk}/registration-access-token", None, 200),
        ("post", f"{API}/clients-initial-access", {"count": 1}, 201),
    ]:
        response = call(client, method, path, token, body)
        assert response.status_code == status, (method, path, response.content[:300])
        assert_no_store(response, f"{method.upper()} {path}")
    assert_no_store(call(client, "get", f"{API}/clients/{pk}/client-secret"), "401 without a token")
    assert_no_store(call(client, "get", f"{API}/clients/{pk}/client-secret", password_token(client, "viewer")), "403 for a viewer")


def test_token_endpoint_and_dynamic_registration_answers_are_not_stored(client, world: World):
    token_url = "/realms/acme/protocol/openid-connect/token"
    granted = client.post(token_url, {"grant_type": "client_credentials", "client_id": world.client.client_id,
                                      "client_secret": world.current})
    assert granted.status_code == 200
    assert_no_store(granted, "client_credentials grant")
    access_token = granted.json()["access_token"]
    assert_no_store(client.post(token_url, {"grant_type": "client_credentials", "client_id": world.client.client_id,
                                            "client_secret": "wrong"}), "refused grant")
    introspected = client.post(f"{token_url}/introspect", {"token": access_token, "client_id": world.client.client_id,
                                                           "client_secret": world.current})
    assert introspected.status_code == 200
    assert_no_store(introspected, "introspection")

    master_grant = client.post("/realms/master/protocol/openid-connect/token", {
        "grant_type": "password", "client_id": "admin-cli", "username": "manager", "password": ADMIN_PASSWORD})
    assert_no_store(master_grant, "password grant")
    refreshed = client.post("/realms/master/protocol/openid-connect/token", {
        "grant_type": "refresh_token", "client_id": "admin-cli", "refresh_token": master_grant.json()["refresh_token"]})
    assert refreshed.status_code == 200
    assert_no_store(refreshed, "refresh grant")

    registered = call(client, "post", DCR, world.initial_token, {"client_name": "Second"})
    assert registered.status_code == 201
    assert_no_store(registered, "registration")
    data = registered.json()
    path = f"{DCR}/{data['client_id']}"
    assert_no_store(call(client, "get", path, data["registration_access_token"]), "registration read")
    updated = call(client, "put", path, data["registration_access_token"], {"client_id": data["client_id"], "client_name": "Renamed"})
    assert updated.status_code == 200
    assert_no_store(updated, "registration update")
    assert_no_store(call(client, "get", path, password_token(client, "viewer")), "registration read by a viewer")


def test_console_credentials_and_token_pages_are_not_stored(client, world: World, django_user_model):
    client.force_login(django_user_model.objects.get(username="manager"))
    kwargs = {"realm": "acme", "id": world.client.pk}
    credentials = reverse("client-credentials", kwargs=kwargs)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(credentials, **headers)
        assert response.status_code == 200
        assert_no_store(response, f"credentials tab {headers}")
        for name, data in [("client-secret-regenerate", {}), ("client-rotated-secret-invalidate", {}),
                           ("client-authenticator-save", {"client_authenticator_type": "client-secret"}),
                           ("client-registration-token-regenerate", {})]:
            response = client.post(reverse(name, kwargs=kwargs), data, **headers)
            assert response.status_code in (200, 204, 302), name
            assert_no_store(response, f"{name} {headers}")
    iat_create = reverse("initial-access-token-create", kwargs={"realm": "acme"})
    created = client.post(iat_create, {"expiration": "0", "count": "1"})
    assert created.status_code == 201
    assert 'id="initial-access-token"' in created.content.decode()
    assert_no_store(created, "initial access token creation")
    for name in ("client-list", "initial-access-tokens", "events"):
        assert_no_store(client.get(reverse(name, kwargs={"realm": "acme"})), name)


def test_pages_showing_a_secret_are_kept_out_of_htmx_history(client, world: World, django_user_model):
    """htmx snapshots a page into localStorage before it pushes a URL, unless the page says
    ``hx-history="false"``: the Credentials tab and a new initial access token say so."""
    client.force_login(django_user_model.objects.get(username="manager"))
    page = client.get(reverse("client-credentials", kwargs={"realm": "acme", "id": world.client.pk})).content.decode()
    assert f'value="{world.current}"' in page and 'hx-history="false"' in page
    created = client.post(reverse("initial-access-token-create", kwargs={"realm": "acme"}), {"expiration": "0", "count": "1"})
    assert 'hx-history="false"' in created.content.decode()


def test_static_files_keep_their_caching(client, db):
    response = client.get("/static/js/console.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
