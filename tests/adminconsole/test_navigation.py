"""The menu marks the section of every console page (adminconsole.navigation.menu_section)."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from adminconsole.navigation import menu_section

SECTIONS = {
    "realm-settings": "realm-settings", "realm-keys": "realm-settings", "realm-tokens": "realm-settings",
    "client-policies": "realm-settings", "client-policies-policies": "realm-settings",
    "client-profile-executor": "realm-settings", "client-policy-condition": "realm-settings",
    "client-policy-job": "realm-settings", "secret-expiry": "realm-settings", "realm-webhooks": "realm-settings",
    "webhook-deliveries": "realm-settings",
    "client-list": "clients", "client-credentials": "clients", "initial-access-tokens": "clients",
    "clients-bulk": "clients", "client-service-account-roles": "clients",
    "secret-rotation": "secret-rotation", "secret-rotation-csv": "secret-rotation",
    "user-list": "users", "user-roles": "users",
    "events": "events", "events-user": "events", "events-settings": "events",
    "realm-create": None, "home": None, None: None,
}


@pytest.mark.parametrize(("url_name", "section"), SECTIONS.items())
def test_section_of_a_page(url_name, section):
    assert menu_section(url_name) == section


def test_every_console_page_belongs_to_a_section():
    """Every URL name under /console/<realm>/ but Create realm falls in a menu section."""
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, route)
            elif route.startswith("console/") and p.name:
                names.add(p.name)

    walk(get_resolver().url_patterns)
    assert len(names) > 40
    assert sorted(n for n in names if menu_section(n) is None) == ["realm-create", "realm-home"]


def test_the_page_marks_its_section(admin_client, master):
    body = admin_client.get("/console/master/realm-settings/client-policies/").content.decode()
    assert 'active" aria-current="page" href="/console/master/realm-settings/">Realm Settings</a>' in body
    assert 'active" aria-current="page" href="/console/master/clients/">Clients</a>' not in body
