"""Realm settings → Secret expiry warns (and still saves) when the automatic rotation's lead time or a
warning threshold is not shorter than the Secret Expiration of a rotation policy in force."""

from __future__ import annotations

import re

import pytest

from expiry import selectors, services
from expiry.models import ExpirySettings
from realms.actor import Actor
from tests.factories import ANY_CLIENT, policy_make, profile_make, rotation_config, rotation_policy_make
from tests.permissions import HTMX

pytestmark = pytest.mark.django_db

PAGE = "/console/acme/realm-settings/secret-expiry"
DAY = 86400
ACTOR = Actor(source="console", username="admin")


@pytest.fixture
def realm(db):
    from realms.services import realm_create

    return realm_create(name="acme")


def warnings_on(page) -> list[str]:
    html = page.content.decode()
    box = re.search(r'<div class="alert alert-warning" role="alert" id="expiry-lifetime-conflicts">(.*?)</div>', html, re.S)
    return [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)] if box else []


def settings_save(realm, **values) -> None:
    current = selectors.expiry_settings_get(realm=realm)
    values = {"warn_before": list(current.warn_before), "auto_rotate": current.auto_rotate,
              "auto_rotate_before": current.auto_rotate_before, "email_recipients": [], **values}
    services.expiry_settings_update(realm=realm, actor=ACTOR, **values)


def test_no_warning_when_the_settings_fit_the_policies(realm, admin_client):
    rotation_policy_make(realm, expiration=60 * DAY, rotated=DAY, remaining=DAY, name="monthly")
    settings_save(realm, auto_rotate=True, auto_rotate_before=2 * DAY, warn_before=[30 * DAY, 7 * DAY])
    page = admin_client.get(PAGE)
    assert page.status_code == 200 and warnings_on(page) == []
    assert "expiry-lifetime-conflicts" not in page.content.decode()


def test_a_lead_time_at_least_the_lifetime_is_named_with_its_policy_and_profile(realm, admin_client):
    rotation_policy_make(realm, expiration=DAY, rotated=3600, remaining=3600, name="daily", profile_name="Daily rotation")
    settings_save(realm, auto_rotate=True, auto_rotate_before=DAY, warn_before=[3600])
    assert warnings_on(admin_client.get(PAGE)) == [
        'Rotate before expiry (1 day) is not shorter than the Secret Expiration (1 day) of client profile '
        '"Daily rotation" (client policy "daily"): the worker will refuse to rotate these secrets '
        "automatically and record why on the Events page."
    ]
    settings_save(realm, auto_rotate=False)  # nothing is rotated automatically: nothing to refuse
    assert warnings_on(admin_client.get(PAGE)) == []


def test_each_threshold_at_least_the_lifetime_is_named_with_or_without_automatic_rotation(realm, admin_client):
    rotation_policy_make(realm, expiration=7 * DAY, rotated=DAY, remaining=DAY, name="weekly")
    settings_save(realm, auto_rotate=False, warn_before=[30 * DAY, 7 * DAY, DAY])
    found = warnings_on(admin_client.get(PAGE))
    assert [item.split(" is not")[0] for item in found] == ["Warn before expiry 30 days", "Warn before expiry 7 days"]
    assert all('(7 days) of client profile "weekly-profile" (client policy "weekly"): '
               "it will fire right after every rotation." in item for item in found)


def test_only_policies_in_force_count(realm):
    rotation_policy_make(realm, expiration=DAY, rotated=3600, remaining=3600, name="applies")
    profile_make(realm, "short", [("secret-rotation", rotation_config(3600, 600, 600))])
    policy_make(realm, "disabled", ANY_CLIENT, ["short"], enabled=False)
    policy_make(realm, "no conditions", [], ["short"])  # never applies
    profile_make(realm, "other", [("confidential-client", {})])
    policy_make(realm, "no rotation", ANY_CLIENT, ["other", "missing profile"])
    settings = ExpirySettings(realm=realm, warn_before=[2 * 3600], auto_rotate=True, auto_rotate_before=2 * 3600)
    assert selectors.expiry_lifetime_conflicts(realm=realm, settings=settings) == []
    settings.warn_before, settings.auto_rotate_before = [DAY, 3600], 2 * DAY
    assert selectors.expiry_lifetime_conflicts(realm=realm, settings=settings) == [
        selectors.LifetimeConflict(policy="applies", profile="applies-profile", lifetime=DAY, lead=2 * DAY, thresholds=(DAY,))
    ]


def test_the_setting_is_saved_and_the_answer_shows_the_warning(realm, admin_client):
    """A warning, not a refusal: the policies may change later."""
    rotation_policy_make(realm, expiration=DAY, rotated=3600, remaining=3600, name="daily")
    form = {"warn_before": ["3600", ""], "auto_rotate": "true", "auto_rotate_before": str(2 * DAY), "email_recipients": ""}
    page = admin_client.post(PAGE, form, **HTMX)
    assert page.status_code == 200 and "Secret expiry settings saved" in page.content.decode()
    assert selectors.expiry_settings_get(realm=realm).auto_rotate_before == 2 * DAY
    assert [item.split(" is not")[0] for item in warnings_on(page)] == ["Rotate before expiry (2 days)"]
    refused = admin_client.post(PAGE, {**form, "auto_rotate_before": "x"}, **HTMX)  # shows what is in force
    assert refused.status_code == 200 and "could not be saved" in refused.content.decode()
    assert [item.split(" is not")[0] for item in warnings_on(refused)] == ["Rotate before expiry (2 days)"]
    settings_save(realm, auto_rotate_before=3600)
    assert warnings_on(admin_client.get(PAGE)) == []
