"""Client reads. No side effects: nothing here rotates, cleans up or records anything."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.timesince import timesince

from clients import crypto, rotation
from clients import secrets as secret_store
from clients.models import SECRET_AUTHENTICATORS, Client, ClientRole, ClientSecret, ServiceAccount
from realms import clock, permissions
from realms.actor import Actor
from realms.models import Realm


def client_list(*, realm: Realm, search: str = "", exact: bool = False, with_secrets: bool = False) -> QuerySet[Client]:
    """The realm's clients by Client ID.

    ``search`` matches a Client ID substring, case-insensitively (``exact=True``: the whole
    Client ID, as Keycloak's ``?clientId=x`` without ``search=true``). Slice the queryset to
    paginate. ``with_secrets`` prefetches the secret rows (for representations).
    """
    # The service account comes along: whether a caller may see a listed client's secret depends on it.
    clients = Client.objects.filter(realm=realm).select_related("service_account__user").order_by("client_id")
    search = (search or "").strip()
    if search:
        clients = clients.filter(client_id=search) if exact else clients.filter(client_id__icontains=search)
    if with_secrets:
        clients = secret_store.secret_rows_prefetch(clients=clients)
    return clients


def client_list_count(*, realm: Realm, search: str = "") -> int:
    """How many clients the Clients list's ``search`` finds (all of its pages), in one query."""
    return client_list(realm=realm, search=search).count()


def client_get(*, realm: Realm, id: str | uuid.UUID) -> Client:
    """The client with internal id ``id`` in ``realm``; ``Client.DoesNotExist`` otherwise
    (also for ids that are not UUIDs, so a bad path is a 404 and never a 500)."""
    try:
        pk = id if isinstance(id, uuid.UUID) else uuid.UUID(str(id))
    except ValueError:
        raise Client.DoesNotExist from None
    return Client.objects.select_related("realm").defer("realm__extras").get(realm=realm, pk=pk)


def client_get_by_client_id(*, realm: Realm, client_id: str) -> Client:
    return Client.objects.select_related("realm").defer("realm__extras").get(realm=realm, client_id=client_id)


def client_find_with_secrets(*, realm: Realm, client_id: str) -> Client | None:
    """The client ``client_id`` of ``realm`` with its secret rows (for its representation), or
    None: two queries (one without such a client)."""
    return secret_store.secret_rows_prefetch(clients=Client.objects.filter(realm=realm, client_id=client_id)).first()


def client_roles(*, client: Client, search: str = "") -> QuerySet[ClientRole]:
    """The client's roles by name; ``search`` keeps those whose name holds it, case-insensitively."""
    roles = ClientRole.objects.filter(client=client).order_by("name")
    return roles.filter(name__icontains=search) if search else roles


def client_role_get(*, client: Client, name: str) -> ClientRole:
    return ClientRole.objects.get(client=client, name=name)


def client_role_by_id(*, realm, id: str) -> ClientRole:
    """A client role of ``realm`` by its id (Keycloak's ``roles-by-id``); ``DoesNotExist`` otherwise."""
    if not str(id).isdigit() or len(str(id)) > 18:
        raise ClientRole.DoesNotExist
    return ClientRole.objects.select_related("client").get(pk=int(id), client__realm=realm)


# --- who may touch a client's credentials ----------------------------------------------------
#
# A client's credentials are its service account's roles: whoever can read or set its secret (or
# change how it authenticates) can get its client_credentials tokens and act with those roles. So
# an administrator may read a client's credentials, or change anything of the client, only when
# they hold every realm-management role its service account holds. The console, the Admin API and
# dynamic registration all reach clients through this rule (reads here, changes in
# ``clients.services``), so none of them is a way round it.


class ClientAccessDenied(Exception):
    """The caller lacks roles the client's service account holds (Admin API 403, registration
    403 ``insufficient_scope``, console: refused with ``message``)."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        self.message = (
            f"This client's service account holds roles you do not have ({', '.join(missing)}): only an "
            "administrator who holds them can see its credentials or change it"
        )
        super().__init__(self.message)


def client_service_account_roles(*, client: Client) -> frozenset[str]:
    """The realm-management roles the client's service account holds (manage counts as view too).

    Whatever the client's flags: switching service accounts off and on again keeps the roles, so
    they guard the client either way. An inactive account holds none (its tokens are refused).
    """
    try:
        account = client.service_account  # cached when selected with the client
    except ServiceAccount.DoesNotExist:
        return frozenset()
    return frozenset(permissions.roles_of(account.user))


def client_access_missing(*, client: Client, actor: Actor | None) -> list[str]:
    """The roles ``actor`` lacks to read ``client``'s credentials or change it; empty when allowed.

    ``actor`` None or an unrestricted (operator / system) actor lacks nothing.
    """
    if actor is None or actor.unrestricted:
        return []
    required = client_service_account_roles(client=client)
    return permissions.missing(actor.held_roles, required) if required else []


def client_access_allowed(*, client: Client, actor: Actor | None) -> bool:
    return not client_access_missing(client=client, actor=actor)


def client_access_require(*, client: Client, actor: Actor | None) -> None:
    """Raise ``ClientAccessDenied`` unless ``actor`` may read ``client``'s credentials or change it."""
    missing = client_access_missing(client=client, actor=actor)
    if missing:
        raise ClientAccessDenied(missing)


def client_secret_value(*, client: Client, actor: Actor | None) -> str | None:
    """The current secret in clear, or None. The caller checks manage-clients; this checks the
    client's service-account roles (``ClientAccessDenied``)."""
    client_access_require(client=client, actor=actor)
    return secret_store.secret_value(secret_store.secret_get(client, ClientSecret.CURRENT))


def client_rotated_secret_value(*, client: Client, actor: Actor | None) -> str | None:
    """The rotated secret in clear when the client has one (expired or not), else None. Checked
    like ``client_secret_value``."""
    client_access_require(client=client, actor=actor)
    return secret_store.secret_value(secret_store.secret_get(client, ClientSecret.ROTATED))


def client_registration_token_valid(*, client: Client, token: str | None) -> bool:
    """Whether ``token`` is the client's current registration access token (digests compared
    in constant time)."""
    if not token or not client.registration_token_digest:
        return False
    return hmac.compare_digest(crypto.token_digest(token).encode(), client.registration_token_digest.encode())


@dataclass(frozen=True)
class SecretView:
    """One secret as the Credentials tab shows it. ``value`` is None unless revealed."""

    value: str | None
    created_time: int
    expiration_time: int | None
    last_used_time: int | None
    expired: bool
    # Usage evidence (written at most once a minute per worker: up to a minute of uses may be
    # pending in each worker, see clients.secrets.secret_mark_used).
    use_count: int = 0
    last_used_ip: str = ""
    last_used_ago: str | None = None  # "3 minutes ago", at the time of the read

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
    # What the rotated secret's last use says (``clients.rotation.rotated_secret_usage``: in use,
    # unused since the rotation, quiet for the quiet period, or expired). None without one.
    rotated_usage: str | None = None
    quiet_period: int = 0  # ROTATED_SECRET_QUIET_PERIOD, for the wording

    @property
    def rotated_safe_to_invalidate(self) -> bool | None:
        """Whether no application still depends on the rotated secret; None without one."""
        return None if self.rotated_usage is None else self.rotated_usage != rotation.ROTATED_IN_USE


def secret_used_ago(*, last_used_time: int | None, now: int) -> str | None:
    """How long ago a secret was last used, in words ("3 minutes ago"); None when never."""
    if last_used_time is None:
        return None
    if now - last_used_time < 60:
        return "less than a minute ago"
    words = timesince(dt.datetime.fromtimestamp(last_used_time, tz=dt.UTC), dt.datetime.fromtimestamp(now, tz=dt.UTC), depth=1)
    return words.replace("\xa0", " ") + " ago"


def client_credentials(*, client: Client, actor: Actor | None, reveal: bool) -> CredentialsView:
    """What the Credentials tab shows. Values are decrypted only when ``reveal`` is true (callers
    with manage-clients) and ``actor`` may read this client's credentials; otherwise never read."""
    now = clock.epoch()
    reveal = reveal and client_access_allowed(client=client, actor=actor)
    current, rotated = secret_store.secret_rows(client)

    def view(row: ClientSecret | None) -> SecretView | None:
        if row is None:
            return None
        return SecretView(
            value=secret_store.secret_value(row) if reveal else None,
            created_time=row.created_time,
            expiration_time=row.expiration_time,
            last_used_time=row.last_used_time,
            expired=secret_store.secret_expired(secret=row, now=now),
            use_count=row.use_count,
            last_used_ip=row.last_used_ip,
            last_used_ago=secret_used_ago(last_used_time=row.last_used_time, now=now),
        )

    return CredentialsView(
        authenticator=client.client_authenticator_type,
        # Bearer-only clients have no secret: no secret block and no Re-generate button.
        uses_secret=client.has_secret_type and client.client_authenticator_type in SECRET_AUTHENTICATORS,
        current=view(current),
        rotated=view(rotated),
        rotated_usage=(
            None if rotated is None
            else rotation.rotated_secret_usage(
                rotated_at=current.created_time if current else None,
                expires=rotated.expiration_time,
                last_used=rotated.last_used_time,
                now=now,
            )
        ),
        quiet_period=rotation.rotated_quiet_period(),
    )
