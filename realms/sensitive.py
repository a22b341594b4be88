"""Which request parameters carry credentials: never stored or shown in clear.

Plain Python (no Django import): settings, the django-axes handler and migrations all use it.
"""

from __future__ import annotations

MASK = "********************"

# OAuth 2.0 / OIDC parameters that carry a credential, as clients send them.
CREDENTIAL_PARAMETERS = (
    "password",
    "client_secret",
    "client_assertion",
    "assertion",
    "code",
    "code_verifier",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "id_token_hint",
    "subject_token",
    "actor_token",
    "registration_access_token",
    "initial_access_token",
    "secret",
)
_EXACT = frozenset(CREDENTIAL_PARAMETERS)
_SUFFIXES = ("_secret", "_token", "_password", "_assertion")


def is_credential_parameter(name: str) -> bool:
    """A listed name, or any name ending in ``_secret``/``_token``/``_password``/``_assertion``
    (``password1``, ``new_password`` too), whatever its case."""
    key = name.strip().lower()
    return key in _EXACT or key.endswith(_SUFFIXES) or key.startswith("password")


def scrub_query_str(text: str) -> str:
    """Mask the credentials in django-axes' stored ``get_data``/``post_data`` text.

    That text is ``key=value`` lines (several requests joined by a ``---------`` line). A line
    without ``=`` continues the value above it (a value with a newline), so it is masked with it.
    """
    if not text:
        return text
    out = []
    masking = False
    for line in text.split("\n"):
        key, sep, _ = line.partition("=")
        if sep:
            masking = is_credential_parameter(key)
            out.append(f"{key}={MASK}" if masking else line)
        elif line.startswith("---------"):
            masking = False
            out.append(line)
        elif masking:
            continue  # the rest of a masked value
        else:
            out.append(line)
    return "\n".join(out)


def access_attempts_scrub(access_attempt_model) -> int:
    """Mask the credentials in every stored django-axes attempt; the number of rows changed.

    Takes the model (the real one, or a migration's historical one) so that a data migration can
    clean the rows stored before the masking existed.
    """
    changed = 0
    rows = access_attempt_model.objects.only("pk", "get_data", "post_data").order_by("pk")
    for row in rows.iterator(chunk_size=500):
        get_data, post_data = scrub_query_str(row.get_data), scrub_query_str(row.post_data)
        if (get_data, post_data) != (row.get_data, row.post_data):
            access_attempt_model.objects.filter(pk=row.pk).update(get_data=get_data, post_data=post_data)
            changed += 1
    return changed
