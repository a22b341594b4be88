"""Realm settings → Keys / Tokens and Clients → Initial access token, in Chromium, by their labels."""

from __future__ import annotations

import pytest

from oidc.models import InitialAccessToken, RealmKey
from oidc.services import initial_access_token_find
from realms.models import Realm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rotate_key_and_set_the_token_lifespan(console_page, master):
    page = console_page
    old = RealmKey.objects.get(realm=master, active=True)
    page.get_by_role("link", name="Realm Settings").click()
    page.get_by_role("link", name="Keys").click()
    page.get_by_role("cell", name=old.kid).wait_for()
    page.get_by_role("button", name="Rotate key").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    page.get_by_text("Key rotated").wait_for()
    new = RealmKey.objects.get(realm=master, active=True)
    assert new.kid != old.kid
    page.get_by_role("cell", name=new.kid).wait_for()
    assert page.get_by_text("Retired").count() >= 1

    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("Access Token Lifespan").fill("120")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Realm successfully updated").wait_for()
    assert Realm.objects.get(pk=master.pk).access_token_lifespan == 120


def test_create_an_initial_access_token(console_page, master):
    page = console_page
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="Initial access token").click()
    page.get_by_role("link", name="Create").click()
    page.get_by_label("Expiration").fill("3600")
    page.get_by_label("Count").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("New initial access token has been created").wait_for()
    token = page.get_by_label("Initial access token", exact=True).input_value()
    row = initial_access_token_find(realm=master, token=token)
    assert (row.count, row.remaining_count) == (2, 2)
    assert InitialAccessToken.objects.count() == 1
