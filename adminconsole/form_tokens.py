"""One-time form tokens: a form sent twice (a double click, a retry, Back and send again) writes once.

Every console form carries a hidden ``form_token`` next to its CSRF token
(``adminconsole.templatetags.form_tokens`` renders both wherever a template says
``{% csrf_token %}``), issued afresh each time the form is rendered: a form shown again with its
errors carries a new one. A token is a random nonce signed with a timestamp (nothing is stored
when a form is shown); ``adminconsole.middleware.FormTokenMiddleware`` spends it before the view
runs by inserting its nonce, and the primary key refuses the second insert, whichever worker
takes it. A post without a token (the Admin API, scripts, tests posting by hand) is not checked.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.db import DatabaseError

from realms import services
from realms.clock import now

logger = logging.getLogger(__name__)

FIELD = "form_token"
SALT = "adminconsole.form-token"


class FormTokenRefused(Exception):
    """``replayed``: the token was spent already; ``invalid``: forged, damaged or too old."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def form_token_issue() -> str:
    return _signer().sign(secrets.token_urlsafe(18))


def form_token_spend(*, token: str) -> str:
    """Spend ``token`` once; returns its nonce (for ``form_token_release``) or raises FormTokenRefused."""
    max_age = settings.FORM_TOKEN_MAX_AGE
    try:
        nonce = _signer().unsign(token, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        raise FormTokenRefused("invalid") from None
    moment = now()
    if not services.form_token_nonce_spend(nonce=nonce, at=moment):
        raise FormTokenRefused("replayed")
    # Older rows guard nothing: their tokens fail the signature's age check. Clearing them is
    # housekeeping: if it fails (a busy SQLite file), the spent token stands and the post goes on.
    try:
        services.form_tokens_spent_clear(before=moment - dt.timedelta(seconds=max_age))
    except DatabaseError:
        logger.warning("Could not clear old spent form tokens; the next post will")
    return nonce


def form_token_release(*, nonce: str) -> None:
    """The request failed on our side (5xx) and wrote nothing: the same form may be sent again."""
    services.form_token_nonce_release(nonce=nonce)
