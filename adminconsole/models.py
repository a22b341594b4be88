"""The console's own rows: the one-time form tokens already spent (adminconsole.form_tokens)."""

from __future__ import annotations

from django.db import models


class SpentFormToken(models.Model):
    """A form token that has been sent once; a second post carrying it writes nothing.

    In the database, not a per-process cache, so that every gunicorn worker sees it. Rows older
    than ``FORM_TOKEN_MAX_AGE`` are removed as new ones arrive: an older token is refused as
    expired by its signature alone.
    """

    nonce = models.CharField(max_length=64, primary_key=True)
    spent_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()
