"""Client Policies → Profiles: the table of client profiles."""

from __future__ import annotations

from adminconsole.decorators import realm_view
from policies.views import common


@realm_view(common.VIEW)
def profiles_tab(request, realm):
    return common.subtab_page(request, realm, common.PROFILES)
