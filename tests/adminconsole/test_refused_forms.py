"""One rule for a refused console form: a plain post answers 400 with the page; an htmx post
answers 200 with the form's fragment, so htmx (which swaps no 4xx) shows the field errors."""

from __future__ import annotations

import pytest

from realms.models import Realm

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
TOO_LONG = "x" * 300
LENGTH_ERROR = "Ensure this value has at most 255 characters (it has 300)."


def test_general_tab_field_error_is_swapped_in_after_an_htmx_post(admin_client, master):
    url = "/console/master/realm-settings/"
    response = admin_client.post(url, {"display_name": TOO_LONG, "enabled": "on"})
    assert response.status_code == 400 and LENGTH_ERROR in response.content.decode()

    response = admin_client.post(url, {"display_name": TOO_LONG, "enabled": "on"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="general-form"')
    assert LENGTH_ERROR in body and "invalid-feedback" in body
    assert "Realm could not be updated: please correct the errors below" in body and 'hx-swap-oob="true"' in body
    assert Realm.objects.get(name="master").display_name == ""


def test_tokens_tab_field_error_is_swapped_in_after_an_htmx_post(admin_client, master):
    url = "/console/master/realm-settings/tokens"
    before = master.access_token_lifespan
    assert admin_client.post(url, {"access_token_lifespan": "soon"}).status_code == 400

    response = admin_client.post(url, {"access_token_lifespan": "soon"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="tokens-form"') and "invalid-feedback" in body
    assert Realm.objects.get(name="master").access_token_lifespan == before


def test_initial_access_token_form_error_is_swapped_in_after_an_htmx_post(admin_client, master):
    url = "/console/master/clients/initial-access-tokens/create"
    assert admin_client.post(url, {"expiration": -1, "count": 1}).status_code == 400

    response = admin_client.post(url, {"expiration": -1, "count": 1}, **HX)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()


def test_new_realm_form_error_is_swapped_in_after_an_htmx_post(admin_client, master):
    url = "/console/master/add-realm"
    assert admin_client.post(url, {"name": "bad name/x"}).status_code == 400

    response = admin_client.post(url, {"name": "bad name/x"}, **HX)
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert not Realm.objects.filter(name="bad name/x").exists()


def test_password_update_form_error_is_swapped_in_after_an_htmx_post(admin_client, master):
    refused = {"password": "short", "password_confirmation": "other"}
    assert admin_client.post("/password-update", refused).status_code == 400

    response = admin_client.post("/password-update", refused, **HX)
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
