"""The Client Policies tab of Realm Settings: thin views over ``policies.services``.

view-realm reads, manage-realm writes. Every form works as a plain POST (302 on success, 400 with
the errors on refusal) and through htmx (HX-Redirect on success, the form fragment with the
errors and an out-of-band alert on refusal).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse

from adminconsole import permissions
from adminconsole.actor import Actor
from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, render_page
from adminconsole.navigation import realm_settings_tabs
from policies import services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.forms import ConfigFieldset, PolicyForm, ProfileForm
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


def _require_post(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def _refused_status(request) -> int:
    # htmx swaps only 2xx answers: a refused htmx post answers 200 with the errors in the fragment.
    return 200 if request.htmx else 400


def _context(request, realm, **extra) -> dict:
    return {
        "realm": realm,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "client-policies",
        "can_manage": _can_manage(request),
        "executors_help": EXECUTORS_HELP,
        "conditions_help": CONDITIONS_HELP,
        "client_profiles_help": CLIENT_PROFILES_HELP,
        **extra,
    }


def _get_profile(realm, pk) -> ClientProfile:
    try:
        return ClientProfile.objects.get(realm=realm, pk=int(pk))
    except (ValueError, ClientProfile.DoesNotExist) as exc:
        raise Http404("Client profile not found") from exc


def _get_policy(realm, pk) -> ClientPolicy:
    try:
        return ClientPolicy.objects.get(realm=realm, pk=int(pk))
    except (ValueError, ClientPolicy.DoesNotExist) as exc:
        raise Http404("Client policy not found") from exc


def _pretty(representation: dict) -> str:
    return json.dumps(representation, indent=2, ensure_ascii=False)


def _profile_url(realm, profile) -> str:
    return reverse("client-profile", kwargs={"realm": realm.name, "profile": profile.pk})


def _policy_url(realm, policy) -> str:
    return reverse("client-policy", kwargs={"realm": realm.name, "policy": policy.pk})


# --- the tab: sub-tabs Profiles and Policies, each with Form view / JSON editor ------------------


def _subtab(request, realm, subtab: str, *, json_text: str | None = None, json_error: str | None = None, status: int = 200):
    view = "json" if json_text is not None or request.GET.get("view") == "json" else "form"
    if subtab == "profiles":
        items = ClientProfile.objects.filter(realm=realm).only("id", "name", "description", "position")
        url = reverse("client-policies", kwargs={"realm": realm.name})
        if view == "json" and json_text is None:
            json_text = _pretty(services.profiles_representation(realm))
        json_url = reverse("client-profiles-json", kwargs={"realm": realm.name})
    else:
        items = ClientPolicy.objects.filter(realm=realm).only("id", "name", "description", "enabled", "position")
        url = reverse("client-policies-policies", kwargs={"realm": realm.name})
        if view == "json" and json_text is None:
            json_text = _pretty(services.policies_representation(realm))
        json_url = reverse("client-policies-json", kwargs={"realm": realm.name})
    context = _context(
        request,
        realm,
        subtab=subtab,
        view=view,
        subtab_url=url,
        json_url=json_url,
        items=list(items),
        json_text=json_text,
        json_error=json_error,
        profiles_tooltip=PROFILES_TOOLTIP,
        policies_tooltip=POLICIES_TOOLTIP,
    )
    return render_page(request, "policies/client_policies.html", context, partial="subtab-pane", status=status)


@realm_view(VIEW)
def profiles_tab(request, realm):
    return _subtab(request, realm, "profiles")


@realm_view(VIEW)
def policies_tab(request, realm):
    return _subtab(request, realm, "policies")


def _editor_document(parsed, key: str, what: str):
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
    return {key: entries}


def _json_save(request, realm, subtab: str):
    if request.method != "POST":
        return redirect(reverse("client-policies" if subtab == "profiles" else "client-policies-policies", kwargs={"realm": realm.name}) + "?view=json")
    what = "profiles" if subtab == "profiles" else "policies"
    text = request.POST.get("json", "")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        error = f"Unable to save client {what}, the provided information is not valid JSON: {exc}"
    else:
        try:
            if subtab == "profiles":
                services.profiles_replace(
                    realm=realm, representation=_editor_document(parsed, "profiles", what), actor=_actor(request)
                )
            else:
                services.policies_replace(
                    realm=realm, representation=_editor_document(parsed, "policies", what), actor=_actor(request)
                )
        except PolicyValidationError as exc:
            error = f"Could not update client {what}: {exc.message}"
        else:
            messages.success(request, f"The client {what} configuration was updated")
            if not request.htmx:
                name = "client-policies" if subtab == "profiles" else "client-policies-policies"
                return redirect(reverse(name, kwargs={"realm": realm.name}) + "?view=json")
            return _subtab(request, realm, subtab, json_text=_fresh_json(realm, subtab))
    messages.error(request, error)
    return _subtab(request, realm, subtab, json_text=text, json_error=error, status=_refused_status(request))


def _fresh_json(realm, subtab: str) -> str:
    rep = services.profiles_representation(realm) if subtab == "profiles" else services.policies_representation(realm)
    return _pretty(rep)


@realm_view(VIEW, write_role=MANAGE)
def profiles_json(request, realm):
    return _json_save(request, realm, "profiles")


@realm_view(VIEW, write_role=MANAGE)
def policies_json(request, realm):
    return _json_save(request, realm, "policies")


# --- profiles -------------------------------------------------------------------------------------


def _executor_items(profile) -> list[dict]:
    items = []
    for index, row in enumerate(profile.executors.order_by("position", "id")):
        provider = EXECUTORS.get(row.provider_id)
        items.append(
            {
                "index": index,
                "provider_id": row.provider_id,
                "help_text": provider.help_text if provider else "",
                "has_config": bool(provider and provider.fields),
            }
        )
    return items


def _profile_page(request, realm, form, profile=None, status: int = 200):
    context = _context(
        request, realm, form=form, profile=profile, executors=_executor_items(profile) if profile else []
    )
    return render_page(request, "policies/profile_form.html", context, partial="profile-form", status=status)


@realm_view(VIEW, write_role=MANAGE)
def profile_create(request, realm):
    _require_manage(request)
    form = ProfileForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile = services.profile_create(
                    realm=realm,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=_actor(request),
                )
            except PolicyValidationError as exc:
                form.add_error("name" if exc.field == "name" else None, exc.detail)
                messages.error(request, f"Could not create client profile: '{exc.message}'")
            else:
                messages.success(request, "New client profile created")
                return redirect_htmx_aware(request, _profile_url(realm, profile))
        return _profile_page(request, realm, form, status=_refused_status(request))
    return _profile_page(request, realm, form)


@realm_view(VIEW, write_role=MANAGE)
def profile_detail(request, realm, profile):
    profile = _get_profile(realm, profile)
    initial = {"name": profile.name, "description": profile.description or ""}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                profile = services.profile_update(
                    realm=realm,
                    profile=profile,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=_actor(request),
                )
            except PolicyNotFound as exc:
                raise Http404(str(exc)) from exc
            except PolicyValidationError as exc:
                form.add_error("name" if exc.field == "name" else None, exc.detail)
                messages.error(request, f"Could not update client profile: {exc.message}")
            else:
                messages.success(request, "Client profile updated successfully")
                return redirect_htmx_aware(request, _profile_url(realm, profile))
        return _profile_page(request, realm, form, profile, status=_refused_status(request))
    return _profile_page(request, realm, form, profile)


@realm_view(VIEW, write_role=MANAGE)
def profile_delete(request, realm, profile):
    if (refused := _require_post(request)) is not None:
        return refused
    profile = _get_profile(realm, profile)
    try:
        services.profile_delete(realm=realm, profile=profile, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client profile deleted")
    return redirect_htmx_aware(request, reverse("client-policies", kwargs={"realm": realm.name}))


# --- executors ------------------------------------------------------------------------------------


def _type_info(provider) -> dict | None:
    """A provider class as template data (templates would call a class)."""
    if provider is None:
        return None
    return {
        "provider_id": provider.provider_id,
        "help_text": provider.help_text,
        "description": getattr(provider, "description", None) or provider.help_text,
    }


def _typed_form_page(request, realm, template: str, *, status: int = 200, **extra):
    extra["provider"] = _type_info(extra.get("provider"))
    extra["providers"] = [_type_info(p) for p in extra.get("providers", ())]
    partial = "config-fields" if request.method == "GET" and request.htmx else "type-form"
    return render_page(request, template, _context(request, realm, **extra), partial=partial, status=status)


def _executor_page(request, realm, profile, *, provider, fieldset, index=None, type_error=None, status=200):
    return _typed_form_page(
        request,
        realm,
        "policies/executor_form.html",
        status=status,
        profile=profile,
        provider=provider,
        providers=list(EXECUTORS.values()),
        fieldset=fieldset,
        index=index,
        editing=index is not None,
        type_error=type_error,
    )


@realm_view(VIEW, write_role=MANAGE)
def executor_add(request, realm, profile):
    _require_manage(request)
    profile = _get_profile(realm, profile)
    source = request.POST if request.method == "POST" else request.GET
    provider = EXECUTORS.get(source.get("executor", ""))
    fieldset = ConfigFieldset(provider, data=request.POST if request.method == "POST" else None) if provider else None
    type_error = None
    if request.method == "POST":
        action = request.POST.get("_row")
        if action and fieldset is not None:
            fieldset.row_action(action)
            return _executor_page(request, realm, profile, provider=provider, fieldset=fieldset)
        if provider is None:
            type_error = "Required field"
        else:
            try:
                services.profile_executor_add(
                    realm=realm,
                    profile=profile,
                    executor=provider.provider_id,
                    configuration=fieldset.configuration(),
                    actor=_actor(request),
                )
            except PolicyNotFound as exc:
                raise Http404(str(exc)) from exc
            except PolicyValidationError as exc:
                if not fieldset.add_error(exc.field, exc.detail):
                    type_error = exc.detail
                messages.error(request, f"Executor not created: {exc.message}")
            else:
                messages.success(request, "Success! Executor created successfully")
                return redirect_htmx_aware(request, _profile_url(realm, profile))
        status = _refused_status(request)
    else:
        status = 200
    return _executor_page(request, realm, profile, provider=provider, fieldset=fieldset, type_error=type_error, status=status)


@realm_view(VIEW, write_role=MANAGE)
def executor_detail(request, realm, profile, index):
    profile = _get_profile(realm, profile)
    rows = list(profile.executors.order_by("position", "id"))
    try:
        row = rows[int(index)]
    except (ValueError, IndexError) as exc:
        raise Http404("Executor not found") from exc
    provider = EXECUTORS.get(row.provider_id)
    if provider is None:
        raise Http404("Unknown executor type")
    data = request.POST if request.method == "POST" else None
    fieldset = ConfigFieldset(provider, data=data, configuration=row.configuration if isinstance(row.configuration, dict) else {})
    type_error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("_row")
        if action:
            fieldset.row_action(action)
            return _executor_page(request, realm, profile, provider=provider, fieldset=fieldset, index=int(index))
        try:
            services.profile_executor_update(
                realm=realm, profile=profile, index=int(index), configuration=fieldset.configuration(), actor=_actor(request)
            )
        except PolicyNotFound as exc:
            raise Http404(str(exc)) from exc
        except PolicyValidationError as exc:
            if not fieldset.add_error(exc.field, exc.detail):
                type_error = exc.detail
            messages.error(request, f"Executor not updated: {exc.message}")
            status = _refused_status(request)
        else:
            messages.success(request, "Executor updated successfully")
            return redirect_htmx_aware(request, _profile_url(realm, profile))
    return _executor_page(
        request, realm, profile, provider=provider, fieldset=fieldset, index=int(index), type_error=type_error, status=status
    )


@realm_view(VIEW, write_role=MANAGE)
def executor_delete(request, realm, profile, index):
    if (refused := _require_post(request)) is not None:
        return refused
    profile = _get_profile(realm, profile)
    try:
        services.profile_executor_delete(realm=realm, profile=profile, index=index, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Success! The executor was deleted.")
    return redirect_htmx_aware(request, _profile_url(realm, profile))


# --- policies -------------------------------------------------------------------------------------


def _condition_items(policy) -> list[dict]:
    items = []
    for index, row in enumerate(policy.conditions.order_by("position", "id")):
        provider = CONDITIONS.get(row.provider_id)
        items.append(
            {
                "index": index,
                "provider_id": row.provider_id,
                "help_text": provider.help_text if provider else "",
                "has_config": bool(provider and provider.fields),
            }
        )
    return items


def _profile_ref_items(realm, policy) -> list[dict]:
    refs = list(policy.profile_refs.order_by("position", "id"))
    profiles = {p.name: p for p in ClientProfile.objects.filter(realm=realm, name__in=[r.profile_name for r in refs])}
    return [{"index": i, "name": r.profile_name, "profile": profiles.get(r.profile_name)} for i, r in enumerate(refs)]


def _available_profiles(realm, policy) -> list[ClientProfile]:
    taken = set(policy.profile_refs.values_list("profile_name", flat=True))
    return [p for p in ClientProfile.objects.filter(realm=realm) if p.name not in taken]


def _policy_context(request, realm, form, policy=None, **extra) -> dict:
    context = _context(request, realm, form=form, policy=policy, **extra)
    if policy is not None:
        context.update(conditions=_condition_items(policy), profile_refs=_profile_ref_items(realm, policy))
        if context.get("show_add_panel"):
            context["available_profiles"] = _available_profiles(realm, policy)
    return context


def _policy_page(request, realm, form, policy=None, *, partial="policy-form", status=200, **extra):
    context = _policy_context(request, realm, form, policy, **extra)
    return render_page(request, "policies/policy_form.html", context, partial=partial, status=status)


def _policy_initial(policy) -> dict:
    return {"name": policy.name, "description": policy.description or "", "enabled": policy.enabled}


@realm_view(VIEW, write_role=MANAGE)
def policy_create(request, realm):
    _require_manage(request)
    form = PolicyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                policy = services.policy_create(
                    realm=realm,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    enabled=form.cleaned_data["enabled"],
                    actor=_actor(request),
                )
            except PolicyValidationError as exc:
                form.add_error("name" if exc.field == "name" else None, _policy_field_message(exc))
                messages.error(request, f"Could not create policy due to: {exc.message}")
            else:
                messages.success(request, "New policy created")
                return redirect_htmx_aware(request, _policy_url(realm, policy))
        return _policy_page(request, realm, form, status=_refused_status(request))
    return _policy_page(request, realm, form)


def _policy_field_message(exc: PolicyValidationError) -> str:
    if exc.message == services.POLICY_NAME_DUPLICATED:
        return "The name must be unique within the realm"
    return exc.detail


@realm_view(VIEW, write_role=MANAGE)
def policy_detail(request, realm, policy):
    policy = _get_policy(realm, policy)
    form = PolicyForm(request.POST or None, initial=_policy_initial(policy))
    if request.method == "POST":
        if form.is_valid():
            try:
                policy = services.policy_update(
                    realm=realm,
                    policy=policy,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    enabled=form.cleaned_data["enabled"],
                    actor=_actor(request),
                )
            except PolicyNotFound as exc:
                raise Http404(str(exc)) from exc
            except PolicyValidationError as exc:
                form.add_error("name" if exc.field == "name" else None, _policy_field_message(exc))
                messages.error(request, f"Could not create policy due to: {exc.message}")
            else:
                messages.success(request, "Client policy updated")
                return redirect_htmx_aware(request, _policy_url(realm, policy))
        return _policy_page(request, realm, form, policy, status=_refused_status(request))
    return _policy_page(request, realm, form, policy)


@realm_view(VIEW, write_role=MANAGE)
def policy_delete(request, realm, policy):
    if (refused := _require_post(request)) is not None:
        return refused
    policy = _get_policy(realm, policy)
    try:
        services.policy_delete(realm=realm, policy=policy, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client policy deleted")
    return redirect_htmx_aware(request, reverse("client-policies-policies", kwargs={"realm": realm.name}))


@realm_view(VIEW, write_role=MANAGE)
def policy_toggle(request, realm, policy):
    """The Enabled/Disabled switch of the policies table: saves at once, answers the row."""
    if (refused := _require_post(request)) is not None:
        return refused
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


# --- conditions -----------------------------------------------------------------------------------


def _condition_page(request, realm, policy, *, provider, fieldset, index=None, type_error=None, status=200):
    return _typed_form_page(
        request,
        realm,
        "policies/condition_form.html",
        status=status,
        policy=policy,
        provider=provider,
        providers=list(CONDITIONS.values()),
        fieldset=fieldset,
        index=index,
        editing=index is not None,
        type_error=type_error,
    )


@realm_view(VIEW, write_role=MANAGE)
def condition_add(request, realm, policy):
    _require_manage(request)
    policy = _get_policy(realm, policy)
    source = request.POST if request.method == "POST" else request.GET
    provider = CONDITIONS.get(source.get("condition", ""))
    fieldset = ConfigFieldset(provider, data=request.POST if request.method == "POST" else None) if provider else None
    type_error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("_row")
        if action and fieldset is not None:
            fieldset.row_action(action)
            return _condition_page(request, realm, policy, provider=provider, fieldset=fieldset)
        if provider is None:
            type_error = "Required field"
        else:
            try:
                services.policy_condition_add(
                    realm=realm,
                    policy=policy,
                    condition=provider.provider_id,
                    configuration=fieldset.configuration(),
                    actor=_actor(request),
                )
            except PolicyNotFound as exc:
                raise Http404(str(exc)) from exc
            except PolicyValidationError as exc:
                if not fieldset.add_error(exc.field, exc.detail):
                    type_error = exc.detail
                messages.error(request, f"Error creating condition: {exc.message}")
            else:
                messages.success(request, "Condition created successfully.")
                return redirect_htmx_aware(request, _policy_url(realm, policy))
        status = _refused_status(request)
    return _condition_page(request, realm, policy, provider=provider, fieldset=fieldset, type_error=type_error, status=status)


@realm_view(VIEW, write_role=MANAGE)
def condition_detail(request, realm, policy, index):
    policy = _get_policy(realm, policy)
    rows = list(policy.conditions.order_by("position", "id"))
    try:
        row = rows[int(index)]
    except (ValueError, IndexError) as exc:
        raise Http404("Condition not found") from exc
    provider = CONDITIONS.get(row.provider_id)
    if provider is None:
        raise Http404("Unknown condition type")
    data = request.POST if request.method == "POST" else None
    fieldset = ConfigFieldset(provider, data=data, configuration=row.configuration if isinstance(row.configuration, dict) else {})
    type_error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("_row")
        if action:
            fieldset.row_action(action)
            return _condition_page(request, realm, policy, provider=provider, fieldset=fieldset, index=int(index))
        try:
            services.policy_condition_update(
                realm=realm, policy=policy, index=int(index), configuration=fieldset.configuration(), actor=_actor(request)
            )
        except PolicyNotFound as exc:
            raise Http404(str(exc)) from exc
        except PolicyValidationError as exc:
            if not fieldset.add_error(exc.field, exc.detail):
                type_error = exc.detail
            messages.error(request, f"Error creating condition: {exc.message}")
            status = _refused_status(request)
        else:
            messages.success(request, "Condition updated successfully.")
            return redirect_htmx_aware(request, _policy_url(realm, policy))
    return _condition_page(
        request, realm, policy, provider=provider, fieldset=fieldset, index=int(index), type_error=type_error, status=status
    )


@realm_view(VIEW, write_role=MANAGE)
def condition_delete(request, realm, policy, index):
    if (refused := _require_post(request)) is not None:
        return refused
    policy = _get_policy(realm, policy)
    try:
        services.policy_condition_delete(realm=realm, policy=policy, index=index, actor=_actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "The condition has been deleted")
    return redirect_htmx_aware(request, _policy_url(realm, policy))


# --- the policy's client profiles -----------------------------------------------------------------


@realm_view(VIEW, write_role=MANAGE)
def policy_profiles_add(request, realm, policy):
    """The "Add client profile" dialog: a panel loaded by htmx, or the policy page with it open."""
    _require_manage(request)
    policy = _get_policy(realm, policy)
    form = PolicyForm(initial=_policy_initial(policy))
    if request.method == "GET":
        partial = "add-profiles-panel" if request.htmx else "policy-form"
        return _policy_page(request, realm, form, policy, partial=partial, show_add_panel=True)
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
def policy_profile_remove(request, realm, policy, index):
    if (refused := _require_post(request)) is not None:
        return refused
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
