"""Bulk actions on the Clients list: tick clients, confirm on a page naming how many, each client
through its own service (admin event per client), the result per client; manage-clients only."""

from __future__ import annotations

from clients import secrets as secret_store
from clients.models import ClientSecret
from realms.models import AdminEvent
from tests.factories import ENGINE_T0, client_make, client_secrets_make
from tests.permissions import TO_LOGIN, get, post

URL = "/console/master/clients/bulk"


def test_regenerate_secrets_of_the_ticked_clients(master, console_client):
    manager = console_client(["manage-clients"])
    a, b = client_make(master, "alpha"), client_make(master, "beta")
    web = client_make(master, "web", public=True)
    untouched = client_make(master, "gamma")
    before = {c.client_id: secret_store.secret_value(secret_store.secret_get(c, "current")) for c in (a, b, untouched)}

    listing = manager.get("/console/master/clients/").content.decode()
    assert 'aria-label="Select alpha"' in listing and "Re-generate secrets" in listing

    data = {"action": "regenerate", "client": [str(a.pk), str(b.pk), str(web.pk), "not-an-id"]}
    confirm = manager.post(URL, data)
    assert confirm.status_code == 200
    assert "Re-generate the secrets of 3 clients?" in confirm.content.decode()
    assert AdminEvent.objects.count() == 0  # asking writes nothing

    done = manager.post(URL, {**data, "confirm": "yes"}).content.decode()
    assert "new secret generated" in done and "refused: Public and bearer-only clients have no client secret" in done
    after = {c.client_id: secret_store.secret_value(secret_store.secret_get(c, "current")) for c in (a, b, untouched)}
    assert after["alpha"] != before["alpha"] and after["beta"] != before["beta"] and after["gamma"] == before["gamma"]
    assert not any(v in done for v in after.values())  # never a secret on the page
    assert sorted(AdminEvent.objects.values_list("resource_path", flat=True)) == sorted(
        [f"clients/{a.pk}/client-secret", f"clients/{b.pk}/client-secret"])


def test_invalidate_rotated_secrets(master, console_client):
    manager = console_client(["manage-clients"])
    with_rotated = client_secrets_make(master, "old", created=ENGINE_T0, rotated_expires=ENGINE_T0 + 3600)
    without = client_make(master, "new")
    done = manager.post(URL, {"action": "invalidate", "client": [str(with_rotated.pk), str(without.pk)], "confirm": "yes"})
    body = done.content.decode()
    assert "rotated secret invalidated" in body and "no rotated secret" in body
    assert not ClientSecret.objects.filter(kind="rotated").exists()
    assert AdminEvent.objects.filter(operation_type="DELETE").count() == 1


def test_nothing_selected_or_unknown_action(master, console_client):
    manager = console_client(["manage-clients"])
    client = client_make(master, "alpha")
    assert manager.post(URL, {"action": "regenerate"}).status_code == 302
    assert manager.post(URL, {"action": "drop", "client": [str(client.pk)], "confirm": "yes"}).status_code == 302
    assert AdminEvent.objects.count() == 0


def test_permissions(master, permission_matrix):
    client = client_make(master, "alpha")
    data = {"action": "regenerate", "client": [str(client.pk)], "confirm": "yes"}
    permission_matrix([get(URL), post(URL, data)], anonymous=TO_LOGIN, viewer=[405, 403])
    assert AdminEvent.objects.count() == 0
