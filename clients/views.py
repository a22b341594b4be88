"""Console pages for clients: the list, Create client, and a client's Settings, Credentials and
Roles tabs. Thin: parse, call one service, render (a named partial for htmx requests)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from clients import selectors, services
from clients.forms import ClientAuthenticatorForm, ClientCreateForm, ClientRoleForm, ClientSettingsForm
from clients.models import Client, ClientRole
from clients.representations import RepresentationError
from jobs import selectors as job_selectors
from policies.engine import ClientPolicyError, policies_for, policy_applies
from policies.providers.base import ClientFacts, Event, PolicyContext
from policies.providers.executors import SecretRotationExecutor
from realms import clock, permissions
from realms.actor import Actor

PER_PAGE = 10
PER_PAGE_CHOICES = (10, 20, 50, 100)

VIEW = permissions.VIEW_CLIENTS
MANAGE = permissions.MANAGE_CLIENTS


def _can_manage(request) -> bool:
    return permissions.has(request.user, MANAGE)


def _require_manage(request) -> None:
    if not _can_manage(request):
        raise PermissionDenied


def _locked_roles(request, client: Client) -> list[str]:
    """The roles of ``client``'s service account the signed-in administrator lacks (empty: none):
    while any, its secret stays masked and nothing of it may be changed."""
    return selectors.client_access_missing(client=client, actor=Actor.from_request(request))


def _refuses_privileged(tab: str):
    """A change of a client whose service account holds roles the administrator lacks
    (``ClientAccessDenied`` from the service) is refused with the reason, on the client's ``tab``:
    403 for a plain post; for htmx (which swaps only 2xx) a redirect that shows the message."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, realm, id, *args, **kwargs):
            try:
                return view(request, realm, id, *args, **kwargs)
            except selectors.ClientAccessDenied as exc:
                messages.error(request, exc.message)
                client = _get_client(realm, id)
                if request.htmx:
                    urls = {t["key"]: t["url"] for t in _tabs(client)}
                    return redirect_htmx_aware(request, urls.get(tab, urls["settings"]))
                if tab == "credentials" and not client.public_client:
                    return _credentials_response(request, realm, client, status=403)
                if tab == "roles":
                    return _roles_fragment(request, realm, client, status=403)
                context = _detail_context(request, realm, client, "settings", form=ClientSettingsForm(client=client))
                return render_page(request, "clients/settings.html", context, status=403)

        return wrapper

    return decorator


def _get_client(realm, id) -> Client:
    try:
        return selectors.client_get(realm=realm, id=id)
    except Client.DoesNotExist:
        raise Http404("Could not find client") from None


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ClientPolicyError):
        return exc.error_description
    return getattr(exc, "message", None) or str(exc)


def _client_exists_text(exc: services.ClientExists) -> str:
    """The console's one shape for a duplicate name (the Admin API keeps Keycloak's text)."""
    return f"A client with Client ID '{exc.client_id}' already exists"


def _tabs(client: Client) -> list[dict]:
    """Settings, Credentials (non-public clients only) and Roles, in Keycloak's order."""
    kwargs = {"realm": client.realm.name, "id": client.pk}
    tabs = [{"key": "settings", "label": "Settings", "url": reverse("client-settings", kwargs=kwargs)}]
    if not client.public_client:
        tabs.append({"key": "credentials", "label": "Credentials", "url": reverse("client-credentials", kwargs=kwargs)})
    tabs.append({"key": "roles", "label": "Roles", "url": reverse("client-roles", kwargs=kwargs)})
    if client.realm.name == "master" and client.has_secret_type and client.service_accounts_enabled:
        tabs.append({"key": "service-account-roles", "label": "Service account roles",
                     "url": reverse("client-service-account-roles", kwargs=kwargs)})
    return tabs


def _detail_context(request, realm, client: Client, tab: str, **extra) -> dict:
    manager = _can_manage(request)
    locked_roles = _locked_roles(request, client) if manager else []
    return {
        "realm": realm,
        "client": client,
        "tabs": _tabs(client),
        "active_tab": tab,
        # No control is offered for a client the administrator may not change.
        "can_manage": manager and not locked_roles,
        "locked_roles": locked_roles,
        "nav": "clients",
        **extra,
    }


# --- list and create -------------------------------------------------------------------------


@realm_view(VIEW)
def client_list(request, realm):
    search = request.GET.get("search", "").strip()[:255]
    try:
        per_page = int(request.GET.get("max", PER_PAGE))
    except ValueError:
        per_page = PER_PAGE
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE
    paginator = Paginator(selectors.client_list(realm=realm, search=search), per_page)
    page = paginator.get_page(request.GET.get("page"))
    can_manage = _can_manage(request)
    context = {
        "realm": realm,
        "page": page,
        "search": search,
        "per_page": per_page,
        "per_page_choices": PER_PAGE_CHOICES,
        "can_manage": can_manage,
        # Rows without a Delete action: clients whose service account holds roles the administrator lacks.
        "locked_ids": {c.pk for c in page.object_list if _locked_roles(request, c)} if can_manage else set(),
        "nav": "clients",
    }
    return render_page(request, "clients/list.html", context, partial="client-table")


@realm_view(VIEW, write_role=MANAGE)
def client_create(request, realm):
    _require_manage(request)
    form = ClientCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                client = services.client_create(
                    realm=realm, representation=form.to_representation(), actor=Actor.from_request(request)
                )
            except services.ClientExists as exc:
                form.add_error("client_id", _client_exists_text(exc))
                messages.error(request, f"Could not create client: '{exc.message}'")
            except RepresentationError as exc:
                form.add_representation_error(exc)
                messages.error(request, f"Could not create client: '{exc.message}'")
            except ClientPolicyError as exc:
                messages.error(request, f"Could not create client: '{exc.error_description}'")
            else:
                messages.success(request, "Client created successfully")
                return redirect_htmx_aware(request, reverse("client-settings", kwargs={"realm": realm.name, "id": client.pk}))
        status = refused_status(request)
    context = {"realm": realm, "form": form, "nav": "clients"}
    return render_page(request, "clients/create.html", context, partial="create-form", status=status)


# --- client details --------------------------------------------------------------------------


@realm_view(VIEW)
def client_detail(request, realm, id):
    client = _get_client(realm, id)
    return redirect_htmx_aware(request, reverse("client-settings", kwargs={"realm": realm.name, "id": client.pk}))


@realm_view(VIEW, write_role=MANAGE)
@_refuses_privileged("settings")
def client_settings(request, realm, id):
    client = _get_client(realm, id)
    form = ClientSettingsForm(request.POST if request.method == "POST" else None, client=client)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "Client could not be updated: please correct the errors below")
        else:
            was_public, was_enabled = client.public_client, client.enabled
            try:
                client = services.client_update(
                    client=client, representation=form.to_representation(), actor=Actor.from_request(request)
                )
            except (services.ClientExists, RepresentationError, ClientPolicyError) as exc:
                if isinstance(exc, RepresentationError):
                    form.add_representation_error(exc)
                elif isinstance(exc, services.ClientExists):
                    form.add_error("client_id", _client_exists_text(exc))
                messages.error(request, f"Client could not be updated: {_error_text(exc)}")
            else:
                messages.success(request, "Client successfully updated")
                url = reverse("client-settings", kwargs={"realm": realm.name, "id": client.pk})
                if not request.htmx or was_public != client.public_client or was_enabled != client.enabled:
                    # A plain post follows PRG; for htmx, a changed client type shows or hides
                    # the Credentials tab and a changed Enabled must reach the header switch,
                    # so the whole page reloads.
                    return redirect_htmx_aware(request, url)
                form = ClientSettingsForm(client=client)
        if form.is_bound:
            status = refused_status(request)
    context = _detail_context(request, realm, client, "settings", form=form)
    return render_page(request, "clients/settings.html", context, partial="settings-form", status=status)


@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("settings")
def client_enabled(request, realm, id):
    """The header's Enabled switch (docs/console-wording.md §13): a plain POST of ``enabled``, back to the tab."""
    client = _get_client(realm, id)
    enabled = request.POST.get("enabled", "").lower() in ("true", "on", "1")
    try:
        client = services.client_update(client=client, representation={"enabled": enabled}, actor=Actor.from_request(request))
    except (RepresentationError, ClientPolicyError) as exc:
        messages.error(request, f"Client could not be updated: {_error_text(exc)}")
    else:
        messages.success(request, "Client successfully updated")
    urls = {tab["key"]: tab["url"] for tab in _tabs(client)}
    return redirect_htmx_aware(request, urls.get(request.POST.get("tab", ""), urls["settings"]))


@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("settings")
def client_delete(request, realm, id):
    client = _get_client(realm, id)
    try:
        services.client_delete(client=client, actor=Actor.from_request(request))
    except ClientPolicyError as exc:
        messages.error(request, f"Could not delete client: {exc.error_description}")
        return redirect_htmx_aware(request, reverse("client-settings", kwargs={"realm": realm.name, "id": client.pk}))
    messages.success(request, "The client has been deleted")
    return redirect_htmx_aware(request, reverse("client-list", kwargs={"realm": realm.name}))


# --- Credentials tab -------------------------------------------------------------------------


def _credentials_client(realm, id) -> Client:
    client = _get_client(realm, id)
    if client.public_client:
        raise Http404("Public clients have no credentials")
    return client


@dataclass(frozen=True)
class RotationNote:
    """The client policy whose ``secret-rotation`` executor governs ``client``'s secret, as the
    Credentials tab names it; ``apply_url`` is its `Apply to existing clients` page (None for
    users who may not open it)."""

    policy: str
    profile: str
    executor: SecretRotationExecutor
    apply_url: str | None

    @property
    def rotated_until(self) -> dt.datetime | None:
        """Until when the old secret would stay valid after a Re-generate now; None: not at all."""
        period = self.executor.rotated_expiration_period
        return clock.from_epoch(clock.epoch() + period) if period > 0 else None


def _rotation_note(request, realm, client: Client) -> RotationNote | None:
    """The first enabled policy (in the realm's order) that selects ``client`` for an update and
    reaches a ``secret-rotation`` executor through one of its profiles: the one whose settings a
    save or Re-generate applies. Judged as the engine does on a client update by this user
    (``policy_applies``, as the policy's Matching clients section)."""
    policies = policies_for(realm)
    context = None
    for policy in policies.policies:
        for profile in policy.profile_names:
            executor = next((e for e in policies.executors_of(profile) if isinstance(e, SecretRotationExecutor)), None)
            if executor is None:
                continue
            if context is None:
                context = PolicyContext(
                    event=Event.UPDATE, realm=realm, client=client, representation={},
                    actor=Actor.from_request(request), now=clock.epoch(), facts=ClientFacts(client),
                )
            if not policy_applies(policy, context):
                break
            row = job_selectors.policy_by_name_or_none(realm=realm, name=policy.name)
            apply_url = (
                reverse("client-policy-apply", kwargs={"realm": realm.name, "policy": row.pk})
                if row is not None and permissions.has(request.user, permissions.VIEW_REALM) else None
            )
            return RotationNote(policy=policy.name, profile=profile, executor=executor, apply_url=apply_url)
    return None


def _credentials_response(request, realm, client: Client, *, form=None, registration_token=None, status=200):
    actor = Actor.from_request(request)
    context = _detail_context(
        request,
        realm,
        client,
        "credentials",
        creds=selectors.client_credentials(client=client, actor=actor, reveal=_can_manage(request)),
        authenticator_form=form or ClientAuthenticatorForm(initial={"client_authenticator_type": client.client_authenticator_type}),
        registration_token=registration_token,
        rotation=_rotation_note(request, realm, client) if client.has_secret_type else None,
    )
    return render_page(request, "clients/credentials.html", context, partial="credentials", status=status)


def _credentials_done(request, realm, client: Client):
    """After a change: the fresh panel for htmx, a redirect (PRG) for a plain post."""
    if request.htmx:
        return _credentials_response(request, realm, client)
    return redirect_htmx_aware(request, reverse("client-credentials", kwargs={"realm": realm.name, "id": client.pk}))


@never_cache
@realm_view(VIEW)
def client_credentials(request, realm, id):
    client = _credentials_client(realm, id)
    return _credentials_response(request, realm, client)


@never_cache
@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("credentials")
def client_authenticator_save(request, realm, id):
    client = _credentials_client(realm, id)
    form = ClientAuthenticatorForm(request.POST)
    if form.is_valid():
        try:
            client = services.client_update(
                client=client,
                representation={"clientAuthenticatorType": form.cleaned_data["client_authenticator_type"]},
                actor=Actor.from_request(request),
            )
        except (RepresentationError, ClientPolicyError) as exc:
            messages.error(request, f"Client could not be updated: {_error_text(exc)}")
            if isinstance(exc, RepresentationError):
                form.add_representation_error(exc)
        else:
            messages.success(request, "Client successfully updated")
            return _credentials_done(request, realm, client)
    else:
        messages.error(request, "Client could not be updated: choose a client authenticator")
    return _credentials_response(request, realm, client, form=form, status=refused_status(request))


@never_cache
@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("credentials")
def client_secret_regenerate(request, realm, id):
    client = _credentials_client(realm, id)
    try:
        services.client_secret_regenerate(client=client, actor=Actor.from_request(request))
    except (ClientPolicyError, services.ClientHasNoSecret) as exc:
        messages.error(request, f"Could not regenerate client secret due to: {_error_text(exc)}")
        return _credentials_response(request, realm, client, status=refused_status(request))
    messages.success(request, "Client secret regenerated")
    return _credentials_done(request, realm, client)


@never_cache
@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("credentials")
def client_secret_compromised(request, realm, id):
    """The kill switch: a new secret, no rotated secret, every earlier token refused."""
    client = _credentials_client(realm, id)
    try:
        services.client_secret_compromised(client=client, actor=Actor.from_request(request))
    except (ClientPolicyError, services.ClientHasNoSecret) as exc:
        messages.error(request, f"Could not replace the compromised secret due to: {_error_text(exc)}")
        return _credentials_response(request, realm, client, status=refused_status(request))
    messages.success(request, "New client secret generated; every earlier token of this client is revoked")
    return _credentials_done(request, realm, client)


@never_cache
@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("credentials")
def client_rotated_secret_invalidate(request, realm, id):
    client = _credentials_client(realm, id)
    services.client_rotated_secret_invalidate(client=client, actor=Actor.from_request(request))
    messages.success(request, "Rotated secret successfully removed")
    return _credentials_done(request, realm, client)


@never_cache
@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("credentials")
def client_registration_token_regenerate(request, realm, id):
    client = _credentials_client(realm, id)
    client, token = services.client_registration_token_regenerate(client=client, actor=Actor.from_request(request))
    messages.success(request, "Access token regenerated")
    # Shown once: rendered directly (no redirect), never stored in clear.
    return _credentials_response(request, realm, client, registration_token=token)


# --- Roles tab -------------------------------------------------------------------------------


@realm_view(VIEW)
def client_roles(request, realm, id):
    return _roles_fragment(request, realm, _get_client(realm, id))


@realm_view(VIEW, write_role=MANAGE)
@_refuses_privileged("roles")
def client_role_create(request, realm, id):
    _require_manage(request)
    client = _get_client(realm, id)
    # The form itself is not offered for a client the administrator may not change.
    selectors.client_access_require(client=client, actor=Actor.from_request(request))
    form = ClientRoleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.client_role_create(
                    client=client,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    actor=Actor.from_request(request),
                )
            except (services.ClientRoleExists, RepresentationError) as exc:
                form.add_error("name" if getattr(exc, "field", "name") in ("name", None) else None, exc.message)
                messages.error(request, f"Could not create role: {exc.message}")
            else:
                messages.success(request, "Role created")
                return redirect_htmx_aware(request, reverse("client-roles", kwargs={"realm": realm.name, "id": client.pk}))
        status = refused_status(request)
    context = _detail_context(request, realm, client, "roles", form=form)
    return render(request, "clients/role_create.html", context, status=status)


@realm_view(VIEW, write_role=MANAGE)
@require_POST
@_refuses_privileged("roles")
def client_role_delete(request, realm, id):
    client = _get_client(realm, id)
    try:
        role = selectors.client_role_get(client=client, name=request.POST.get("name", ""))
    except ClientRole.DoesNotExist:
        role = None
    if role is None or not services.client_role_delete(role=role, actor=Actor.from_request(request)):
        messages.error(request, "Could not delete role: Could not find role")
    else:
        messages.success(request, "The role has been deleted")
    if request.htmx:
        return _roles_fragment(request, realm, client)
    return redirect_htmx_aware(request, reverse("client-roles", kwargs={"realm": realm.name, "id": client.pk}))


def _roles_fragment(request, realm, client, *, status: int = 200):
    """The Roles tab: the page, or its ``role-table`` partial for htmx."""
    context = _detail_context(request, realm, client, "roles", roles=list(selectors.client_roles(client=client)))
    return render_page(request, "clients/roles.html", context, partial="role-table", status=status)
