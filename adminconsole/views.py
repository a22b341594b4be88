from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """The site root: realm master's console."""
    return redirect("realm-home", realm="master")
