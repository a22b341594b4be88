"""The Client Policies tab of Realm Settings: thin views over ``policies.services``.

view-realm reads, manage-realm writes. Every form works as a plain POST (302 on success, 400 with
the errors on refusal) and through htmx (HX-Redirect on success, the form fragment with the
errors and an out-of-band alert on refusal).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from realms import permissions
from realms.actor import Actor
from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, render_page
from realms.json_input import JSONInputError, json_parse
from adminconsole.navigation import realm_settings_tabs
from policies import services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.forms import REQUIRED, ConfigFieldset, PolicyForm, ProfileForm
from policies.models import ClientPolicy, ClientProfile
from policies.providers import CONDITIONS, EXECUTORS

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
EXECUTORS_HELP = "Executors, which will be applied for this client profile"
CONDITIONS_HELP = (
    "Conditions, which will be evaluated to determine if client policy should be applied during particular action or not."
)
CLIENT_PROFILES_HELP = "Client profiles applied on this policy."


# --- helpers --------------------------------------------------------------------------------------


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _can_manage(request) -> bool:
    return permissions.has(request.user, MANAGE)


def _require_manage(request) -> None:
    if not _can_manage(request):
        raise PermissionDenied


def _refused_status(request) -> int:
    # htmx swaps only 2xx answers: a refused htmx post answers 200 with the errors in the fragment.
    return 200 if request.htmx else 400


def _context(request, realm, **extra) -> dict:
    return {
        "realm": realm,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "client-policies",
        "can_manage": _can_manage(request),
        **extra,
    }


def _realm_object(model, realm, pk, not_found: str):
    try:
        return model.objects.get(realm=realm, pk=int(pk))
    except (ValueError, model.DoesNotExist) as exc:
        raise Http404(not_found) from exc


def _get_profile(realm, pk) -> ClientProfile:
    return _realm_object(ClientProfile, realm, pk, "Client profile not found")


def _get_policy(realm, pk) -> ClientPolicy:
    return _realm_object(ClientPolicy, realm, pk, "Client policy not found")


def _pretty(representation: dict) -> str:
    return json.dumps(representation, indent=2, ensure_ascii=False)


def _profile_url(realm, profile) -> str:
    return reverse("client-profile", kwargs={"realm": realm.name, "profile": profile.pk})


def _policy_url(realm, policy) -> str:
    return reverse("client-policy", kwargs={"realm": realm.name, "policy": policy.pk})


def _form_save(request, form, save, *, failed: str, field_message: Callable = lambda exc: exc.detail):
    """``save(**form.cleaned_data)`` for a valid form; a refusal goes onto the form and into an alert.

    Returns what ``save`` returned, or None when the form is to be shown again with its errors.
    """
    if not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    except PolicyValidationError as exc:
        form.add_error("name" if exc.field == "name" else None, field_message(exc))
        messages.error(request, failed.format(exc.message))
        return None


# --- the tab: sub-tabs Profiles and Policies, each with Form view / JSON editor ------------------


@dataclass(frozen=True)
class Subtab:
    """The Profiles or the Policies sub-tab: its table, its JSON document and where they live."""

    name: str  # "profiles" / "policies": the words of the alerts and the editor's document key
    url_name: str
    json_url_name: str
    model: type
    columns: tuple[str, ...]
    representation: Callable
    replace: Callable


PROFILES = Subtab(
    name="profiles",
    url_name="client-policies",
    json_url_name="client-profiles-json",
    model=ClientProfile,
    columns=("id", "name", "description", "position"),
    representation=services.profiles_representation,
    replace=services.profiles_replace,
)
POLICIES = Subtab(
    name="policies",
    url_name="client-policies-policies",
    json_url_name="client-policies-json",
    model=ClientPolicy,
    columns=("id", "name", "description", "enabled", "position"),
    representation=services.policies_representation,
    replace=services.policies_replace,
)


def _search(request) -> str:
    """The table's name filter (``?search=``), as the Clients list reads it."""
    return request.GET.get("search", "").strip()[:255]


def _subtab(request, realm, subtab: Subtab, *, json_text: str | None = None, json_error: str | None = None, status: int = 200):
    view = "json" if json_text is not None or request.GET.get("view") == "json" else "form"
    if view == "json" and json_text is None:
        json_text = _pretty(subtab.representation(realm))
    search = _search(request) if view == "form" else ""
    items = subtab.model.objects.filter(realm=realm).only(*subtab.columns)
    if search:
        items = items.filter(name__icontains=search)
    context = _context(
        request,
        realm,
        subtab=subtab.name,
        view=view,
        subtab_url=reverse(subtab.url_name, kwargs={"realm": realm.name}),
        json_url=reverse(subtab.json_url_name, kwargs={"realm": realm.name}),
        items=list(items),
        search=search,
        json_text=json_text,
        json_error=json_error,
        profiles_tooltip=PROFILES_TOOLTIP,
        policies_tooltip=POLICIES_TOOLTIP,
    )
    return render_page(request, "policies/client_policies.html", context, partial="subtab-pane", status=status)


@realm_view(VIEW)
def profiles_tab(request, realm):
    return _subtab(request, realm, PROFILES)


@realm_view(VIEW)
def policies_tab(request, realm):
    return _subtab(request, realm, POLICIES)


def _editor_document(parsed, what: str):
    """Keycloak's console editor holds a bare array with ``"global"`` markers; accept it too."""
    if not isinstance(parsed, list):
        return parsed
    entries = []
    for entry in parsed:
        if isinstance(entry, dict) and "global" in entry:
            entry = dict(entry)
            if entry.pop("global") is True:
                raise PolicyValidationError(f"Global {what} cannot be updated")
        entries.append(entry)
    return {what: entries}


def _json_save(request, realm, subtab: Subtab):
    json_view = reverse(subtab.url_name, kwargs={"realm": realm.name}) + "?view=json"
    if request.method != "POST":
        return redirect(json_view)
    what = subtab.name
    text = request.POST.get("json", "")
    try:
        parsed = json_parse(text)
    except JSONInputError as exc:
        error = f"Unable to save client {what}, the provided information is not valid JSON: {exc.message}"
    else:
        try:
            subtab.replace(realm=realm, representation=_editor_document(parsed, what), actor=_actor(request))
        except PolicyValidationError as exc:
            error = f"Could not update client {what}: {exc.message}"
        else:
            messages.success(request, f"The client {what} configuration was updated")
            if not request.htmx:
                return redirect(json_view)
            return _subtab(request, realm, subtab, json_text=_pretty(subtab.representation(realm)))
    messages.error(request, error)
    return _subtab(request, realm, subtab, json_text=text, json_error=error, status=_refused_status(request))


@realm_view(VIEW, write_role=MANAGE)
def profiles_json(request, realm):
    return _json_save(request, realm, PROFILES)


@realm_view(VIEW, write_role=MANAGE)
def policies_json(request, realm):
    return _json_save(request, realm, POLICIES)


# --- components: a profile's executors and a policy's conditions ---------------------------------


@dataclass(frozen=True)
class ComponentKind:
    """Executors of a client profile and conditions of a client policy are edited alike: an ordered
    list of typed, configured entries of a parent, added, edited and deleted by the same views.
    This says where the two differ."""

    name: str  # the type field's POST name, the services' type keyword and the pages' noun
    parent: str  # the URL keyword and the services' keyword for the profile or policy
    rows: str  # the parent's related name for its entries; the list section's id
    section: str  # breadcrumb: the sub-tab the parent belongs to
    registry: Mapping[str, type]
    get_parent: Callable
    add: Callable
    update: Callable
    delete: Callable
    # url names; each takes (realm, parent pk) and the detail and delete ones also the index
    parent_url_name: str
    add_url_name: str
    detail_url_name: str
    delete_url_name: str
    # words on the pages
    title: str
    help: str
    add_title: str
    edit_title: str  # empty: the entry's type
    edit_crumb: str
    type_label: str
    type_placeholder: str
    untyped_help: str  # shown in place of the type's help until one is chosen
    confirm_delete: str
    # alerts
    add_failed: str
    added: str
    update_failed: str
    updated: str
    deleted: str


EXECUTOR = ComponentKind(
    name="executor",
    parent="profile",
    rows="executors",
    section="profiles",
    registry=EXECUTORS,
    get_parent=_get_profile,
    add=services.profile_executor_add,
    update=services.profile_executor_update,
    delete=services.profile_executor_delete,
    parent_url_name="client-profile",
    add_url_name="client-profile-executor-add",
    detail_url_name="client-profile-executor",
    delete_url_name="client-profile-executor-delete",
    title="Executors",
    help=EXECUTORS_HELP,
    add_title="Add executor",
    edit_title="",
    edit_crumb="Executor details",
    type_label="Executor Type",
    type_placeholder="Select an executor",
    untyped_help="",
    confirm_delete="The action will permanently delete {}. This cannot be undone.",
    add_failed="Executor not created: {}",
    added="Success! Executor created successfully",
    update_failed="Executor not updated: {}",
    updated="Executor updated successfully",
    deleted="Success! The executor was deleted.",
)
CONDITION = ComponentKind(
    name="condition",
    parent="policy",
    rows="conditions",
    section="policies",
    registry=CONDITIONS,
    get_parent=_get_policy,
    add=services.policy_condition_add,
    update=services.policy_condition_update,
    delete=services.policy_condition_delete,
    parent_url_name="client-policy",
    add_url_name="client-policy-condition-add",
    detail_url_name="client-policy-condition",
    delete_url_name="client-policy-condition-delete",
    title="Conditions",
    help=CONDITIONS_HELP,
    add_title="Add condition",
    edit_title="Edit condition",
    edit_crumb="Edit condition",
    type_label="Condition Type",
    type_placeholder="Select a condition",
    untyped_help=CONDITIONS_HELP,
    confirm_delete="This action will permanently delete {}. This cannot be undone.",
    add_failed="Error creating condition: {}",
    added="Condition created successfully.",
    update_failed="Error creating condition: {}",
    updated="Condition updated successfully.",
    deleted="The condition has been deleted",
)


def _parent_url(realm, kind: ComponentKind, parent) -> str:
    return reverse(kind.parent_url_name, args=[realm.name, parent.pk])


def _component_rows(kind: ComponentKind, parent) -> list:
    return list(getattr(parent, kind.rows).order_by("position", "id"))


def _component_items(kind: ComponentKind, parent) -> list[dict]:
    """The list on the parent's page."""
    items = []
    for index, row in enumerate(_component_rows(kind, parent)):
        provider = kind.registry.get(row.provider_id)
        items.append(
            {
                "index": index,
                "provider_id": row.provider_id,
                "help_text": provider.help_text if provider else "",
                "has_config": bool(provider and provider.fields),
                "confirm_message": kind.confirm_delete.format(row.provider_id),
            }
        )
    return items


def _type_info(provider) -> dict | None:
    """A provider class as template data (templates would call a class)."""
    if provider is None:
        return None
    return {
        "provider_id": provider.provider_id,
        "help_text": provider.help_text,
        "description": getattr(provider, "description", None) or provider.help_text,
    }


def _component_page(request, realm, kind: ComponentKind, parent, *, provider, fieldset, index=None, type_error=None, status=200):
    context = _context(
        request,
        realm,
        kind=kind,
        parent=parent,
        provider=_type_info(provider),
        providers=[_type_info(p) for p in kind.registry.values()],
        fieldset=fieldset,
        index=index,
        editing=index is not None,
        type_error=type_error,
    )
    partial = "config-fields" if request.method == "GET" and request.htmx else "type-form"
    return render_page(request, "policies/component_form.html", context, partial=partial, status=status)


def _component_form(request, realm, kind: ComponentKind, parent, *, provider, fieldset, index=None):
    """Add (``index`` None) or edit one entry: GET shows the form, POST applies a row action or saves."""
    page = functools.partial(_component_page, request, realm, kind, parent, provider=provider, fieldset=fieldset, index=index)
    if request.method != "POST":
        return page()
    if (action := request.POST.get("_row")) and fieldset is not None:
        fieldset.row_action(action)
        return page()
    if provider is None:
        return page(type_error=REQUIRED, status=_refused_status(request))
    change = {"realm": realm, kind.parent: parent, "configuration": fieldset.configuration(), "actor": _actor(request)}
    try:
        if index is None:
            kind.add(**change, **{kind.name: provider.provider_id})
        else:
            kind.update(**change, index=index)
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    except PolicyValidationError as exc:
        type_error = None if fieldset.add_error(exc.field, exc.detail) else exc.detail
        messages.error(request, (kind.add_failed if index is None else kind.update_failed).format(exc.message))
        return page(type_error=type_error, status=_refused_status(request))
    messages.success(request, kind.added if index is None else kind.updated)
    return redirect_htmx_aware(request, _parent_url(realm, kind, parent))


def _component_add(request, realm, kind: ComponentKind, parent):
    _require_manage(request)
    parent = kind.get_parent(realm, parent)
    source = request.POST if request.method == "POST" else request.GET
    provider = kind.registry.get(source.get(kind.name, ""))
    fieldset = ConfigFieldset(provider, data=request.POST if request.method == "POST" else None) if provider else None
    return _component_form(request, realm, kind, parent, provider=provider, fieldset=fieldset)


def _component_detail(request, realm, kind: ComponentKind, parent, index):
    parent = kind.get_parent(realm, parent)
    try:
        row = _component_rows(kind, parent)[int(index)]
    except (ValueError, IndexError) as exc:
        raise Http404(f"{kind.name.capitalize()} not found") from exc
    provider = kind.registry.get(row.provider_id)
    if provider is None:
        raise Http404(f"Unknown {kind.name} type")
    data = request.POST if request.method == "POST" else None
    fieldset = ConfigFieldset(provider, data=data, configuration=row.configuration if isinstance(row.configuration, dict) else {})
    return _component_form(request, realm, kind, parent, provider=provider, fieldset=fieldset, index=int(index))


@require_POST
def _component_delete(request, realm, kind: ComponentKind, parent, index):
    parent = kind.get_parent(realm, parent)
    try:
        kind.delete(realm=realm, **{kind.parent: parent}, index=index, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, kind.deleted)
    return redirect_htmx_aware(request, _parent_url(realm, kind, parent))


# --- profiles -------------------------------------------------------------------------------------


def _profile_page(request, realm, form, profile=None, status: int = 200):
    components = _component_items(EXECUTOR, profile) if profile else []
    context = _context(request, realm, form=form, profile=profile, kind=EXECUTOR, components=components)
    return render_page(request, "policies/profile_form.html", context, partial="profile-form", status=status)


@realm_view(VIEW, write_role=MANAGE)
def profile_create(request, realm):
    _require_manage(request)
    form = ProfileForm(request.POST or None)
    if request.method != "POST":
        return _profile_page(request, realm, form)
    save = functools.partial(services.profile_create, realm=realm)
    if (profile := _form_save(request, form, save, failed="Could not create client profile: '{}'")) is None:
        return _profile_page(request, realm, form, status=_refused_status(request))
    messages.success(request, "New client profile created")
    return redirect_htmx_aware(request, _profile_url(realm, profile))


@realm_view(VIEW, write_role=MANAGE)
def profile_detail(request, realm, profile):
    profile = _get_profile(realm, profile)
    form = ProfileForm(request.POST or None, initial={"name": profile.name, "description": profile.description or ""})
    if request.method != "POST":
        return _profile_page(request, realm, form, profile)
    save = functools.partial(services.profile_update, realm=realm, profile=profile)
    if (saved := _form_save(request, form, save, failed="Could not update client profile: {}")) is None:
        return _profile_page(request, realm, form, profile, status=_refused_status(request))
    messages.success(request, "Client profile updated successfully")
    return redirect_htmx_aware(request, _profile_url(realm, saved))


@realm_view(VIEW, write_role=MANAGE)
@require_POST
def profile_delete(request, realm, profile):
    profile = _get_profile(realm, profile)
    try:
        services.profile_delete(realm=realm, profile=profile, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client profile deleted")
    return redirect_htmx_aware(request, reverse("client-policies", kwargs={"realm": realm.name}))


@realm_view(VIEW, write_role=MANAGE)
def executor_add(request, realm, profile):
    return _component_add(request, realm, EXECUTOR, profile)


@realm_view(VIEW, write_role=MANAGE)
def executor_detail(request, realm, profile, index):
    return _component_detail(request, realm, EXECUTOR, profile, index)


@realm_view(VIEW, write_role=MANAGE)
def executor_delete(request, realm, profile, index):
    return _component_delete(request, realm, EXECUTOR, profile, index)


# --- policies -------------------------------------------------------------------------------------


def _profile_ref_items(realm, policy) -> list[dict]:
    refs = list(policy.profile_refs.order_by("position", "id"))
    profiles = {p.name: p for p in ClientProfile.objects.filter(realm=realm, name__in=[r.profile_name for r in refs])}
    confirm = "This action will permanently delete {} from the policy {}. This cannot be undone."
    return [
        {
            "index": i,
            "name": r.profile_name,
            "profile": profiles.get(r.profile_name),
            "confirm_message": confirm.format(r.profile_name, policy.name),
        }
        for i, r in enumerate(refs)
    ]


def _available_profiles(realm, policy, search: str = "") -> list[ClientProfile]:
    taken = set(policy.profile_refs.values_list("profile_name", flat=True))
    profiles = ClientProfile.objects.filter(realm=realm)
    if search:
        profiles = profiles.filter(name__icontains=search)
    return [p for p in profiles if p.name not in taken]


def _policy_context(request, realm, form, policy=None, **extra) -> dict:
    context = _context(request, realm, form=form, policy=policy, client_profiles_help=CLIENT_PROFILES_HELP, **extra)
    if policy is not None:
        context.update(
            kind=CONDITION, components=_component_items(CONDITION, policy), profile_refs=_profile_ref_items(realm, policy)
        )
        if context.get("show_add_panel"):
            search = context.get("add_panel_search", "")
            context["available_profiles"] = _available_profiles(realm, policy, search)
    return context


def _policy_page(request, realm, form, policy=None, *, partial="policy-form", status=200, **extra):
    context = _policy_context(request, realm, form, policy, **extra)
    return render_page(request, "policies/policy_form.html", context, partial=partial, status=status)


def _policy_initial(policy) -> dict:
    return {"name": policy.name, "description": policy.description or "", "enabled": policy.enabled}


def _policy_field_message(exc: PolicyValidationError) -> str:
    if exc.message == services.POLICY_NAME_DUPLICATED:
        return "The name must be unique within the realm"
    return exc.detail


@realm_view(VIEW, write_role=MANAGE)
def policy_create(request, realm):
    _require_manage(request)
    form = PolicyForm(request.POST or None)
    if request.method != "POST":
        return _policy_page(request, realm, form)
    save = functools.partial(services.policy_create, realm=realm)
    policy = _form_save(request, form, save, failed="Could not create policy due to: {}", field_message=_policy_field_message)
    if policy is None:
        return _policy_page(request, realm, form, status=_refused_status(request))
    messages.success(request, "New policy created")
    return redirect_htmx_aware(request, _policy_url(realm, policy))


@realm_view(VIEW, write_role=MANAGE)
def policy_detail(request, realm, policy):
    policy = _get_policy(realm, policy)
    form = PolicyForm(request.POST or None, initial=_policy_initial(policy))
    if request.method != "POST":
        return _policy_page(request, realm, form, policy)
    save = functools.partial(services.policy_update, realm=realm, policy=policy)
    saved = _form_save(request, form, save, failed="Could not create policy due to: {}", field_message=_policy_field_message)
    if saved is None:
        return _policy_page(request, realm, form, policy, status=_refused_status(request))
    messages.success(request, "Client policy updated")
    return redirect_htmx_aware(request, _policy_url(realm, saved))


@realm_view(VIEW, write_role=MANAGE)
@require_POST
def policy_delete(request, realm, policy):
    policy = _get_policy(realm, policy)
    try:
        services.policy_delete(realm=realm, policy=policy, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client policy deleted")
    return redirect_htmx_aware(request, reverse("client-policies-policies", kwargs={"realm": realm.name}))


@realm_view(VIEW, write_role=MANAGE)
@require_POST
def policy_toggle(request, realm, policy):
    """The Enabled/Disabled switch of the policies table: saves at once, answers the row."""
    policy = _get_policy(realm, policy)
    enabled = request.POST.get("enabled", "").lower() in ("true", "on", "1")
    try:
        policy = services.policy_set_enabled(realm=realm, policy=policy, enabled=enabled, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client policy updated")
    if not request.htmx:
        return redirect("client-policies-policies", realm=realm.name)
    return render_page(request, "policies/client_policies.html", _context(request, realm, policy=policy), partial="policy-row")


@realm_view(VIEW, write_role=MANAGE)
def condition_add(request, realm, policy):
    return _component_add(request, realm, CONDITION, policy)


@realm_view(VIEW, write_role=MANAGE)
def condition_detail(request, realm, policy, index):
    return _component_detail(request, realm, CONDITION, policy, index)


@realm_view(VIEW, write_role=MANAGE)
def condition_delete(request, realm, policy, index):
    return _component_delete(request, realm, CONDITION, policy, index)


# --- the policy's client profiles -----------------------------------------------------------------


@realm_view(VIEW, write_role=MANAGE)
def policy_profiles_add(request, realm, policy):
    """The "Add client profile" dialog: a panel loaded by htmx, or the policy page with it open."""
    _require_manage(request)
    policy = _get_policy(realm, policy)
    form = PolicyForm(initial=_policy_initial(policy))
    if request.method == "GET":
        partial = "add-profiles-panel" if request.htmx else "policy-form"
        return _policy_page(
            request, realm, form, policy, partial=partial, show_add_panel=True, add_panel_search=_search(request)
        )
    names = request.POST.getlist("profile")
    try:
        services.policy_profiles_add(realm=realm, policy=policy, profile_names=names, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    except PolicyValidationError as exc:
        messages.error(request, f"Could not create client profile: '{exc.message}'")
        return _policy_page(
            request,
            realm,
            form,
            policy,
            partial="client-profiles",
            status=_refused_status(request),
            show_add_panel=True,
            add_panel_error=exc.message,
        )
    messages.success(request, "New client profile added")
    if not request.htmx:
        return redirect(_policy_url(realm, policy))
    return _policy_page(request, realm, form, policy, partial="client-profiles")


@realm_view(VIEW, write_role=MANAGE)
@require_POST
def policy_profile_remove(request, realm, policy, index):
    policy = _get_policy(realm, policy)
    names = list(policy.profile_refs.order_by("position", "id").values_list("profile_name", flat=True))
    try:
        name = names[int(index)]
    except (ValueError, IndexError) as exc:
        raise Http404("The policy does not name this client profile") from exc
    try:
        services.policy_profiles_remove(realm=realm, policy=policy, profile_name=name, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Profile successfully removed from the policy.")
    if not request.htmx:
        return redirect(_policy_url(realm, policy))
    form = PolicyForm(initial=_policy_initial(policy))
    return _policy_page(request, realm, form, policy, partial="client-profiles")
