"""Bulk actions on the Clients list: tick clients (or select all the results of the current
search), `Re-generate secrets` or `Invalidate rotated secrets`, confirm on a page that names how
many, and see what happened to each client.

manage-clients. Each client goes through the same service as its own button on the Credentials
tab (``jobs.services.clients_bulk_apply``): its lock, the client policies, its admin event and
its webhook. Works as plain POSTs (no JavaScript needed).

All the results of a search: the confirmation carries the search and the number of clients it
found. On confirming, the search is run again; if it now finds another number of clients nothing
is done and the new number is asked about (409), otherwise the clients it finds then are the ones
acted on. At most ``BULK_MAX`` clients: the action runs in the request, one short transaction per
client, so a larger search is refused with the reason, before anything is done.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import render_page
from clients import selectors as client_selectors
from jobs import services as job_services
from realms import permissions
from realms.actor import Actor

MANAGE = permissions.MANAGE_CLIENTS
SEARCH_MAX = 255  # as the Clients list's search


def _count(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _search_selection(request, realm, list_url: str):
    """The clients of the posted search, or a redirect back to the list saying why there are none
    or too many."""
    search = request.POST.get("search", "").strip()[:SEARCH_MAX]
    back = f"{list_url}?{urlencode({'search': search})}" if search else list_url
    count = client_selectors.client_list_count(realm=realm, search=search)
    if not count:
        messages.error(request, f"No client matches the search '{search}'" if search else "There are no clients in this realm")
        return search, None, redirect(back)
    if count > job_services.BULK_MAX:
        messages.error(
            request,
            f"The search matches {count:,} clients; a bulk action takes at most {job_services.BULK_MAX:,} at a time. "
            "Narrow the search.",
        )
        return search, None, redirect(back)
    return search, list(job_services.clients_searched(realm=realm, search=search)), None


@realm_view(permissions.VIEW_CLIENTS, write_role=MANAGE)
@require_POST
def clients_bulk(request, realm):
    action = request.POST.get("action", "")
    list_url = reverse("client-list", kwargs={"realm": realm.name})
    if action not in job_services.BULK_ACTIONS:
        messages.error(request, "Choose Re-generate secrets or Invalidate rotated secrets")
        return redirect(list_url)
    all_results = request.POST.get("all") == "yes"
    search = ""
    if all_results:
        search, clients, refused = _search_selection(request, realm, list_url)
        if refused is not None:
            return refused
    else:
        clients = job_services.clients_selected(realm=realm, ids=request.POST.getlist("client"))
        if not clients:
            messages.error(request, "Select at least one client")
            return redirect(list_url)
    label = job_services.BULK_ACTIONS[action]
    context = {
        "realm": realm, "nav": "clients", "action": action, "label": label, "clients": clients, "count": len(clients),
        "all_results": all_results, "search": search, "list_url": list_url,
    }
    confirmed = _count(request.POST.get("count"))
    if request.POST.get("confirm") != "yes" or (all_results and confirmed is None):
        return render_page(request, "clients/bulk.html", context)
    if all_results and confirmed != len(clients):
        # The search finds other clients than the ones confirmed: ask again, with the new number.
        messages.error(
            request,
            f"The search now matches {len(clients)} client(s), not {confirmed}: nothing was done. Check the clients and confirm again.",
        )
        return render_page(request, "clients/bulk.html", context, status=409)
    outcomes = job_services.clients_bulk_apply(clients=clients, action=action, actor=Actor.from_request(request))
    messages.success(request, f"{label}: {len(outcomes)} client(s) done")
    return render_page(request, "clients/bulk.html", {**context, "outcomes": outcomes})
