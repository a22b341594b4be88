"""Console page: Realm settings → Secret expiry."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from adminconsole.decorators import realm_view
from adminconsole.htmx import refused_status, render_page
from adminconsole.navigation import realm_settings_tabs
from expiry import selectors, services
from expiry.forms import ExpirySettingsForm
from realms import permissions
from realms.actor import Actor


def _initial(settings) -> dict:
    return {
        "warn_before": list(settings.warn_before),
        "auto_rotate": settings.auto_rotate,
        "auto_rotate_before": settings.auto_rotate_before,
        "email_recipients": "\n".join(settings.email_recipients),
    }


@realm_view(permissions.VIEW_REALM, write_role=permissions.MANAGE_REALM)
def secret_expiry(request, realm):
    settings = selectors.expiry_settings_get(realm=realm)
    form = ExpirySettingsForm(request.POST if request.method == "POST" else None, initial=_initial(settings))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            settings = services.expiry_settings_update(realm=realm, actor=Actor.from_request(request), **form.settings_values)
            messages.success(request, "Secret expiry settings saved")
            if not request.htmx:
                return redirect("secret-expiry", realm=realm.name)
            form = ExpirySettingsForm(initial=_initial(settings))
        else:
            messages.error(request, "Secret expiry settings could not be saved: please correct the errors below")
            status = refused_status(request)
    context = {
        "realm": realm,
        "form": form,
        "tabs": realm_settings_tabs(request.user, realm),
        "active_tab": "secret-expiry",
        "nav": "realm-settings",
        "can_manage": permissions.has(request.user, permissions.MANAGE_REALM),
        # Of the stored settings: a refused form shows what is in force, a saved one what now is.
        "lifetime_conflicts": selectors.expiry_lifetime_conflicts(realm=realm, settings=settings),
    }
    return render_page(request, "expiry/secret_expiry.html", context, partial="expiry-form", status=status)
