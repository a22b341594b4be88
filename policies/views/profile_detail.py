"""A client profile: create, its details form, delete, and its executors."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from policies import selectors, services
from policies.errors import PolicyNotFound
from policies.forms import ProfileForm
from policies.providers import EXECUTORS
from policies.views import common
from policies.views.children import OrderedChildren


class Executors(OrderedChildren):
    """A profile's executors, run in order when one of the profile's policies applies."""

    name = "executor"
    parent = "profile"
    parent_url_name = "client-profile"
    section = "profiles"
    registry = EXECUTORS
    add = staticmethod(services.profile_executor_add)
    update = staticmethod(services.profile_executor_update)
    delete = staticmethod(services.profile_executor_delete)
    help = "Executors, which will be applied for this client profile"
    edit_crumb = "Executor details"
    type_placeholder = "Select an executor"
    confirm_delete = "The action will permanently delete {}. This cannot be undone."
    add_failed = "Executor not created: {}"
    added = "Success! Executor created successfully"
    update_failed = "Executor not updated: {}"
    updated = "Executor updated successfully"
    deleted = "Success! The executor was deleted."

    def get_parent(self, realm, pk):
        return common.profile_or_404(realm, pk)

    def children(self, parent):
        return selectors.profile_executors(profile=parent)


EXECUTOR = Executors()
executor_add, executor_detail, executor_delete = EXECUTOR.urls_views()


def profile_page(request, realm, form, profile=None, status: int = 200, *, partial: str = "profile-form", **extra):
    components = EXECUTOR.items(profile) if profile else []
    context = common.context(request, realm, form=form, profile=profile, kind=EXECUTOR, components=components, **extra)
    return render_page(request, "policies/profile_form.html", context, partial=partial, status=status)


@realm_view(common.VIEW, write_role=common.MANAGE)
def profile_create(request, realm):
    common.require_manage(request)
    form = ProfileForm(request.POST or None)
    if request.method != "POST":
        return profile_page(request, realm, form)
    save = functools.partial(services.profile_create, realm=realm)
    if (profile := common.form_save(request, form, save, failed="Could not create client profile: '{}'")) is None:
        return profile_page(request, realm, form, status=refused_status(request))
    messages.success(request, "New client profile created")
    return redirect_htmx_aware(request, common.profile_url(realm, profile))


@realm_view(common.VIEW, write_role=common.MANAGE)
def profile_detail(request, realm, profile):
    profile = common.profile_or_404(realm, profile)
    form = ProfileForm(request.POST or None, initial={"name": profile.name, "description": profile.description or ""})
    if request.method != "POST":
        return profile_page(request, realm, form, profile)
    save = functools.partial(services.profile_update, realm=realm, profile=profile)
    if (saved := common.form_save(request, form, save, failed="Could not update client profile: {}")) is None:
        return profile_page(request, realm, form, profile, status=refused_status(request))
    messages.success(request, "Client profile updated successfully")
    return redirect_htmx_aware(request, common.profile_url(realm, saved))


@realm_view(common.VIEW, write_role=common.MANAGE)
@require_POST
def profile_delete(request, realm, profile):
    profile = common.profile_or_404(realm, profile)
    try:
        services.profile_delete(realm=realm, profile=profile, actor=common.actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client profile deleted")
    return redirect_htmx_aware(request, reverse("client-policies", kwargs={"realm": realm.name}))
