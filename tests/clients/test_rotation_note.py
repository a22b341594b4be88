"""Issue 14 item 2: the Credentials tab names the client policy that rotates the secret, says
when its expiry will be set, and the Re-generate dialog says what happens to the old secret."""

from __future__ import annotations

import html

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from adminconsole.templatetags.moments import relative_text, when, when_text
from clients import secrets as secret_store
from realms import clock
from tests.factories import ClientFactory, rotation_policy_make

T0 = 1_780_000_000  # Thursday, 28 May 2026 20:26:40 UTC
DAY = 86400


def credentials(client, realm, app) -> str:
    return client.get(reverse("client-credentials", kwargs={"realm": realm.name, "id": app.pk})).content.decode()


def text(body: str) -> str:
    return " ".join(html.unescape(strip_tags(body)).split())


@pytest.fixture
def app(realm):
    return ClientFactory(realm=realm, client_id="old-app", secret="Sup3rSecretValue0123456789abcdef")


def test_one_date_format_with_relative_time():
    with time_machine.travel(T0, tick=False):
        assert when_text(T0 + 7 * DAY) == "4 June 2026, 20:26 UTC"
        assert relative_text(T0 + 7 * DAY) == "in 1 week"
        assert relative_text(T0 + 2 * DAY + 3600) == "in 2 days"
        assert relative_text(T0 - 180) == "3 minutes ago"
        assert relative_text(T0 - 10) == "less than a minute ago"
        assert text(when(clock.from_epoch(T0 - 3 * 3600))) == "28 May 2026, 17:26 UTC (3 hours ago)"
        assert 'datetime="2026-05-28T20:26:40+00:00"' in when(T0)
    assert when(None) == when(0) == when("soon") == ""


@pytest.mark.django_db
def test_client_created_before_the_policy_says_when_the_expiry_is_set(admin_client, realm, app):
    policy = rotation_policy_make(realm, expiration=7 * DAY, rotated=2 * DAY, remaining=DAY, name="rotate")
    body = text(credentials(admin_client, realm, app))
    assert (
        "Client policy rotate rotates this secret, through the secret-rotation executor of client profile rotate-profile:"
        " a secret lasts 7 days (604800 s); after a rotation the old one stays valid 2 days (172800 s)."
    ) in body
    assert "This secret has no expiry yet: the policy sets it at the next update or Re-generate" in body
    raw = credentials(admin_client, realm, app)
    assert reverse("client-policy-apply", kwargs={"realm": realm.name, "policy": policy.pk}) in raw

    # Once set, the expiry is shown instead of the pending note.
    with time_machine.travel(T0, tick=False):
        secret_store.secret_set_expiration(app, T0 + 7 * DAY)
        body = text(credentials(admin_client, realm, app))
    assert "no expiry yet" not in body
    assert "Secret expires on 4 June 2026, 20:26 UTC (in 1 week)" in body


@pytest.mark.django_db
def test_regenerate_dialog_says_how_long_the_old_secret_lasts(admin_client, realm, app):
    rotation_policy_make(realm, expiration=7 * DAY, rotated=2 * DAY, remaining=DAY)
    with time_machine.travel(T0, tick=False):
        body = html.unescape(credentials(admin_client, realm, app))
    assert "With client policy 'rotation' in force, the old secret stays valid until 30 May 2026, 20:26 UTC (in 2 days)." in body


@pytest.mark.django_db
def test_regenerate_dialog_without_a_policy_or_rotated_period_says_at_once(admin_client, realm, app):
    body = html.unescape(credentials(admin_client, realm, app))
    assert "The old secret stops working at once." in body
    assert "No enabled client policy rotates this secret: it does not expire." in text(body)
    rotation_policy_make(realm, expiration=7 * DAY, rotated=0, remaining=DAY)
    body = html.unescape(credentials(admin_client, realm, app))
    assert "The old secret stops working at once." in body
    assert "after a rotation the old one stops working at once" in text(body)


@pytest.mark.django_db
def test_a_policy_that_does_not_select_the_client_or_is_disabled_is_not_named(admin_client, realm, app):
    policy = rotation_policy_make(realm, conditions=[("client-access-type", {"type": ["public"]})], name="publics")
    assert "publics" not in credentials(admin_client, realm, app)
    policy.conditions.all().delete()
    rotation_policy_make(realm, name="off", profile_name="off-profile").__class__.objects.filter(name="off").update(enabled=False)
    assert "Client policy" not in text(credentials(admin_client, realm, app))


@pytest.mark.django_db
def test_viewer_without_view_realm_gets_no_apply_link(console_client, realm, app):
    rotation_policy_make(realm)
    viewer = console_client(["view-clients"], username="viewer")
    body = credentials(viewer, realm, app)
    assert "Client policy" in body and "Apply to existing clients" not in body
