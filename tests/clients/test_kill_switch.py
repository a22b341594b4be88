"""The "Secret compromised" kill switch on the Credentials tab, and its service: a new secret,
the rotated secret dropped at once, the client's notBefore moved past this second, one admin event.
What it does to tokens is tested in tests/oidc/test_not_before.py."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from clients import secrets as secret_store
from clients.models import Client, ClientSecret
from clients.selectors import ClientAccessDenied
from clients.services import ClientHasNoSecret, client_create, client_secret_compromised, client_secret_regenerate
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import ClientFactory, PublicClientFactory, rotation_policy_make
from tests.permissions import TO_LOGIN, post

pytestmark = pytest.mark.django_db

T0 = 1_780_000_000
HTMX = {"HTTP_HX_REQUEST": "true"}
FIRST = "First-Secret-Value-0123456789abcd"
CONFIRM = "A new secret is generated, the rotated secret is dropped at once, and every token issued to this client before now stops working."


def at(seconds: int = 0):
    return time_machine.travel(dt.datetime.fromtimestamp(T0 + seconds, tz=dt.UTC), tick=False)


def url(name, client) -> str:
    return reverse(name, kwargs={"realm": client.realm.name, "id": client.pk})


def secret(client, kind=ClientSecret.CURRENT) -> str | None:
    return secret_store.secret_value(secret_store.secret_get(client, kind))


@pytest.fixture
def rotating(realm):
    """A confidential client under a rotation policy, regenerated once: it has a rotated secret."""
    rotation_policy_make(realm, expiration=3600, rotated=1800, remaining=600)
    with at(0):
        app = client_create(realm=realm, representation={"clientId": "app", "secret": FIRST}, actor=None)
        client_secret_regenerate(client=app, actor=None)
    assert secret(app, ClientSecret.ROTATED) == FIRST
    return app


def compromised_events(client):
    return AdminEvent.objects.filter(resource_path=f"clients/{client.pk}/client-secret/compromised")


class TestService:
    def test_new_secret_rotated_dropped_not_before_set_one_event(self, rotating):
        before = secret(rotating)
        with at(100):
            new = client_secret_compromised(client=rotating, actor=Actor(source="console", username="alice"))
        assert new == secret(rotating) and new not in (before, FIRST)
        assert secret_store.secret_get(rotating, ClientSecret.ROTATED) is None  # no overlap, whatever the policy
        stored = Client.objects.get(pk=rotating.pk)
        # Past the kill's own second: a token minted earlier in that second is refused too.
        assert stored.not_before == T0 + 101
        current = secret_store.secret_get(rotating, ClientSecret.CURRENT)
        assert current.created_time == T0 + 100
        # The client policies ran as for Re-generate: the rotation executor stamped the new expiry.
        assert current.expiration_time == T0 + 100 + 3600
        (event,) = compromised_events(rotating)
        assert event.operation_type == "ACTION" and event.auth_username == "alice"
        assert new not in event.representation and '"notBefore":' in event.representation

    def test_without_rotation_policy_too(self, realm):
        app = ClientFactory(realm=realm, client_id="plain", secret=FIRST)
        with at(5):
            new = client_secret_compromised(client=app, actor=None)
        assert secret(app) == new != FIRST
        assert Client.objects.get(pk=app.pk).not_before == T0 + 6

    def test_a_later_not_before_is_kept(self, realm):
        app = ClientFactory(realm=realm, client_id="plain", secret=FIRST)
        Client.objects.filter(pk=app.pk).update(not_before=T0 + 500)
        with at(5):
            client_secret_compromised(client=app, actor=None)
        assert Client.objects.get(pk=app.pk).not_before == T0 + 500

    @pytest.mark.parametrize("kind", ["public", "bearer"])
    def test_clients_without_secret_are_refused(self, realm, kind):
        app = PublicClientFactory(realm=realm) if kind == "public" else ClientFactory(realm=realm, bearer_only=True)
        with pytest.raises(ClientHasNoSecret):
            client_secret_compromised(client=app, actor=None)
        assert Client.objects.get(pk=app.pk).not_before == 0
        assert not compromised_events(app).exists()

    def test_caller_must_hold_the_service_account_roles(self, master):
        robot = client_create(realm=master, representation={"clientId": "robot", "secret": FIRST,
                                                            "serviceAccountsEnabled": True}, actor=None)
        call_command("grant_service_account_roles", "master", "robot", "manage-realm")
        actor = Actor(source="console", username="clients-admin", roles=frozenset({"manage-clients", "view-clients"}))
        with pytest.raises(ClientAccessDenied):
            client_secret_compromised(client=robot, actor=actor)
        assert secret(robot) == FIRST and Client.objects.get(pk=robot.pk).not_before == 0
        assert not compromised_events(robot).exists()


class TestConsole:
    def test_permission_matrix(self, permission_matrix, rotating):
        target = url("client-secret-compromised", rotating)
        permission_matrix([post(target), post(target, **HTMX)], anonymous=TO_LOGIN, viewer=403)
        assert secret(rotating, ClientSecret.ROTATED) == FIRST and not compromised_events(rotating).exists()

    def test_get_is_not_allowed(self, admin_client, rotating):
        assert admin_client.get(url("client-secret-compromised", rotating)).status_code == 405

    def test_button_and_dialog_for_managers_only(self, console_client, rotating):
        manager = console_client(["view-realm", "view-clients", "manage-clients"], username="manager")
        page = manager.get(url("client-credentials", rotating)).content.decode()
        assert ">Secret compromised</button>" in page
        assert 'data-confirm-title="Secret compromised?"' in page and CONFIRM in page
        viewer = console_client(["view-realm", "view-clients"], username="viewer")
        assert "Secret compromised" not in viewer.get(url("client-credentials", rotating)).content.decode()

    def test_htmx_confirm_swaps_the_panel(self, console_client, rotating):
        manager = console_client(["view-realm", "view-clients", "manage-clients"], username="manager")
        with at(50):
            response = manager.post(url("client-secret-compromised", rotating), **HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        assert body.lstrip().startswith('<div id="credentials">')
        assert "every earlier token of this client is revoked" in body
        assert secret(rotating) in body  # the new secret, for a manager to copy
        assert "Secret rotated" not in body  # the rotated secret is gone
        assert secret_store.secret_get(rotating, ClientSecret.ROTATED) is None
        assert Client.objects.get(pk=rotating.pk).not_before == T0 + 51
        (event,) = compromised_events(rotating)
        assert event.auth_username == "manager"

    def test_plain_post_redirects_to_the_tab(self, admin_client, rotating):
        response = admin_client.post(url("client-secret-compromised", rotating))
        assert response.status_code == 302 and response["Location"] == url("client-credentials", rotating)
        assert "every earlier token of this client is revoked" in admin_client.get(response["Location"]).content.decode()
        assert compromised_events(rotating).count() == 1

    def test_privileged_client_is_refused_with_the_reason(self, console_client, master):
        robot = client_create(realm=master, representation={"clientId": "robot", "secret": FIRST,
                                                            "serviceAccountsEnabled": True}, actor=None)
        call_command("grant_service_account_roles", "master", "robot", "manage-realm")
        manager = console_client(["view-realm", "view-clients", "manage-clients"], username="manager")
        assert "Secret compromised" not in manager.get(url("client-credentials", robot)).content.decode()
        response = manager.post(url("client-secret-compromised", robot))
        assert response.status_code == 403
        assert secret(robot) == FIRST and Client.objects.get(pk=robot.pk).not_before == 0

    def test_public_client_has_no_such_action(self, admin_client, realm):
        app = PublicClientFactory(realm=realm)
        assert admin_client.post(url("client-secret-compromised", app)).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_secret_compromised_asks_then_revokes(console_page, master):
    """In Chromium, by labels: Credentials → Secret compromised → the dialog says what happens →
    Cancel changes nothing; the confirming button replaces the secret."""
    app = client_create(realm=master, representation={"clientId": "leaky", "secret": FIRST}, actor=None)
    page = console_page
    page.goto(url("client-credentials", app))
    page.wait_for_load_state()  # the confirmation dialogs need the page's scripts
    group = page.get_by_role("group", name="Client Secret")
    group.get_by_role("button", name="Secret compromised").click()
    dialog = page.get_by_role("dialog", name="Secret compromised?")
    dialog.get_by_text(CONFIRM).wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    assert secret(app) == FIRST and Client.objects.get(pk=app.pk).not_before == 0

    group.get_by_role("button", name="Secret compromised").click()
    page.get_by_role("dialog", name="Secret compromised?").get_by_role("button", name="Revoke and re-generate").click()
    page.get_by_text("every earlier token of this client is revoked").wait_for()
    new = secret(app)
    assert new != FIRST and Client.objects.get(pk=app.pk).not_before > 0
    assert page.get_by_role("group", name="Client Secret").get_by_label("Client Secret").input_value() == new
    assert compromised_events(app).count() == 1
