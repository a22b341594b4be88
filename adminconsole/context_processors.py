from __future__ import annotations

from realms import permissions
from realms.models import Realm


def console(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = getattr(request, "realm", None)
    if current is None and match and "realm" in match.kwargs:
        current = Realm.objects.filter(name=match.kwargs["realm"]).first()
    return {
        "realms": Realm.objects.only("name", "display_name"),
        "current_realm": current,
        "can": {role.replace("-", "_"): permissions.has(user, role) for role in permissions.ROLES},
    }
