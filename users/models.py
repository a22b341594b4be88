from __future__ import annotations

from django.conf import settings
from django.db import models


class TemporaryPassword(models.Model):
    """The user's password was set as *Temporary*: the console sends them to change it first.

    A row means "must change at next sign-in"; changing the password deletes it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="temporary_password")
    set_at = models.DateTimeField(auto_now_add=True)
