from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from realms import permissions
from realms.selectors import realm_find


def realm_view(role: str, *, write_role: str | None = None):
    """Login required; resolves ``realm`` from the URL; checks ``role`` (and ``write_role`` on POST)."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, realm: str, *args, **kwargs):
            realm_obj = realm_find(name=realm)
            if realm_obj is None:
                raise Http404("Realm not found")
            if not permissions.has(request.user, role):
                raise PermissionDenied
            if write_role and request.method not in ("GET", "HEAD", "OPTIONS") and not permissions.has(request.user, write_role):
                raise PermissionDenied
            request.realm = realm_obj
            return view(request, realm_obj, *args, **kwargs)

        return wrapper

    return decorator
