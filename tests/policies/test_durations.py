"""Durations people can read: the ``duration`` filter, the readings next to every seconds field of
the console (the secret-rotation executor's form, the Tokens tab, the initial access token form),
and the browser's reading as the person types."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from playwright.sync_api import expect

from adminconsole.templatetags.durations import duration_text
from policies import services
from policies.providers.base import MAX_SECONDS
from realms.actor import Actor

BASE = "/console/master/realm-settings/client-policies/"
HX = {"HTTP_HX_REQUEST": "true"}
FIELDS = ("expiration-period", "rotated-expiration-period", "remaining-rotation-period")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "1 minute 1 second"),
        (3600, "1 hour"),
        (7200, "2 hours"),
        (86400, "1 day"),
        (172800, "2 days"),
        (604800, "7 days"),
        (2505600, "29 days"),
        (90061, "1 day 1 hour 1 minute 1 second"),
        (MAX_SECONDS, "100 years"),
        (-1, "-1 second"),
        (-3600, "-1 hour"),
        (-90061, "-1 day 1 hour 1 minute 1 second"),
        ("604800", "7 days"),
        (" 3600 ", "1 hour"),
        ("-60", "-1 minute"),
    ],
)
def test_duration_text(seconds, expected):
    assert duration_text(seconds) == expected


@pytest.mark.parametrize("value", ["", "abc", "1.5", "7d", "²", "1" * 31, None, 1.0, True, [60]])
def test_duration_text_gives_nothing_for_what_is_not_whole_seconds(value):
    assert duration_text(value) == ""


def test_the_duration_filter_in_a_template():
    template = Template("{% load durations %}{{ a|duration }} / {{ b|duration }} / {{ c|duration }}")
    assert template.render(Context({"a": 604800, "b": "90061", "c": "x"})) == "7 days / 1 day 1 hour 1 minute 1 second / "


# --- the console -----------------------------------------------------------------------------------


@pytest.fixture
def profile(master):
    return services.profile_create(realm=master, name="weekly", description="", actor=Actor())


def _reading(html: str, input_id: str) -> tuple[str, str]:
    """The field's tag and the reading next to it (an ``aria-live`` output element for the field)."""
    field = re.search(rf'<input [^>]*id="{input_id}"[^>]*>', html).group(0)
    output = re.search(rf'<output [^>]*id="{input_id}-duration"[^>]*>([^<]*)</output>', html)
    assert output, f"no reading next to {input_id}"
    tag = output.group(0)
    assert f'for="{input_id}"' in tag and 'aria-live="polite"' in tag
    return field, output.group(1)


@pytest.mark.django_db
def test_executor_form_shows_each_period_as_days_hours_minutes(admin_client, master, profile):
    fragment = admin_client.get(f"{BASE}profiles/{profile.pk}/add-executor?executor=secret-rotation", **HX).content.decode()
    for key, reading in zip(FIELDS, ("29 days", "2 days", "10 days"), strict=True):
        field, shown = _reading(fragment, f"id_config-{key}")
        assert shown == reading
        assert f'aria-describedby="id_config-{key}-duration id_config-{key}-help"' in field
        assert f'max="{MAX_SECONDS}"' in field and f'min="-{MAX_SECONDS}"' in field and 'type="number"' in field


@pytest.mark.django_db
def test_stored_executor_shows_7_days_next_to_604800(admin_client, master, profile):
    week = {"executor": "secret-rotation", "config-expiration-period": "604800",
            "config-rotated-expiration-period": "3600", "config-remaining-rotation-period": "90061"}
    assert admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", week).status_code == 302
    page = admin_client.get(f"{BASE}profiles/{profile.pk}/executors/{profile.executors.get().pk}/").content.decode()
    field, shown = _reading(page, "id_config-expiration-period")
    assert 'value="604800"' in field and shown == "7 days"
    assert _reading(page, "id_config-rotated-expiration-period")[1] == "1 hour"
    assert _reading(page, "id_config-remaining-rotation-period")[1] == "1 day 1 hour 1 minute 1 second"


@pytest.mark.django_db
def test_a_refused_value_keeps_its_reading_and_the_limit_is_stated_in_years(admin_client, master, profile):
    data = {"executor": "secret-rotation", "config-expiration-period": str(MAX_SECONDS + 1),
            "config-rotated-expiration-period": "60", "config-remaining-rotation-period": "60"}
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Secret Expiration must not be greater than 3153600000 seconds (100 years)" in html
    field, shown = _reading(html, "id_config-expiration-period")
    assert shown == "100 years 1 second"
    assert 'aria-describedby="id_config-expiration-period-duration id_config-expiration-period-help id_config-expiration-period-error"' in field
    assert not profile.executors.exists()


@pytest.mark.django_db
def test_tokens_tab_shows_the_lifespan_readably(admin_client, master):
    html = admin_client.get("/console/master/realm-settings/tokens").content.decode()
    field, shown = _reading(html, "id_access_token_lifespan")
    assert 'value="60"' in field and shown == "1 minute"
    # A refused value is read as typed.
    html = admin_client.post("/console/master/realm-settings/tokens", {"access_token_lifespan": "0"}).content.decode()
    assert _reading(html, "id_access_token_lifespan")[1] == "0 seconds"


@pytest.mark.django_db
def test_initial_access_token_form_shows_the_expiration_readably(admin_client, master):
    html = admin_client.get("/console/master/clients/initial-access-tokens/create").content.decode()
    field, shown = _reading(html, "id_expiration")
    assert 'value="86400"' in field and shown == "1 day"
    assert "Count" in html and 'id="id_count"' in html


# --- in the browser --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_seconds_shows_them_as_days(console_page, master):
    page = console_page
    profile = services.profile_create(realm=master, name="weekly", description="", actor=Actor())
    page.goto(f"{BASE}profiles/{profile.pk}/add-executor")
    page.get_by_label("Executor Type", exact=True).select_option("secret-rotation")
    secret = page.get_by_label("Secret Expiration", exact=True)
    expect(secret).to_have_value("2505600")
    # The reading is what the field's description points at first (Chromium reads it as part of
    # the description; Playwright's own description computation leaves <output> out).
    reading = page.locator(f"#{secret.get_attribute('aria-describedby').split()[0]}")
    expect(reading).to_have_text("29 days")
    expect(reading).to_have_attribute("aria-live", "polite")
    for typed in ("90061", "3600", "-60", "604800"):
        secret.fill(typed)
        expect(reading).to_have_text(duration_text(typed))
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^7 days$"))).to_be_visible()
