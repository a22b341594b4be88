"""Manage → Users (realm master's administrators): the list with search, Create user, and a user's
Details, Credentials and Role mapping tabs, disable and delete. view-users reads, manage-users
changes (manage-realm implies both); ``users.services`` holds the rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from realms import permissions
from realms.actor import Actor
from users import selectors, services
from users.errors import UserAccessDenied, UserError, UserNotFound
from users.forms import NewPasswordForm, PasswordForm, RolesForm, UserForm

TABS = [("details", "Details", "user-details"), ("credentials", "Credentials", "user-credentials"),
        ("role-mapping", "Role mapping", "user-roles")]


def _master(realm) -> None:
    if realm.name != selectors.ADMIN_REALM:
        raise Http404("Only realm master has users")


def _user(realm, user_id):
    _master(realm)
    user = selectors.user_find(user_id)
    if user is None or selectors.user_is_service_account(user):
        raise Http404("User not found")
    return user


def _context(request, realm, **extra) -> dict:
    return {"realm": realm, "nav": "users", "can_manage": permissions.has(request.user, permissions.MANAGE_USERS), **extra}


def _user_context(request, realm, user, tab, **extra) -> dict:
    tabs = [{"key": key, "label": label, "url": reverse(name, kwargs={"realm": realm.name, "user_id": user.pk})}
            for key, label, name in TABS]
    return _context(request, realm, user=user, tabs=tabs, active_tab=tab, is_self=user.pk == request.user.pk,
                     temporary=selectors.user_password_temporary(user), **extra)


def _refused(form, exc) -> None:
    form.add_error(None, exc.message if hasattr(exc, "message") else str(exc))


@realm_view(permissions.VIEW_USERS)
def user_list(request, realm):
    search = request.GET.get("search", "")[:255]
    users = selectors.users_list(search=search, max_results=100) if realm.name == selectors.ADMIN_REALM else []
    return render_page(request, "users/users.html", _context(request, realm, users=users, search=search,
                                                             in_master=realm.name == selectors.ADMIN_REALM))


@realm_view(permissions.VIEW_USERS, write_role=permissions.MANAGE_USERS)
def user_create(request, realm):
    _master(realm)
    if not permissions.has(request.user, permissions.MANAGE_USERS):
        return redirect("user-list", realm=realm.name)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(username=data["username"], email=data["email"], first_name=data["first_name"],
                                        last_name=data["last_name"], enabled=data["enabled"], actor=Actor.from_request(request))
        except (UserError, UserAccessDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, "The user has been created")
            return redirect_htmx_aware(request, reverse("user-details", kwargs={"realm": realm.name, "user_id": user.pk}))
    status = refused_status(request) if form.errors else 200
    return render_page(request, "users/user_create.html", _context(request, realm, form=form), status=status)


@realm_view(permissions.VIEW_USERS, write_role=permissions.MANAGE_USERS)
def user_details(request, realm, user_id):
    user = _user(realm, user_id)
    initial = {"username": user.username, "email": user.email, "first_name": user.first_name,
               "last_name": user.last_name, "enabled": user.is_active}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(user_id=user.pk, username=data["username"], email=data["email"],
                                 first_name=data["first_name"], last_name=data["last_name"], enabled=data["enabled"],
                                 actor=Actor.from_request(request))
        except (UserError, UserAccessDenied, UserNotFound) as exc:
            _refused(form, exc)
        else:
            messages.success(request, "The user has been saved")
            return redirect_htmx_aware(request, reverse("user-details", kwargs={"realm": realm.name, "user_id": user.pk}))
    if not permissions.has(request.user, permissions.MANAGE_USERS):
        for field in form.fields.values():
            field.disabled = True
    status = refused_status(request) if form.errors else 200
    return render_page(request, "users/user_details.html", _user_context(request, realm, user, "details", form=form), status=status)


@realm_view(permissions.VIEW_USERS, write_role=permissions.MANAGE_USERS)
def user_credentials(request, realm, user_id):
    user = _user(realm, user_id)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_set(user_id=user.pk, password=form.cleaned_data["password"],
                                       temporary=form.cleaned_data["temporary"], actor=Actor.from_request(request))
        except (UserError, UserAccessDenied, UserNotFound) as exc:
            _refused(form, exc)
        else:
            if user.pk == request.user.pk:
                update_session_auth_hash(request, selectors.user_find(user.pk))
            messages.success(request, "The password has been set")
            return redirect_htmx_aware(request, reverse("user-credentials", kwargs={"realm": realm.name, "user_id": user.pk}))
    status = refused_status(request) if form.errors else 200
    context = _user_context(request, realm, user, "credentials", form=form,
                            has_password=user.has_usable_password())
    return render_page(request, "users/user_credentials.html", context, status=status)


@realm_view(permissions.VIEW_USERS, write_role=permissions.MANAGE_USERS)
def user_roles(request, realm, user_id):
    user = _user(realm, user_id)
    direct = selectors.user_direct_roles(user)
    form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": direct})
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["roles"])
        grant = [r for r in permissions.ALL_ROLES if r in chosen and r not in direct]
        revoke = [r for r in permissions.ALL_ROLES if r not in chosen and r in direct]
        try:
            services.user_roles_change(user_id=user.pk, grant=grant, revoke=revoke, actor=Actor.from_request(request))
        except (UserError, UserAccessDenied, UserNotFound) as exc:
            _refused(form, exc)
        else:
            messages.success(request, "Role mapping updated")
            return redirect_htmx_aware(request, reverse("user-roles", kwargs={"realm": realm.name, "user_id": user.pk}))
    if not permissions.has(request.user, permissions.MANAGE_USERS):
        form.fields["roles"].disabled = True
    effective = selectors.user_effective_roles(user)
    context = _user_context(request, realm, user, "role-mapping", form=form, direct=direct, effective=effective)
    return render_page(request, "users/user_roles.html", context, status=refused_status(request) if form.errors else 200)


def _action(request, realm, user_id, change, done: str):
    user = _user(realm, user_id)
    try:
        change(user)
    except (UserError, UserAccessDenied) as exc:
        messages.error(request, exc.message)
        return redirect("user-details", realm=realm.name, user_id=user.pk)
    messages.success(request, done)
    return None


@require_POST
@realm_view(permissions.MANAGE_USERS)
def user_enabled(request, realm, user_id):
    enabled = request.POST.get("enabled") == "1"
    refused = _action(request, realm, user_id, lambda user: services.user_update(
        user_id=user.pk, enabled=enabled, actor=Actor.from_request(request)),
        "The user has been enabled" if enabled else "The user has been disabled")
    return refused or redirect("user-details", realm=realm.name, user_id=user_id)


@require_POST
@realm_view(permissions.MANAGE_USERS)
def user_delete(request, realm, user_id):
    refused = _action(request, realm, user_id, lambda user: services.user_delete(
        user_id=user.pk, actor=Actor.from_request(request)), "The user has been deleted")
    return refused or redirect("user-list", realm=realm.name)


@login_required
def password_update(request):
    """After a temporary password: the user chooses their own before anything else."""
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_change(user=request.user, password=form.cleaned_data["password"],
                                          actor=Actor.from_request(request))
        except UserError as exc:
            form.add_error("password", exc.message)
        else:
            update_session_auth_hash(request, selectors.user_find(request.user.pk))
            messages.success(request, "Your password has been updated")
            return redirect("home")
    return render(request, "users/password_update.html", {"form": form}, status=refused_status(request) if form.errors else 200)
