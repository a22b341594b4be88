"""A client's *Service account roles* tab (realm master, confidential, Service accounts roles on):
the realm-management roles its service account holds, assigned through the same service as every
user's role mapping (``clients.service_accounts`` → ``users.services``). view-clients reads,
manage-clients assigns, and only roles the administrator holds (and only on a client whose
account holds nothing they lack)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from clients import selectors
from clients.models import Client
from clients.selectors import ClientAccessDenied
from clients.service_accounts import ADMIN_REALM, ServiceAccountError, service_account_roles_set
from clients.views import _detail_context
from realms import permissions
from realms.actor import Actor
from users.errors import UserError
from users.forms import RolesForm
from users.selectors import service_account_direct_roles


def service_account_tab(client: Client) -> bool:
    """Whether the client shows the tab: only realm master's service accounts act as administrators."""
    return client.realm.name == ADMIN_REALM and client.has_secret_type and client.service_accounts_enabled


@realm_view(permissions.VIEW_CLIENTS, write_role=permissions.MANAGE_CLIENTS)
def client_service_account_roles(request, realm, id):
    try:
        client = selectors.client_get(realm=realm, id=id)
    except Client.DoesNotExist:
        raise Http404 from None
    if not service_account_tab(client):
        raise Http404("This client has no service account")
    direct = service_account_direct_roles(client)
    form = RolesForm(request.POST if request.method == "POST" else None, initial={"roles": direct})
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["roles"])
        try:
            service_account_roles_set(
                client_id=client.client_id,
                grant=[r for r in permissions.ALL_ROLES if r in chosen and r not in direct],
                revoke=[r for r in permissions.ALL_ROLES if r not in chosen and r in direct],
                actor=Actor.from_request(request),
            )
        except (ServiceAccountError, UserError) as exc:
            form.add_error(None, str(exc))
        except ClientAccessDenied as exc:
            form.add_error(None, f"You do not hold {', '.join(exc.missing)}")
        else:
            return redirect_htmx_aware(request, reverse("client-service-account-roles",
                                                        kwargs={"realm": realm.name, "id": client.pk}))
    context = _detail_context(request, realm, client, "service-account-roles", form=form, direct=direct)
    if not context["can_manage"]:
        form.fields["roles"].disabled = True
    status = refused_status(request) if form.errors else 200
    return render_page(request, "clients/service_account_roles.html", context, status=status)
