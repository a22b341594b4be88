"""Client Policies → Policies: the table of client policies and its Enabled switches."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import render_page
from policies import services
from policies.errors import PolicyNotFound
from policies.views import common


@realm_view(common.VIEW)
def policies_tab(request, realm):
    return common.subtab_page(request, realm, common.POLICIES)


@realm_view(common.VIEW, write_role=common.MANAGE)
@require_POST
def policy_toggle(request, realm, policy):
    """The Enabled/Disabled switch of the policies table: saves at once, answers the row."""
    policy = common.policy_or_404(realm, policy)
    enabled = request.POST.get("enabled", "").lower() in ("true", "on", "1")
    try:
        policy = services.policy_set_enabled(realm=realm, policy=policy, enabled=enabled, actor=common.actor(request))
    except PolicyNotFound as exc:
        raise Http404(str(exc)) from exc
    messages.success(request, "Client policy updated")
    if not request.htmx:
        return redirect("client-policies-policies", realm=realm.name)
    context = common.context(request, realm, policy=policy)
    return render_page(request, "policies/client_policies.html", context, partial="policy-row")
