"""Realm settings → Webhooks: the list, Add webhook, edit, disable, delete, Send test event,
Regenerate secret, and each webhook's Deliveries with Resend. view-realm reads, manage-realm
writes. The ``whsec_`` secret is rendered into the answer of the create or the regenerate only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from adminconsole.navigation import realm_settings_tabs
from realms import permissions
from realms.actor import Actor
from webhooks import selectors, services
from webhooks.forms import WebhookForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

LIST = "webhooks/webhooks.html"
DELIVERIES = "webhooks/deliveries.html"


def _context(request, realm, **extra) -> dict:
    return {
        "realm": realm,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "webhooks",
        "nav": "realm-settings",
        "can_manage": permissions.has(request.user, permissions.MANAGE_REALM),
        **extra,
    }


def _list_context(request, realm, **extra) -> dict:
    return _context(request, realm, webhooks=selectors.webhooks_list(realm=realm), **extra)


def _endpoint(realm, webhook_id) -> WebhookEndpoint:
    try:
        return selectors.webhook_get(realm=realm, id=webhook_id)
    except WebhookEndpoint.DoesNotExist:
        raise Http404 from None


def _require_manage(request) -> None:
    if not permissions.has(request.user, permissions.MANAGE_REALM):
        raise PermissionDenied


def _list_or_redirect(request, realm):
    if request.htmx:
        return render_page(request, LIST, _list_context(request, realm), partial="webhook-table")
    return redirect("realm-webhooks", realm=realm.name)


@realm_view(permissions.VIEW_REALM)
def webhooks_page(request, realm):
    return render_page(request, LIST, _list_context(request, realm), partial="webhook-table")


def _form_page(request, realm, form, *, endpoint=None, status=200):
    context = _context(request, realm, form=form, endpoint=endpoint)
    return render_page(request, "webhooks/webhook_form.html", context, partial="webhook-form", status=status)


def _form_error(form: WebhookForm, exc: services.WebhookInvalid) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def webhook_create(request, realm):
    _require_manage(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_create(realm=realm, actor=Actor.from_request(request), **form.cleaned_data)
        except services.WebhookInvalid as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Webhook created")
            # Shown once: rendered into this answer only, never stored in clear.
            context = _list_context(request, realm, new_secret=secret, secret_endpoint=endpoint)
            return render_page(request, LIST, context, status=201)
    return _form_page(request, realm, form, status=refused_status(request) if form.errors else 200)


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def webhook_edit(request, realm, webhook_id):
    _require_manage(request)
    endpoint = _endpoint(realm, webhook_id)
    initial = {"url": endpoint.url, "event_types": endpoint.event_types, "enabled": endpoint.enabled}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(endpoint=endpoint, actor=Actor.from_request(request), **form.cleaned_data)
        except services.WebhookInvalid as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Webhook saved")
            return redirect_htmx_aware(request, reverse("realm-webhooks", kwargs={"realm": realm.name}))
    return _form_page(request, realm, form, endpoint=endpoint, status=refused_status(request) if form.errors else 200)


@require_POST
@realm_view(permissions.MANAGE_REALM)
def webhook_enabled(request, realm, webhook_id):
    """Enable or Disable (``enabled=1`` or ``0``)."""
    endpoint = _endpoint(realm, webhook_id)
    enabled = request.POST.get("enabled") == "1"
    services.webhook_update(endpoint=endpoint, enabled=enabled, actor=Actor.from_request(request))
    messages.success(request, "Webhook enabled" if enabled else "Webhook disabled")
    return _list_or_redirect(request, realm)


@require_POST
@realm_view(permissions.MANAGE_REALM)
def webhook_delete(request, realm, webhook_id):
    services.webhook_delete(endpoint=_endpoint(realm, webhook_id), actor=Actor.from_request(request))
    messages.success(request, "Webhook deleted")
    return _list_or_redirect(request, realm)


@require_POST
@realm_view(permissions.MANAGE_REALM)
def webhook_test(request, realm, webhook_id):
    endpoint = _endpoint(realm, webhook_id)
    try:
        services.webhook_test(endpoint=endpoint, actor=Actor.from_request(request))
    except services.WebhookInvalid as exc:
        messages.error(request, exc.message)
        return _list_or_redirect(request, realm)
    messages.success(request, "Test event queued")
    return redirect_htmx_aware(request, reverse("webhook-deliveries", kwargs={"realm": realm.name, "webhook_id": endpoint.id}))


@require_POST
@realm_view(permissions.MANAGE_REALM)
def webhook_secret_regenerate(request, realm, webhook_id):
    endpoint = _endpoint(realm, webhook_id)
    secret = services.webhook_secret_regenerate(endpoint=endpoint, actor=Actor.from_request(request))
    messages.success(request, "New secret generated")
    return render_page(request, LIST, _list_context(request, realm, new_secret=secret, secret_endpoint=endpoint))


def _deliveries_context(request, realm, endpoint) -> dict:
    return _context(request, realm, endpoint=endpoint, deliveries=selectors.deliveries_list(endpoint=endpoint))


@realm_view(permissions.VIEW_REALM)
def webhook_deliveries(request, realm, webhook_id):
    endpoint = _endpoint(realm, webhook_id)
    return render_page(request, DELIVERIES, _deliveries_context(request, realm, endpoint), partial="delivery-table")


@require_POST
@realm_view(permissions.MANAGE_REALM)
def delivery_resend(request, realm, webhook_id, delivery_id: int):
    endpoint = _endpoint(realm, webhook_id)
    try:
        delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404 from None
    try:
        services.delivery_resend(delivery=delivery, actor=Actor.from_request(request))
    except services.WebhookInvalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Delivery queued again")
    if request.htmx:
        return render_page(request, DELIVERIES, _deliveries_context(request, realm, endpoint), partial="delivery-table")
    return redirect("webhook-deliveries", realm=realm.name, webhook_id=endpoint.id)
