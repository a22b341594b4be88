"""The Events page: the realm's admin events and user (client login) events, searchable."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from adminconsole.decorators import realm_view
from adminconsole.htmx import refused_status, render_page
from realms import permissions, selectors, services
from realms.actor import Actor
from realms.audit_forms import AdminEventSearchForm, EventSettingsForm, UserEventSearchForm
from realms.events import mask_secrets

TEMPLATE = "realms/events.html"


def _when(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def _pretty(representation: str) -> str:
    """The stored (already masked) representation, masked once more and indented for reading."""
    if not representation:
        return ""
    try:
        return json.dumps(mask_secrets(json.loads(representation)), indent=2, sort_keys=True)
    except ValueError:
        return "(not JSON)"


def _tabs(realm) -> list[dict]:
    return [
        {"key": "admin", "label": "Admin events", "url": reverse("events", kwargs={"realm": realm.name})},
        {"key": "user", "label": "User events", "url": reverse("events-user", kwargs={"realm": realm.name})},
        {"key": "settings", "label": "Event settings", "url": reverse("events-settings", kwargs={"realm": realm.name})},
    ]


# An admin event's resource path → the console page of its object and the role that page needs
# (first match wins). The paths are the Admin API's (docs/wire-contract.md); a path without a
# page, or whose page the reader may not open, is shown as text.
_RESOURCE_PAGES = (
    (re.compile(r"clients/(?P<id>[0-9a-f-]{36})/roles(/|$)"), "client-roles", ("id",), permissions.VIEW_CLIENTS),
    (re.compile(r"clients/(?P<id>[0-9a-f-]{36})/(client-secret|registration-access-token)(/|$)"), "client-credentials",
     ("id",), permissions.VIEW_CLIENTS),
    (re.compile(r"clients/(?P<id>[0-9a-f-]{36})(/|$)"), "client-settings", ("id",), permissions.VIEW_CLIENTS),
    (re.compile(r"client-policies/profiles(/|$)"), "client-policies", (), permissions.VIEW_REALM),
    (re.compile(r"client-policies/policies(/|$)"), "client-policies-policies", (), permissions.VIEW_REALM),
    (re.compile(r"keys(/|$)"), "realm-keys", (), permissions.VIEW_REALM),
    (re.compile(r"clients-initial-access(/|$)"), "initial-access-tokens", (), permissions.VIEW_CLIENTS),
    (re.compile(r"users/(?P<user_id>[0-9]+)(/|$)"), "user-details", ("user_id",), permissions.VIEW_USERS),
)


def resource_url(realm, path: str, user=None) -> str | None:
    """The page of the object an admin event's ``path`` names, or None (also when ``user`` may
    not open that page: a link to a Forbidden page helps nobody)."""
    for pattern, name, keys, role in _RESOURCE_PAGES:
        match = pattern.match(path or "")
        if match is None:
            continue
        if user is not None and not permissions.has(user, role):
            return None
        kwargs = {key: match.group(key) for key in keys}
        for candidate in ({"realm": realm.name, **kwargs}, kwargs):
            try:
                return reverse(name, kwargs=candidate)
            except NoReverseMatch:
                continue
        return None
    return None


def _page_links(request, first: int, size: int, has_next: bool) -> dict:
    params = request.GET.copy()
    params.pop("first", None)

    def url(position: int) -> str:
        query = params.copy()
        query["first"] = str(position)
        query["max"] = str(size)
        return f"{request.path}?{urlencode(query, doseq=True)}"

    return {
        "first": first,
        "last": first + size,  # the views set the number of rows actually shown
        "previous": url(max(first - size, 0)) if first > 0 else None,
        "next": url(first + size) if has_next else None,
    }


def _search(request, form_class):
    form = form_class(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {"first": 0, "max": form.fields["max"].empty_value}
    return form, data


def _bounds(data: dict) -> dict:
    start, end = data.get("date_from"), data.get("date_to")
    return {
        "date_from": selectors.date_bound_ms(start.isoformat()) if start else None,
        "date_to": selectors.date_bound_ms(end.isoformat(), end=True) if end else None,
    }


@realm_view(permissions.VIEW_REALM)
def admin_events(request, realm):
    form, data = _search(request, AdminEventSearchForm)
    rows, pages = [], None
    if data is not None:
        size = data["max"]
        events = selectors.admin_event_list(
            realm=realm,
            operation_types=data.get("operation_types"),
            resource_types=data.get("resource_types"),
            auth_user=data.get("user") or None,
            first=data["first"],
            limit=size + 1,
            **_bounds(data),
        )
        pages = _page_links(request, data["first"], size, len(events) > size)
        rows = [
            {
                "event": event,
                "time": _when(event.time),
                "user": event.auth_username or event.auth_user_id or event.auth_client_id,
                "representation": _pretty(event.representation),
                "resource_url": resource_url(realm, event.resource_path, request.user),
            }
            for event in events[:size]
        ]
        pages["last"] = data["first"] + len(rows)
    context = {
        "realm": realm,
        "nav": "events",
        "tabs": _tabs(realm),
        "active_tab": "admin",
        "form": form,
        "rows": rows,
        "pages": pages,
    }
    return render_page(request, TEMPLATE, context, partial="events", status=200 if data is not None else refused_status(request))


@realm_view(permissions.VIEW_REALM)
def user_events(request, realm):
    form, data = _search(request, UserEventSearchForm)
    rows, pages = [], None
    if data is not None:
        size = data["max"]
        events = selectors.login_event_list(
            realm=realm,
            types=data.get("types"),
            client_id=data.get("client") or None,
            first=data["first"],
            limit=size + 1,
            **_bounds(data),
        )
        pages = _page_links(request, data["first"], size, len(events) > size)
        rows = [{"event": event, "time": _when(event.time)} for event in events[:size]]
        pages["last"] = data["first"] + len(rows)
    context = {
        "realm": realm,
        "nav": "events",
        "tabs": _tabs(realm),
        "active_tab": "user",
        "form": form,
        "rows": rows,
        "pages": pages,
    }
    return render_page(request, TEMPLATE, context, partial="events", status=200 if data is not None else refused_status(request))


SETTINGS_TEMPLATE = "realms/event_settings.html"
SETTINGS_FIELDS = ("events_enabled", "events_expiration", "admin_events_enabled", "admin_events_details_enabled")


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def event_settings(request, realm):
    """What is recorded and how long user events are kept (the Admin API's ``events/config``)."""
    initial = {field: getattr(realm, field) for field in SETTINGS_FIELDS}
    form = EventSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            realm = services.realm_events_config_update(realm=realm, actor=Actor.from_request(request), **form.cleaned_data)
            messages.success(request, "Event settings saved")
            if not request.htmx:
                return redirect("events-settings", realm=realm.name)
            form = EventSettingsForm(initial={field: getattr(realm, field) for field in SETTINGS_FIELDS})
        else:
            messages.error(request, "Event settings could not be saved: please correct the errors below")
            status = refused_status(request)
    context = {
        "realm": realm,
        "nav": "events",
        "tabs": _tabs(realm),
        "active_tab": "settings",
        "form": form,
        "can_manage": permissions.has(request.user, permissions.MANAGE_REALM),
    }
    return render_page(request, SETTINGS_TEMPLATE, context, partial="event-settings", status=status)
