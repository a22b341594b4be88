"""A console form sent twice writes once: the one-time form token (adminconsole.form_tokens)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse

from adminconsole.form_tokens import FIELD, FormTokenRefused, form_token_issue, form_token_spend
from clients import services
from clients.models import Client
from realms.models import AdminEvent, SpentFormToken

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
THREADS = 8
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def tokens(response) -> list[str]:
    return TOKEN.findall(response.content.decode())


def create_url(realm="master"):
    return reverse("client-create", kwargs={"realm": realm})


def test_every_post_form_of_a_page_carries_its_own_fresh_token(admin_client, master):
    first, second = tokens(admin_client.get(create_url())), tokens(admin_client.get(create_url()))
    # The create form and the Sign out form, each with its own token, new on every render.
    assert len(first) == 2 and len(set(first)) == 2
    assert not set(first) & set(second)


def test_a_replayed_post_writes_nothing_and_says_so(admin_client, master):
    token = tokens(admin_client.get(create_url()))[0]
    data = {"protocol": "openid-connect", "client_id": "billing", FIELD: token}
    assert admin_client.post(create_url(), data).status_code == 302
    events = AdminEvent.objects.count()

    again = admin_client.post(create_url(), data)

    assert again.status_code == 409
    body = again.content.decode()
    assert "This form was already sent" in body and "It was not saved a second time" in body
    assert 'href="/console/master/clients/"' in body and ">Clients</a>" in body  # the list, in the console's layout
    assert 'aria-label="Console menu"' in body
    assert Client.objects.filter(client_id="billing").count() == 1
    assert AdminEvent.objects.count() == events


def test_an_htmx_replay_shows_an_alert_and_swaps_nothing_else(admin_client, master):
    token = tokens(admin_client.get(create_url()))[0]
    data = {"protocol": "openid-connect", "client_id": "billing", FIELD: token}
    assert admin_client.post(create_url(), data, **HTMX).status_code == 204

    again = admin_client.post(create_url(), data, **HTMX)

    assert again.status_code == 409 and again["HX-Reswap"] == "none"
    body = again.content.decode()
    assert 'id="alerts"' in body and 'hx-swap-oob="true"' in body and "This form was already sent" in body
    assert Client.objects.filter(client_id="billing").count() == 1


def test_a_form_shown_again_with_its_errors_gets_a_fresh_token(admin_client, master):
    token = tokens(admin_client.get(create_url()))[0]
    refused = admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "", FIELD: token})
    assert refused.status_code == 400
    fresh = tokens(refused)[0]
    assert fresh != token

    created = admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "billing", FIELD: fresh})
    assert created.status_code == 302 and Client.objects.filter(client_id="billing").exists()


def test_a_forged_or_expired_token_writes_nothing(admin_client, master):
    forged = admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "a", FIELD: "x:y:z"})
    assert forged.status_code == 400 and "This form has expired" in forged.content.decode()

    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False) as clock:
        token = tokens(admin_client.get(create_url()))[0]
        clock.shift(settings.FORM_TOKEN_MAX_AGE + 1)
        expired = admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "b", FIELD: token})
    assert expired.status_code == 400 and "Reload the page" in expired.content.decode()
    assert not Client.objects.filter(client_id__in=["a", "b"]).exists()


def test_spent_tokens_are_kept_only_as_long_as_a_token_lives(admin_client, master):
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False) as clock:
        old = tokens(admin_client.get(create_url()))[0]
        admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "a", FIELD: old})
        clock.shift(settings.FORM_TOKEN_MAX_AGE + 1)
        new = tokens(admin_client.get(create_url()))[0]
        admin_client.post(create_url(), {"protocol": "openid-connect", "client_id": "b", FIELD: new})
    assert SpentFormToken.objects.count() == 1


def test_a_post_that_failed_on_our_side_may_be_sent_again(admin_client, master, monkeypatch):
    token = tokens(admin_client.get(create_url()))[0]
    data = {"protocol": "openid-connect", "client_id": "billing", FIELD: token}
    real = services.client_create

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "client_create", broken)
    admin_client.raise_request_exception = False
    assert admin_client.post(create_url(), data).status_code == 500
    assert not SpentFormToken.objects.exists()

    monkeypatch.setattr(services, "client_create", real)
    assert admin_client.post(create_url(), data).status_code == 302
    assert Client.objects.filter(client_id="billing").count() == 1


def test_a_post_that_failed_after_writing_is_not_sent_again(admin_client, master, monkeypatch):
    """Services commit as they finish: a 500 after the client was written (here, while answering)
    keeps the token spent, so sending the same form again cannot make a second client."""
    token = tokens(admin_client.get(create_url()))[0]
    data = {"protocol": "openid-connect", "client_id": "billing", FIELD: token}
    real = services.client_create

    def written_then_broken(**kwargs):
        real(**kwargs)
        raise RuntimeError("boom after the commit")

    monkeypatch.setattr(services, "client_create", written_then_broken)
    admin_client.raise_request_exception = False
    assert admin_client.post(create_url(), data).status_code == 500
    assert SpentFormToken.objects.count() == 1

    monkeypatch.setattr(services, "client_create", real)
    assert admin_client.post(create_url(), data).status_code == 409
    assert Client.objects.filter(client_id="billing").count() == 1


def test_posts_without_a_token_and_the_api_are_not_checked(admin_client, master):
    data = {"protocol": "openid-connect", "client_id": "billing"}
    assert admin_client.post(create_url(), data).status_code == 302
    assert not SpentFormToken.objects.exists()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="concurrent writers need PostgreSQL (runs in the PostgreSQL pass of make test)")
@pytest.mark.django_db(transaction=True)
def test_racing_posts_of_one_token_spend_it_once():
    token = form_token_issue()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def spend() -> None:
        try:
            barrier.wait()
            form_token_spend(token=token)
            outcomes.append("spent")
        except FormTokenRefused as refused:
            outcomes.append(refused.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["replayed"] * (THREADS - 1) + ["spent"]
    assert SpentFormToken.objects.count() == 1
