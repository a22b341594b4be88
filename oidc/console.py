"""Console pages: Realm settings → Keys and Tokens; Clients → Initial access token; a client's
Action → Download adapter config."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from adminconsole.navigation import realm_settings_tabs
from clients import adapter
from clients import selectors as client_selectors
from clients.models import Client
from oidc import selectors, services
from oidc.forms import InitialAccessTokenForm, RealmTokensForm
from realms import clock, permissions
from realms.actor import Actor


def _settings_context(request, realm, active_tab: str, **extra) -> dict:
    return {
        "realm": realm,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": active_tab,
        "nav": "realm-settings",
        "can_manage": permissions.has(request.user, permissions.MANAGE_REALM),
        **extra,
    }


@realm_view(permissions.VIEW_REALM)
def realm_keys(request, realm):
    context = _settings_context(request, realm, "keys", keys=selectors.realm_keys_list(realm=realm))
    return render_page(request, "oidc/realm_keys.html", context, partial="keys-table")


@require_POST
@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def realm_key_rotate(request, realm):
    key = services.realm_key_rotate(realm=realm, actor=Actor.from_request(request))
    messages.success(request, f"Key rotated. New key {key.kid} signs new tokens; the previous key stays published until its tokens expire.")
    if request.htmx:
        context = _settings_context(request, realm, "keys", keys=selectors.realm_keys_list(realm=realm))
        return render_page(request, "oidc/realm_keys.html", context, partial="keys-table")
    return redirect("realm-keys", realm=realm.name)


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def realm_tokens(request, realm):
    form = RealmTokensForm(request.POST or None, initial={"access_token_lifespan": realm.access_token_lifespan})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            realm = services.realm_tokens_update(realm=realm, actor=Actor.from_request(request), **form.cleaned_data)
            messages.success(request, "Realm successfully updated")
            if not request.htmx:
                return redirect("realm-tokens", realm=realm.name)
            form = RealmTokensForm(initial=form.cleaned_data)
        else:
            messages.error(request, "Realm could not be updated: please correct the errors below")
            status = refused_status(request)
    context = _settings_context(request, realm, "tokens", form=form)
    return render_page(request, "oidc/realm_tokens.html", context, partial="tokens-form", status=status)


def _tokens_context(request, realm, **extra) -> dict:
    return {
        "realm": realm,
        "nav": "clients",
        "tokens": selectors.initial_access_tokens_list(realm=realm),
        "now": clock.epoch(),
        "can_manage": permissions.has(request.user, permissions.MANAGE_CLIENTS),
        **extra,
    }


@realm_view(permissions.VIEW_CLIENTS)
def initial_access_tokens(request, realm):
    return render_page(request, "oidc/initial_access_tokens.html", _tokens_context(request, realm), partial="token-table")


@realm_view(permissions.VIEW_CLIENTS, write_role=permissions.MANAGE_CLIENTS)
def initial_access_token_create(request, realm):
    if not permissions.has(request.user, permissions.MANAGE_CLIENTS):
        raise PermissionDenied
    form = InitialAccessTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token, _ = services.initial_access_token_create(realm=realm, actor=Actor.from_request(request), **form.cleaned_data)
            messages.success(request, "New initial access token has been created")
            # Shown once: rendered into this response only, never stored in clear.
            context = _tokens_context(request, realm, new_token=token)
            return render_page(request, "oidc/initial_access_tokens.html", context, status=201)
        status = refused_status(request)
    context = {"realm": realm, "nav": "clients", "form": form}
    return render_page(request, "oidc/initial_access_token_create.html", context, partial="token-form", status=status)


@require_POST
@realm_view(permissions.VIEW_CLIENTS, write_role=permissions.MANAGE_CLIENTS)
def initial_access_token_delete(request, realm, token_id: int):
    if not services.initial_access_token_delete(realm=realm, token_id=token_id, actor=Actor.from_request(request)):
        raise Http404
    messages.success(request, "Initial access token deleted successfully")
    if request.htmx:
        return render_page(request, "oidc/initial_access_tokens.html", _tokens_context(request, realm), partial="token-table")
    return redirect_htmx_aware(request, reverse("initial-access-tokens", kwargs={"realm": realm.name}))


@never_cache
@realm_view(permissions.VIEW_CLIENTS)
def client_adapter_config(request, realm, id):
    """The client's keycloak.json (Keycloak's "Download adapter config"): shown, and downloaded with
    ``?download=1``. The secret in clear only for who may read it (manage-clients and every role
    of the client's service account); anyone else sees the mask."""
    try:
        client = client_selectors.client_get(realm=realm, id=id)
    except Client.DoesNotExist:
        raise Http404("Could not find client") from None
    may_see_secret = permissions.has(request.user, permissions.MANAGE_CLIENTS) and client_selectors.client_access_allowed(
        client=client, actor=Actor.from_request(request))
    config = adapter.adapter_config(client=client, server_url=request.build_absolute_uri("/"), include_secret=may_see_secret)
    text = json.dumps(config, indent=2)
    if request.GET.get("download"):
        response = HttpResponse(text + "\n", content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{adapter.FILE_NAME}"'
        return response
    context = {"realm": realm, "client": client, "nav": "clients", "config": text, "masked": not may_see_secret}
    return render_page(request, "oidc/adapter_config.html", context)
