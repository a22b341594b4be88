"""Client reads. No side effects: nothing here rotates, cleans up or records anything."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from realms import clock
from realms.models import Realm
from clients import secrets as secret_store
from clients.models import SECRET_AUTHENTICATORS, Client, ClientRole, ClientSecret


def client_list(*, realm: Realm, search: str = "", exact: bool = False, with_secrets: bool = False) -> QuerySet[Client]:
    """The realm's clients by Client ID.

    ``search`` matches a Client ID substring, case-insensitively (``exact=True``: the whole
    Client ID, as Keycloak's ``?clientId=x`` without ``search=true``). Slice the queryset to
    paginate. ``with_secrets`` prefetches the secret rows (for representations).
    """
    clients = Client.objects.filter(realm=realm).order_by("client_id")
    search = (search or "").strip()
    if search:
        clients = clients.filter(client_id=search) if exact else clients.filter(client_id__icontains=search)
    if with_secrets:
        clients = clients.prefetch_related("secrets")
    return clients


def client_get(*, realm: Realm, id: str | uuid.UUID) -> Client:
    """The client with internal id ``id`` in ``realm``; ``Client.DoesNotExist`` otherwise
    (also for ids that are not UUIDs, so a bad path is a 404 and never a 500)."""
    try:
        pk = id if isinstance(id, uuid.UUID) else uuid.UUID(str(id))
    except ValueError:
        raise Client.DoesNotExist from None
    return Client.objects.select_related("realm").get(realm=realm, pk=pk)


def client_get_by_client_id(*, realm: Realm, client_id: str) -> Client:
    return Client.objects.select_related("realm").get(realm=realm, client_id=client_id)


def client_roles(*, client: Client) -> QuerySet[ClientRole]:
    return ClientRole.objects.filter(client=client).order_by("name")


def client_role_get(*, client: Client, name: str) -> ClientRole:
    return ClientRole.objects.get(client=client, name=name)


def client_secret_value(*, client: Client) -> str | None:
    """The current secret in clear (for callers allowed to manage clients), or None."""
    return secret_store.secret_value(secret_store.secret_get(client, ClientSecret.CURRENT))


def client_rotated_secret_value(*, client: Client) -> str | None:
    """The rotated secret in clear when the client has one (expired or not), else None."""
    return secret_store.secret_value(secret_store.secret_get(client, ClientSecret.ROTATED))


def client_registration_token_valid(*, client: Client, token: str | None) -> bool:
    """Whether ``token`` is the client's current registration access token (digests compared
    in constant time)."""
    from clients.services import registration_token_digest

    if not token or not client.registration_token_digest:
        return False
    return hmac.compare_digest(registration_token_digest(token).encode(), client.registration_token_digest.encode())


@dataclass(frozen=True)
class SecretView:
    """One secret as the Credentials tab shows it. ``value`` is None unless revealed."""

    value: str | None
    created_time: int
    expiration_time: int | None
    last_used_time: int | None
    expired: bool

    @property
    def expires_at(self):
        return clock.from_epoch(self.expiration_time) if self.expiration_time and self.expiration_time > 0 else None

    @property
    def created_at(self):
        return clock.from_epoch(self.created_time)

    @property
    def last_used_at(self):
        return clock.from_epoch(self.last_used_time)


@dataclass(frozen=True)
class CredentialsView:
    authenticator: str
    uses_secret: bool
    current: SecretView | None
    rotated: SecretView | None


def client_credentials(*, client: Client, reveal: bool) -> CredentialsView:
    """What the Credentials tab shows. Values are decrypted only when ``reveal`` is true
    (callers with manage-clients); otherwise they are never read."""
    now = clock.epoch()
    current, rotated = secret_store.secret_rows(client)

    def view(row: ClientSecret | None, expired: bool) -> SecretView | None:
        if row is None:
            return None
        return SecretView(
            value=secret_store.secret_value(row) if reveal else None,
            created_time=row.created_time,
            expiration_time=row.expiration_time,
            last_used_time=row.last_used_time,
            expired=expired,
        )

    return CredentialsView(
        authenticator=client.client_authenticator_type,
        # Bearer-only clients have no secret: no secret block and no Re-generate button.
        uses_secret=client.has_secret_type and client.client_authenticator_type in SECRET_AUTHENTICATORS,
        current=view(current, secret_store.is_current_expired(current, now)),
        rotated=view(rotated, secret_store.is_rotated_expired(rotated, now)),
    )
