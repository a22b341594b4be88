"""Automatic rotation by the worker: as Re-generate does it (same service, policies, event by the
system, the rotated webhook), the old secret still accepted at the token endpoint for the Rotated
Secret Expiration, a per-minute limit, and a refusal on one client that stops no other."""

from __future__ import annotations

import json

import pytest

from clients import secrets as secret_store
from clients.models import Client, ClientSecret
from expiry import services
from expiry.models import AutoRotation
from realms.models import AdminEvent
from tests.expiry.conftest import ACTOR, DAY, EPOCH0, EXPIRES, LIFETIME, ROTATED, at, run_worker

pytestmark = pytest.mark.django_db

TOKEN = "/realms/acme/protocol/openid-connect/token"
LEAD = 2 * DAY


def auto_rotate(realm, *, lead: int = LEAD, on: bool = True):
    services.expiry_settings_update(
        realm=realm, actor=ACTOR, warn_before=[30 * DAY, 7 * DAY, DAY], auto_rotate=on, auto_rotate_before=lead, email_recipients=[]
    )


def current(client) -> ClientSecret:
    return secret_store.secret_get(client, ClientSecret.CURRENT)


def grant(http, client_id: str, secret: str) -> int:
    response = http.post(TOKEN, {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    return response.status_code


class TestAutomaticRotation:
    def test_rotates_within_the_lead_time_and_the_old_secret_works_for_its_window(self, client, realm, make_client, sent):
        auto_rotate(realm)
        svc = make_client()
        old = secret_store.secret_value(current(svc))
        with at(EXPIRES - LEAD - 60):
            run_worker()
        assert current(svc).created_time == EPOCH0  # not yet within the lead time
        rotated_at = EXPIRES - LEAD
        with at(rotated_at):
            run_worker()
        new = current(svc)
        assert new.created_time == rotated_at and new.expiration_time == rotated_at + LIFETIME
        assert secret_store.secret_get(svc, ClientSecret.ROTATED).expiration_time == rotated_at + ROTATED
        # Re-generate's own admin event, by the system; and its webhook through the signal.
        event = AdminEvent.objects.filter(resource_path=f"clients/{svc.pk}/client-secret", resource_type="CLIENT").latest("time")
        assert (event.operation_type, event.source, json.loads(event.representation)) == ("ACTION", "system", {"type": "secret", "value": "**********"})
        assert [t for t, _ in sent if t == "client.secret.rotated"] == ["client.secret.rotated"]
        # The application has the Rotated Secret Expiration to pick the new secret up.
        new_value = secret_store.secret_value(new)
        with at(rotated_at + 60):
            assert grant(client, "svc", old) == 200
            assert grant(client, "svc", new_value) == 200
        with at(rotated_at + ROTATED):
            assert grant(client, "svc", old) == 200
        with at(rotated_at + ROTATED + 1):
            assert grant(client, "svc", old) == 401
            assert grant(client, "svc", new_value) == 200
        # The next sweeps leave the new secret alone until its own lead time.
        with at(rotated_at + 3 * DAY):
            run_worker()
        assert current(svc).created_time == rotated_at

    def test_off_by_default(self, realm, make_client):
        svc = make_client()
        with at(EXPIRES - DAY):
            run_worker()
        assert current(svc).created_time == EPOCH0
        assert not AutoRotation.objects.exists()

    def test_the_limit_per_minute_spreads_rotations_over_sweeps(self, realm, make_client, settings):
        settings.ROTATION_MAX_PER_MINUTE = 2
        auto_rotate(realm)
        clients = [make_client(f"app-{n}") for n in range(5)]

        def rotated() -> int:
            return sum(current(c).created_time != EPOCH0 for c in clients)

        start = EXPIRES - DAY
        with at(start):
            report = services.sweep_run()
        assert (report.rotations, report.deferred, rotated()) == (2, 3, 2)
        with at(start + 30):  # the same minute: nothing more
            assert services.sweep_run().rotations == 0
        with at(start + 61):
            assert services.sweep_run().rotations == 2
        with at(start + 122):
            assert services.sweep_run().rotations == 1
        assert rotated() == 5

    def test_a_refusal_on_one_client_is_an_event_and_the_others_go_on(self, realm, make_client):
        auto_rotate(realm)
        broken, fine = make_client("broken"), make_client("fine")
        # A client made public after its secret was stamped: Re-generate refuses it (no secret type).
        Client.objects.filter(pk=broken.pk).update(public_client=True)
        with at(EXPIRES - DAY):
            report = services.sweep_run()
        assert (report.rotations, report.refused) == (1, 1)
        assert current(fine).created_time == EXPIRES - DAY
        assert current(broken).created_time == EPOCH0
        event = AdminEvent.objects.get(resource_type="CLIENT_SECRET_EXPIRY", resource_path=f"clients/{broken.pk}/client-secret")
        assert json.loads(event.representation)["automaticRotation"] == "refused"
        # Not tried again for this secret; it is still warned about.
        with at(EXPIRES - DAY + 60):
            report = services.sweep_run()
        assert report.refused == 0 and AutoRotation.objects.filter(client=broken).count() == 1
        with at(EXPIRES + 1):
            assert services.sweep_run().warnings == 1  # broken's expired warning
