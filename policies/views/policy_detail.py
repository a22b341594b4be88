"""A client policy: create, its details form, delete, its conditions and its client profiles."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from policies import selectors, services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.forms import PolicyForm
from policies.providers import CONDITIONS
from policies.views import common
from policies.views.children import OrderedChildren

CONDITIONS_HELP = (
    "Conditions, which will be evaluated to determine if client policy should be applied during particular action or not."
)
CLIENT_PROFILES_HELP = "Client profiles applied on this policy."
PROFILE_REMOVE_CONFIRM = "This action will permanently delete {} from the policy {}. This cannot be undone."


class Conditions(OrderedChildren):
    """A policy's conditions: their votes decide whether the policy applies."""

    name = "condition"
    parent = "policy"
    parent_url_name = "client-policy"
    section = "policies"
    registry = CONDITIONS
    add = staticmethod(services.policy_condition_add)
    update = staticmethod(services.policy_condition_update)
    delete = staticmethod(services.policy_condition_delete)
    help = CONDITIONS_HELP
    edit_title = "Edit condition"
    edit_crumb = "Edit condition"
    type_placeholder = "Select a condition"
    untyped_help = CONDITIONS_HELP
    confirm_delete = "This action will permanently delete {}. This cannot be undone."
    add_failed = "Error creating condition: {}"
    added = "Condition created successfully."
    update_failed = "Error creating condition: {}"
    updated = "Condition updated successfully."
    deleted = "The condition has been deleted"

    def get_parent(self, realm, pk):
        return common.policy_or_404(realm, pk)

    def children(self, parent):
        return selectors.policy_conditions(policy=parent)


CONDITION = Conditions()
condition_add, condition_detail, condition_delete = CONDITION.urls_views()


def _profile_ref_items(realm, policy) -> list[dict]:
    names = selectors.policy_profile_names(policy=policy)
    profiles = selectors.profiles_by_name(realm=realm, names=names)
    return [
        {
            "index": i,
            "name": name,
            "profile": profiles.get(name),
            "confirm_message": PROFILE_REMOVE_CONFIRM.format(name, policy.name),
        }
        for i, name in enumerate(names)
    ]


def policy_page(request, realm, form, policy=None, *, partial="policy-form", status=200, **extra):
    context = common.context(request, realm, form=form, policy=policy, client_profiles_help=CLIENT_PROFILES_HELP, **extra)
    if policy is not None:
        context.update(kind=CONDITION, components=CONDITION.items(policy), profile_refs=_profile_ref_items(realm, policy))
        if context.get("show_add_panel"):
            search = context.get("add_panel_search", "")
            context["available_profiles"] = selectors.policy_profiles_available(realm=realm, policy=policy, search=search)
    return render_page(request, "policies/policy_form.html", context, partial=partial, status=status)


def _policy_initial(policy) -> dict:
    return {"name": policy.name, "description": policy.description or "", "enabled": policy.enabled}


def _policy_field_message(exc: PolicyValidationError) -> str:
    if exc.message == services.POLICY_NAME_DUPLICATED:
        return "The name must be unique within the realm"
    return exc.detail


@realm_view(common.VIEW, write_role=common.MANAGE)
def policy_create(request, realm):
    common.require_manage(request)
    form = PolicyForm(request.POST or None)
    if request.method != "POST":
        return policy_page(request, realm, form)
    save = functools.partial(services.policy_create, realm=realm)
    policy = common.form_save(request, form, save, failed="Could not create policy due to: {}", field_message=_policy_field_message)
    if policy is None:
        return policy_page(request, realm, form, status=refused_status(request))
    messages.success(request, "New policy created")
    return redirect_htmx_aware(request, common.policy_url(realm, policy))


@realm_view(common.VIEW, write_role=common.MANAGE)
def policy_detail(request, realm, policy):
    policy = common.policy_or_404(realm, policy)
    form = PolicyForm(request.POST or None, initial=_policy_initial(policy))
    if request.method != "POST":
        return policy_page(request, realm, form, policy)
    save = functools.partial(services.policy_update, realm=realm, policy=policy)
    saved = common.form_save(request, form, save, failed="Could not create policy due to: {}", field_message=_policy_field_message)
    if saved is None:
        return policy_page(request, realm, form, policy, status=refused_status(request))
    messages.success(request, "Client policy updated")
    return redirect_htmx_aware(request, common.policy_url(realm, saved))


@realm_view(common.VIEW, write_role=common.MANAGE)
@require_POST
def policy_delete(request, realm, policy):
    policy = common.policy_or_404(realm, policy)
    try:
        services.policy_delete(realm=realm, policy=policy, actor=common.actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client policy deleted")
    return redirect_htmx_aware(request, reverse("client-policies-policies", kwargs={"realm": realm.name}))


# --- the policy's client profiles -----------------------------------------------------------------


@realm_view(common.VIEW, write_role=common.MANAGE)
def policy_profiles_add(request, realm, policy):
    """The "Add client profile" dialog: a panel loaded by htmx, or the policy page with it open."""
    common.require_manage(request)
    policy = common.policy_or_404(realm, policy)
    form = PolicyForm(initial=_policy_initial(policy))
    if request.method == "GET":
        partial = "add-profiles-panel" if request.htmx else "policy-form"
        search = common.search_words(request)
        return policy_page(request, realm, form, policy, partial=partial, show_add_panel=True, add_panel_search=search)
    names = request.POST.getlist("profile")
    try:
        services.policy_profiles_add(realm=realm, policy=policy, profile_names=names, actor=common.actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    except PolicyValidationError as exc:
        # The message is shown in the open dialog, next to the profiles.
        common.refusal_alert(request, "Could not create client profile: '{}'", exc.message, at_field=True)
        status = refused_status(request)
        return policy_page(
            request, realm, form, policy, partial="client-profiles", status=status, show_add_panel=True, add_panel_error=exc.message
        )
    messages.success(request, "New client profile added")
    if not request.htmx:
        return redirect(common.policy_url(realm, policy))
    return policy_page(request, realm, form, policy, partial="client-profiles")


@realm_view(common.VIEW, write_role=common.MANAGE)
@require_POST
def policy_profile_remove(request, realm, policy, index):
    policy = common.policy_or_404(realm, policy)
    names = selectors.policy_profile_names(policy=policy)
    try:
        name = names[int(index)]
    except (ValueError, IndexError) as exc:
        raise Http404("The policy does not name this client profile") from exc
    try:
        services.policy_profiles_remove(realm=realm, policy=policy, profile_name=name, actor=common.actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Profile successfully removed from the policy.")
    if not request.htmx:
        return redirect(common.policy_url(realm, policy))
    form = PolicyForm(initial=_policy_initial(policy))
    return policy_page(request, realm, form, policy, partial="client-profiles")
