from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from adminconsole.decorators import realm_view
from adminconsole.htmx import refused_status, render_page
from adminconsole.navigation import realm_settings_tabs
from realms import permissions, services
from realms.actor import Actor
from realms.forms import RealmCreateForm, RealmGeneralForm


@realm_view(permissions.VIEW_REALM)
def realm_home(request, realm):
    return redirect("realm-settings", realm=realm.name)


@realm_view(permissions.VIEW_REALM)
def realm_create(request, realm):
    if not permissions.has(request.user, permissions.MANAGE_REALM):
        raise PermissionDenied
    form = RealmCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.realm_create(
                name=form.cleaned_data["name"], enabled=form.cleaned_data["enabled"], actor=Actor.from_request(request)
            )
        except services.RealmExists as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, "Realm created successfully")
            return redirect("realm-settings", realm=new.name)
    return render(request, "realms/realm_create.html", {"form": form, "realm": realm}, status=refused_status(request) if form.errors else 200)


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def realm_settings(request, realm):
    form = RealmGeneralForm(request.POST or None, initial={"display_name": realm.display_name, "enabled": realm.enabled})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            realm = services.realm_update(realm=realm, actor=Actor.from_request(request), **form.cleaned_data)
            messages.success(request, "Realm successfully updated")
            if not request.htmx:
                return redirect("realm-settings", realm=realm.name)
            form = RealmGeneralForm(initial=form.cleaned_data)
        else:
            messages.error(request, "Realm could not be updated: please correct the errors below")
            status = refused_status(request)
    context = {
        "realm": realm,
        "form": form,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "general",
        "can_manage": permissions.has(request.user, permissions.MANAGE_REALM),
        "can_delete": realm.name != "master" and permissions.has(request.user, permissions.MANAGE_REALM),
    }
    return render_page(request, "realms/realm_settings.html", context, partial="general-form", status=status)


@realm_view(permissions.MANAGE_REALM)
def realm_delete(request, realm):
    """Realm settings → Action → Delete. POST only; master cannot be deleted."""
    if request.method != "POST":
        return redirect("realm-settings", realm=realm.name)
    try:
        services.realm_delete(realm=realm, actor=Actor.from_request(request))
    except services.RealmProtected as exc:
        messages.error(request, f"Could not delete realm: {exc}")
        return redirect("realm-settings", realm=realm.name)
    messages.success(request, "The realm has been deleted")
    return redirect("realm-settings", realm="master")
