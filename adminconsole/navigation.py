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
