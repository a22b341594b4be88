from __future__ import annotations

from adminconsole.navigation import menu_section
from realms import permissions
from realms.selectors import realm_find, realms_list


def console(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = getattr(request, "realm", None)
    if current is None and match and "realm" in match.kwargs:
        current = realm_find(name=match.kwargs["realm"])
    return {
        "realms": realms_list().only("name", "display_name"),
        "current_realm": current,
        "nav_section": menu_section(match.url_name if match else None),
        "can": {role.replace("-", "_"): permissions.has(user, role) for role in permissions.ALL_ROLES},
    }
