from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from users.selectors import user_password_temporary


@login_required
def home(request):
    """The site root: realm master's console (or, after a temporary password, the page to change it)."""
    if user_password_temporary(request.user):
        return redirect("password-update")
    return redirect("realm-home", realm="master")


class ConsoleLoginView(auth_views.LoginView):
    """Django's sign-in; a user whose password was set as *Temporary* goes to *Update password* first."""

    template_name = "adminconsole/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        if user_password_temporary(self.request.user):
            return reverse("password-update")
        return super().get_success_url()
