"""The secret store: current and rotated secret rows of one client.

Low-level and policy-free: the services and the ``secret-rotation`` executor decide *when*;
this module only reads and writes rows. Callers hold the client's row lock.
Times are whole epoch seconds (Keycloak's client.secret.* attributes).
"""

from __future__ import annotations

from clients import crypto
from clients.models import Client, ClientSecret


def secret_get(client: Client, kind: str) -> ClientSecret | None:
    return ClientSecret.objects.filter(client=client, kind=kind).first()


def secret_value(secret: ClientSecret | None) -> str | None:
    return crypto.decrypt(secret.value_encrypted) if secret else None


# Keycloak's length rule for client-secret-jwt clients signing with a longer HMAC.
HMAC_SECRET_LENGTHS = {"HS384": 48, "HS512": 64}


def secret_length(client: Client) -> int:
    """32 characters; 48/64 for a client-secret-jwt client whose signing alg is HS384/HS512."""
    if client.client_authenticator_type == "client-secret-jwt":
        alg = (client.attributes or {}).get("token.endpoint.auth.signing.alg")
        return HMAC_SECRET_LENGTHS.get(alg, crypto.SECRET_LENGTH)
    return crypto.SECRET_LENGTH


def secret_rows(client: Client) -> tuple[ClientSecret | None, ClientSecret | None]:
    """(current, rotated) in one query; uses ``prefetch_related("secrets")`` when present."""
    cache = getattr(client, "_prefetched_objects_cache", {})
    rows = cache["secrets"] if "secrets" in cache else ClientSecret.objects.filter(client=client)
    by_kind = {row.kind: row for row in rows}
    return by_kind.get(ClientSecret.CURRENT), by_kind.get(ClientSecret.ROTATED)


def secret_replace_value(client: Client, value: str, *, now: int) -> None:
    """Keycloak's ``setSecret``: a given value replaces the current one, keeping its times.

    With no current row yet, the new row's creation time is ``now``.
    """
    updated = ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        value_encrypted=crypto.encrypt(value), last_used_time=None
    )
    if not updated:
        ClientSecret.objects.create(
            client=client, kind=ClientSecret.CURRENT, value_encrypted=crypto.encrypt(value), created_time=now
        )


def secret_set_current(client: Client, value: str | None = None, *, now: int) -> str:
    """Store ``value`` (or a newly generated secret) as the current secret.

    Stamps the creation time; keeps the expiration time, as Keycloak's generateSecret does.
    """
    value = value if value is not None else crypto.generate_secret(secret_length(client))
    updated = ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        value_encrypted=crypto.encrypt(value), created_time=now, last_used_time=None
    )
    if not updated:
        ClientSecret.objects.create(
            client=client, kind=ClientSecret.CURRENT, value_encrypted=crypto.encrypt(value), created_time=now
        )
    return value


def secret_set_expiration(client: Client, expiration_time: int | None) -> None:
    ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(expiration_time=expiration_time)


def secret_store_rotated(client: Client, value: str, *, now: int, expiration_time: int) -> None:
    ClientSecret.objects.update_or_create(
        client=client,
        kind=ClientSecret.ROTATED,
        defaults={
            "value_encrypted": crypto.encrypt(value),
            "created_time": now,
            "expiration_time": expiration_time,
            "last_used_time": None,
        },
    )


def secret_remove_rotated(client: Client) -> bool:
    deleted, _ = ClientSecret.objects.filter(client=client, kind=ClientSecret.ROTATED).delete()
    return bool(deleted)


def secret_remove_rotation_info(client: Client) -> None:
    """Keycloak's "remove rotation info": drop the expiry and the rotated secret, keep the secret."""
    secret_set_expiration(client, None)
    secret_remove_rotated(client)


def secret_clear(client: Client) -> None:
    """Public and bearer-only clients have no secret."""
    ClientSecret.objects.filter(client=client).delete()


def is_current_expired(secret: ClientSecret | None, now: int) -> bool:
    """Expired iff an expiration > 0 exists and it is < now (strict: valid at the exact second)."""
    return bool(secret and secret.expiration_time and secret.expiration_time > 0 and secret.expiration_time < now)


def is_rotated_expired(secret: ClientSecret | None, now: int) -> bool:
    """A rotated secret with no expiration counts as expired (the opposite default)."""
    return not secret or not secret.expiration_time or secret.expiration_time < now
