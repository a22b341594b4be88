"""Issue 14 item 4: executor and condition rows say what is in them, and their pages are
addressed by the entry's id, so a bookmark never opens another entry after a removal."""

from __future__ import annotations

import html
import re

import pytest

from policies import services
from realms.actor import Actor

pytestmark = pytest.mark.django_db

BASE = "/console/master/realm-settings/client-policies/"
ACTOR = Actor()
WEEK = {"expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_rows_show_a_summary_of_their_settings(admin_client, master):
    profile = services.profile_create(realm=master, name="weekly", actor=ACTOR)
    services.profile_executor_add(realm=master, profile=profile, executor="secret-rotation", configuration=WEEK, actor=ACTOR)
    body = admin_client.get(f"{BASE}profiles/{profile.pk}/").content.decode()
    assert "<div class=\"small\" data-settings-summary>7 days · 2 days · 1 day</div>" in body

    policy = services.policy_create(realm=master, name="p", actor=ACTOR)
    services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": ["confidential"]}, actor=ACTOR)
    services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": ["public", "bearer-only"], "is-negative-logic": True}, actor=ACTOR)
    body = admin_client.get(f"{BASE}policies/{policy.pk}/").content.decode()
    assert "data-settings-summary>confidential</div>" in body
    assert "data-settings-summary>not public, bearer-only</div>" in body


def test_a_bookmark_keeps_its_entry_after_an_earlier_one_is_removed(admin_client, master):
    policy = services.policy_create(realm=master, name="p", actor=ACTOR)
    first = services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": ["public"]}, actor=ACTOR)
    second = services.policy_condition_add(realm=master, policy=policy, condition="client-roles", configuration={"roles": ["r"]}, actor=ACTOR)
    bookmark = f"{BASE}policies/{policy.pk}/conditions/{second.pk}/"
    assert f'href="{bookmark}"' in admin_client.get(f"{BASE}policies/{policy.pk}/").content.decode()

    response = admin_client.post(f"{BASE}policies/{policy.pk}/conditions/{first.pk}/delete")
    assert response.status_code == 302
    assert list(policy.conditions.values_list("provider_id", flat=True)) == ["client-roles"]
    page = squash(admin_client.get(bookmark).content.decode())
    assert response.status_code == 302 and 'name="config-roles" value="r"' in page

    # Saving through the bookmark changes that entry; the removed one is not found.
    assert admin_client.post(bookmark, {"config-roles": ["admin"]}).status_code == 302
    second.refresh_from_db()
    assert second.configuration["roles"] == ["admin"]
    assert admin_client.get(f"{BASE}policies/{policy.pk}/conditions/{first.pk}/").status_code == 404
    assert admin_client.post(f"{BASE}policies/{policy.pk}/conditions/{first.pk}/delete").status_code == 404
    assert policy.conditions.count() == 1


def test_an_entry_of_another_parent_is_not_found(admin_client, master):
    one = services.profile_create(realm=master, name="one", actor=ACTOR)
    two = services.profile_create(realm=master, name="two", actor=ACTOR)
    row = services.profile_executor_add(realm=master, profile=one, executor="secret-rotation", configuration=WEEK, actor=ACTOR)
    assert admin_client.get(f"{BASE}profiles/{two.pk}/executors/{row.pk}/").status_code == 404
    assert admin_client.get(f"{BASE}profiles/{one.pk}/executors/{row.pk}/").status_code == 200


def test_long_descriptions_are_cut_in_the_lists_with_the_whole_text_in_the_title(admin_client, master):
    long = "Rotates every confidential client's secret weekly. " * 6
    services.profile_create(realm=master, name="weekly", description=long, actor=ACTOR)
    services.policy_create(realm=master, name="p", description="short", actor=ACTOR)
    body = html.unescape(admin_client.get(BASE).content.decode())
    assert f'<span title="{long}">{long[:119]}…</span>' in body
    policies_body = admin_client.get(BASE + "policies/").content.decode()
    assert "<span>short</span>" in policies_body
