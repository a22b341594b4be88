"""What the Client Policies pages share: permissions, lookups, the page context, form saving and
the two sub-tabs (Profiles, Policies) with their table and JSON document.

view-realm reads, manage-realm writes. Every form works as a plain POST (302 on success, 400 with
the errors on refusal) and through htmx (HX-Redirect on success; on refusal 200 with the form
fragment, its errors and an out-of-band alert: ``adminconsole.htmx.refused_status``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from adminconsole.htmx import render_page
from adminconsole.navigation import realm_settings_tabs
from policies import selectors, services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.forms import duplicate_name
from policies.models import ClientPolicy, ClientProfile
from realms import permissions
from realms.actor import Actor
from realms.models import Realm

VIEW = permissions.VIEW_REALM
MANAGE = permissions.MANAGE_REALM

PROFILES_TOOLTIP = (
    "Client Profile allows creating a set of executors that enforce various actions that are done with the client. "
    "Actions can be admin actions such as creating or updating a client or user actions such as authentication to "
    "the client."
)
POLICIES_TOOLTIP = (
    "Client Policy allows binding client profiles with various conditions to specify when enforced behavior is "
    "specified by executors of the particular client profile."
)


def actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request)


def can_manage(request: HttpRequest) -> bool:
    return permissions.has(request.user, MANAGE)


def require_manage(request: HttpRequest) -> None:
    if not can_manage(request):
        raise PermissionDenied


def context(request: HttpRequest, realm: Realm, **extra) -> dict:
    return {
        "realm": realm,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "client-policies",
        "can_manage": can_manage(request),
        **extra,
    }


def profile_or_404(realm: Realm, pk) -> ClientProfile:
    try:
        return selectors.profile_get(realm=realm, pk=pk)
    except ClientProfile.DoesNotExist as exc:
        raise Http404("Client profile not found") from exc


def policy_or_404(realm: Realm, pk) -> ClientPolicy:
    try:
        return selectors.policy_get(realm=realm, pk=pk)
    except ClientPolicy.DoesNotExist as exc:
        raise Http404("Client policy not found") from exc


def profile_url(realm: Realm, profile: ClientProfile) -> str:
    return reverse("client-profile", kwargs={"realm": realm.name, "profile": profile.pk})


def policy_url(realm: Realm, policy: ClientPolicy) -> str:
    return reverse("client-policy", kwargs={"realm": realm.name, "policy": policy.pk})


def search_words(request: HttpRequest) -> str:
    """A table's name filter (``?search=``), as the Clients list reads it."""
    return request.GET.get("search", "").strip()[:255]


# Keycloak's duplicate-name refusals (kept on the wire) and the console's one sentence for them.
DUPLICATES = {services.PROFILE_NAME_DUPLICATED: "client profile", services.POLICY_NAME_DUPLICATED: "client policy"}


# What a refusal's alert (toast) says instead of the message when the message is already shown at
# its field: the message appears once on the page (issue 14).
AT_FIELD = "see the field marked below"


def refusal_alert(request: HttpRequest, failed: str, message: str, *, at_field: bool) -> None:
    """The error alert ``failed`` (Keycloak's wording, docs/console-wording.md) with the refusal's
    ``message``, or, when the page shows that message at its field, a pointer to it instead."""
    if at_field:
        messages.error(request, failed.replace("'{}'", "{}").format(AT_FIELD))
    else:
        messages.error(request, failed.format(message))


def form_save(request: HttpRequest, form, save: Callable, *, failed: str, field_message: Callable = lambda exc: exc.detail):
    """``save(**form.cleaned_data)`` for a valid form; a refusal goes onto the form and into an alert.

    Returns what ``save`` returned, or None when the form is to be shown again with its errors.
    """
    if not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data, actor=actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    except PolicyValidationError as exc:
        duplicate = DUPLICATES.get(exc.message)
        name = form.cleaned_data.get("name", "")
        at_name = exc.field == "name"
        form.add_error("name" if at_name else None, duplicate_name(duplicate, name) if duplicate else field_message(exc))
        # Errors not about the name have no place in these forms but the alert.
        refusal_alert(request, failed, exc.message, at_field=at_name)
        return None


# --- the tab: sub-tabs Profiles and Policies, each with Form view / JSON editor ------------------


@dataclass(frozen=True)
class Subtab:
    """The Profiles or the Policies sub-tab: its table, its JSON document and where they live."""

    name: str  # "profiles" / "policies": the words of the alerts and the editor's document key
    url_name: str
    json_url_name: str
    rows: Callable  # selector: (realm=, search=) -> the table's rows
    representation: Callable
    replace: Callable


PROFILES = Subtab(
    name="profiles",
    url_name="client-policies",
    json_url_name="client-profiles-json",
    rows=selectors.profiles_list,
    representation=services.profiles_representation,
    replace=services.profiles_replace,
)
POLICIES = Subtab(
    name="policies",
    url_name="client-policies-policies",
    json_url_name="client-policies-json",
    rows=selectors.policies_list,
    representation=services.policies_representation,
    replace=services.policies_replace,
)


def pretty(representation: dict) -> str:
    return json.dumps(representation, indent=2, ensure_ascii=False)


def subtab_page(
    request: HttpRequest,
    realm: Realm,
    subtab: Subtab,
    *,
    json_text: str | None = None,
    json_error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The Client Policies tab on ``subtab``: its table (Form view) or its JSON editor."""
    view = "json" if json_text is not None or request.GET.get("view") == "json" else "form"
    if view == "json" and json_text is None:
        json_text = pretty(subtab.representation(realm))
    search = search_words(request) if view == "form" else ""
    page_context = context(
        request,
        realm,
        subtab=subtab.name,
        view=view,
        subtab_url=reverse(subtab.url_name, kwargs={"realm": realm.name}),
        json_url=reverse(subtab.json_url_name, kwargs={"realm": realm.name}),
        items=list(subtab.rows(realm=realm, search=search)),
        search=search,
        json_text=json_text,
        json_error=json_error,
        profiles_tooltip=PROFILES_TOOLTIP,
        policies_tooltip=POLICIES_TOOLTIP,
    )
    return render_page(request, "policies/client_policies.html", page_context, partial="subtab-pane", status=status)
