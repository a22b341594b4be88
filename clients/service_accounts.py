"""Admin roles for service accounts: how a client of realm ``master`` gets to call the Admin API.

A client of realm ``master`` with service accounts enabled gets tokens from the
client_credentials grant. Those tokens speak for the Django user bound to that client by a
``clients.models.ServiceAccount`` row (by the client's internal id, never by its name: see
``oidc.sessions.token_holder``), and carry that user's permissions as
``resource_access["realm-management"].roles``, the same permission model as the console. This
module creates that user (it can never sign in to the console: no usable password) and sets its
roles through ``users.services.user_roles_change`` (the same service as every user's role
mapping, so the same events and rules). The console's *Service account roles* tab and the
management command ``grant_service_account_roles`` are its faces. Deleting the client
deletes the binding and the user, so a later client with the same clientId starts with nothing.

Who may grant: the command is an operator's tool (its actor is the system) and may grant any role.
Any other caller (the console's tab, the Admin API's role mappings) must hold every role it grants
or revokes, and every role the account already holds, or it gets ``ClientAccessDenied``: a service
account is never a way to hand out, or to use, roles its granter does not have.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from clients.models import Client, ServiceAccount
from clients.selectors import ClientAccessDenied, client_access_require
from realms import permissions
from realms.actor import Actor
from realms.models import Realm
from users.errors import UserAccessDenied
from users.services import user_roles_change

ADMIN_REALM = "master"


class ServiceAccountError(Exception):
    pass


def service_account_username(client) -> str:
    """The bound Django user's name: from the client's internal id, so it never clashes with a
    console user or another client's account. Tokens show Keycloak's ``service-account-<clientId>``."""
    return f"service-account-{client.pk}"


def service_account_user_ensure(client: Client) -> ServiceAccount:
    """The client's service-account binding, made with its user (no usable password) when missing.

    Keycloak makes that user when service accounts are turned on; here it is made on first use
    (a role mapping, ``GET /clients/{id}/service-account-user``). No event: it holds nothing yet.
    """
    account = ServiceAccount.objects.select_related("user").filter(client=client).first()
    if account is None:
        with transaction.atomic():
            user = get_user_model()(username=service_account_username(client))
            user.set_unusable_password()
            user.save()
            account = ServiceAccount.objects.create(client=client, user=user)
    return account


def service_account_roles_set(
    *, client_id: str, grant: list[str] = (), revoke: list[str] = (), actor: Actor | None = None
) -> list[str]:
    """Grant and/or revoke realm-management roles of a realm-master client's service account.

    Returns the roles it holds afterwards. The client must exist in realm master, be confidential
    and have service accounts enabled. ``actor`` None or the system (the command) is unrestricted;
    any other actor must hold the roles it names and those the account holds (``ClientAccessDenied``).
    """
    unknown = [r for r in [*grant, *revoke] if r not in permissions.ALL_ROLES]
    if unknown:
        raise ServiceAccountError(f"Unknown role {unknown[0]}; use {', '.join(permissions.ALL_ROLES)}")
    with transaction.atomic():
        realm = Realm.objects.select_for_update(of=("self",)).filter(name=ADMIN_REALM).first()
        if realm is None:
            raise ServiceAccountError("Realm master does not exist")
        client = Client.objects.select_for_update(of=("self",)).filter(realm=realm, client_id=client_id).first()
        if client is None:
            raise ServiceAccountError(f"Client {client_id} does not exist in realm master")
        # Under the client's lock, which every change of the client also takes.
        client_access_require(client=client, actor=actor)
        if actor is not None and not actor.unrestricted:
            missing = permissions.missing(actor.held_roles, {*grant, *revoke})
            if missing:
                raise ClientAccessDenied(missing)
        if not client.has_secret_type or not client.service_accounts_enabled:
            raise ServiceAccountError(
                f"Client {client_id} must be confidential with service accounts enabled (Service account roles)"
            )
        user = service_account_user_ensure(client).user
        try:
            user_roles_change(user_id=user.pk, grant=list(grant), revoke=list(revoke), actor=actor)
        except UserAccessDenied as exc:
            raise ClientAccessDenied(exc.missing) from None
        user = get_user_model().objects.get(pk=user.pk)  # drop the permission cache
        held = permissions.roles_of(user) if user.is_active else []
    return held
