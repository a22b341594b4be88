"""Bulk actions on the Clients list: tick clients, `Re-generate secrets` or `Invalidate rotated
secrets`, confirm on a page that names how many, and see what happened to each client.

manage-clients. Each client goes through the same service as its own button on the Credentials
tab (``jobs.services.clients_bulk_apply``): its lock, the client policies, its admin event and
its webhook. Works as plain POSTs (no JavaScript needed).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import render_page
from jobs import services as job_services
from realms import permissions
from realms.actor import Actor

MANAGE = permissions.MANAGE_CLIENTS


@realm_view(permissions.VIEW_CLIENTS, write_role=MANAGE)
@require_POST
def clients_bulk(request, realm):
    action = request.POST.get("action", "")
    list_url = reverse("client-list", kwargs={"realm": realm.name})
    if action not in job_services.BULK_ACTIONS:
        messages.error(request, "Choose Re-generate secrets or Invalidate rotated secrets")
        return redirect(list_url)
    clients = job_services.clients_selected(realm=realm, ids=request.POST.getlist("client"))
    if not clients:
        messages.error(request, "Select at least one client")
        return redirect(list_url)
    label = job_services.BULK_ACTIONS[action]
    context = {"realm": realm, "nav": "clients", "action": action, "label": label, "clients": clients, "list_url": list_url}
    if request.POST.get("confirm") != "yes":
        return render_page(request, "clients/bulk.html", context)
    outcomes = job_services.clients_bulk_apply(clients=clients, action=action, actor=Actor.from_request(request))
    messages.success(request, f"{label}: {len(outcomes)} client(s) done")
    return render_page(request, "clients/bulk.html", {**context, "outcomes": outcomes})
