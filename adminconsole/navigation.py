"""Realm settings tabs, in Keycloak's order. A tab is shown only when its page exists."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from realms import permissions

# (key, label, url name, role needed to see it)
REALM_SETTINGS_TABS = [
    ("general", "General", "realm-settings", permissions.VIEW_REALM),
    ("keys", "Keys", "realm-keys", permissions.VIEW_REALM),
    ("tokens", "Tokens", "realm-tokens", permissions.VIEW_REALM),
    ("client-policies", "Client Policies", "client-policies", permissions.VIEW_REALM),
    ("secret-expiry", "Secret expiry", "secret-expiry", permissions.VIEW_REALM),
    ("webhooks", "Webhooks", "realm-webhooks", permissions.VIEW_REALM),
]


def realm_settings_tabs(user, realm) -> list[dict]:
    tabs = []
    for key, label, url_name, role in REALM_SETTINGS_TABS:
        if not permissions.has(user, role):
            continue
        try:
            url = reverse(url_name, kwargs={"realm": realm.name})
        except NoReverseMatch:
            continue
        tabs.append({"key": key, "label": label, "url": url})
    return tabs


# The menu's sections (base.html) and the URL names of the pages under each, by prefix; the first
# match wins, so the client policies' names come before the clients'.
MENU_SECTIONS = [
    ("realm-settings", ("realm-settings", "realm-keys", "realm-key-", "realm-tokens", "realm-delete", "realm-webhooks",
                        "webhook-", "client-polic", "client-profile", "secret-expiry")),
    ("secret-rotation", ("secret-rotation",)),
    ("clients", ("client-", "clients-", "initial-access-token")),
    ("users", ("user-",)),
    ("events", ("events",)),
]


def menu_section(url_name: str | None) -> str | None:
    """The menu item a page belongs to (Realm Settings on all its tabs), or None (Create realm)."""
    for section, prefixes in MENU_SECTIONS:
        if url_name and url_name.startswith(prefixes):
            return section
    return None
