"""Automatic rotation never costs the application its working secret, and one failure stops
nothing else: no second rotation while the old secret of the first is still valid, no rotation of
a secret whose lifetime is within the lead time or of a client no rotation policy covers, errors
other than a refusal retried, the per-minute limit counted at each rotation, and big durations
stored on every database."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from clients import secrets as secret_store
from clients.models import ClientSecret
from expiry import services
from expiry.models import AutoRotation, SecretWarning
from policies.services import policies_replace
from realms.models import AdminEvent
from tests.expiry.conftest import ACTOR, DAY, EPOCH0, EXPIRES, at
from tests.oidc.conftest import rotation_policy

pytestmark = pytest.mark.django_db

LEAD = 2 * DAY
REAL_REGENERATE = services.client_secret_regenerate_rotating


def auto_rotate(realm, *, lead: int = LEAD, warn_before=(30 * DAY, 7 * DAY, DAY)):
    services.expiry_settings_update(
        realm=realm, actor=ACTOR, warn_before=list(warn_before), auto_rotate=True, auto_rotate_before=lead, email_recipients=[]
    )


def rows(client) -> tuple[ClientSecret | None, ClientSecret | None]:
    return secret_store.secret_rows_fresh(client=client)


def refusals(client) -> list[dict]:
    events = AdminEvent.objects.filter(resource_type="CLIENT_SECRET_EXPIRY", resource_path=f"clients/{client.pk}/client-secret")
    return [body for body in (json.loads(e.representation) for e in events) if "automaticRotation" in body]


class TestNoRepeatedRotation:
    def test_a_lifetime_within_the_lead_time_is_refused_once_and_never_rotated(self, realm, make_client):
        rotation_policy(realm, expiration=DAY, rotated=3600, remaining=600)
        auto_rotate(realm)
        svc = make_client()
        value = secret_store.secret_value(rows(svc)[0])
        for when in (EPOCH0 + 60, EPOCH0 + 120, EPOCH0 + 3600):
            with at(when):
                services.sweep_run()
        current, rotated = rows(svc)
        assert current.created_time == EPOCH0 and secret_store.secret_value(current) == value and rotated is None
        assert refusals(svc) == [
            {"automaticRotation": "refused", "reason": services.REFUSED_LIFETIME, "expiresAt": EPOCH0 + DAY}
        ]

    def test_no_second_rotation_while_the_old_secret_of_the_first_still_works(self, realm, make_client):
        # 3-day secrets, the old one kept 2 days, rotated 2 days ahead: the new secret is within
        # the lead time one day after its rotation, while the application may still use the old one.
        rotation_policy(realm, expiration=3 * DAY, rotated=2 * DAY, remaining=3600)
        auto_rotate(realm, warn_before=[DAY])
        svc = make_client()
        original = secret_store.secret_value(rows(svc)[0])
        first = EPOCH0 + DAY
        with at(first):
            assert services.sweep_run().rotations == 1
        current, rotated = rows(svc)
        assert secret_store.secret_value(rotated) == original and rotated.expiration_time == first + 2 * DAY
        for when in (first + DAY + 60, first + DAY + 120, first + 2 * DAY):
            with at(when):
                assert services.sweep_run().rotations == 0, when
        assert rows(svc)[0].created_time == first
        assert secret_store.secret_value(rows(svc)[1]) == original  # still the application's old secret
        # Its warning still goes out meanwhile.
        assert SecretWarning.objects.filter(client=svc, secret_created=first, threshold=DAY).exists()
        # Once the old secret has expired, the next rotation comes.
        with at(first + 2 * DAY + 1):
            assert services.sweep_run().rotations == 1
        assert rows(svc)[0].created_time == first + 2 * DAY + 1

    def test_a_client_no_rotation_policy_covers_any_more_is_refused_and_keeps_its_secret(self, realm, make_client):
        auto_rotate(realm)
        svc = make_client()
        before = rows(svc)[0]
        policies_replace(realm=realm, representation={"policies": []})
        with at(EXPIRES - DAY):
            report = services.sweep_run()
        assert (report.rotations, report.refused) == (0, 1)
        current, rotated = rows(svc)
        assert (current.created_time, current.expiration_time, rotated) == (EPOCH0, EXPIRES, None)
        assert secret_store.secret_value(current) == secret_store.secret_value(before)
        assert refusals(svc) == [
            {"automaticRotation": "refused", "reason": services.REFUSED_NO_POLICY, "expiresAt": EXPIRES}
        ]
        # Re-generate's own event and webhook were rolled back with it.
        assert not AdminEvent.objects.filter(resource_type="CLIENT", operation_type="ACTION").exists()


class TestFailures:
    def test_an_unexpected_error_is_retried_on_the_next_sweep_and_its_text_recorded_nowhere(self, realm, make_client, caplog):
        auto_rotate(realm)
        svc = make_client()
        with at(EXPIRES - DAY), mock.patch.object(services, "client_secret_regenerate_rotating", side_effect=RuntimeError("db gone xyzzy")):
            report = services.sweep_run()
        assert (report.rotations, report.refused) == (0, 0)
        assert not AutoRotation.objects.exists() and refusals(svc) == []
        assert not AdminEvent.objects.filter(representation__contains="xyzzy").exists()
        assert "Automatic rotation of client" in caplog.text
        with at(EXPIRES - DAY + 60):
            assert services.sweep_run().rotations == 1
        assert rows(svc)[0].created_time == EXPIRES - DAY + 60

    def test_one_failing_rotation_warning_or_email_stops_no_other(self, realm, make_client, mailoutbox, caplog):
        services.expiry_settings_update(
            realm=realm, actor=ACTOR, warn_before=[7 * DAY], auto_rotate=True, auto_rotate_before=LEAD,
            email_recipients=["ops@example.com"],
        )
        bad, good = make_client("bad"), make_client("good")

        def rotate(*, client, actor):
            if client.pk == bad.pk:
                raise RuntimeError("broken")
            return REAL_REGENERATE(client=client, actor=actor)

        real_warning = services.secret_warning_send

        def warn(*, secret, level, now):
            if secret.client_id == bad.pk:
                raise RuntimeError("broken")
            return real_warning(secret=secret, level=level, now=now)

        with at(EXPIRES - 7 * DAY), mock.patch.object(services, "secret_warning_send", side_effect=warn):
            assert services.sweep_run().warnings == 1
        assert SecretWarning.objects.filter(client=good).count() == 1
        with at(EXPIRES - DAY), mock.patch.object(services, "client_secret_regenerate_rotating", side_effect=rotate):
            report = services.sweep_run()
        assert report.rotations == 1 and rows(good)[0].created_time == EXPIRES - DAY
        assert rows(bad)[0].created_time == EPOCH0
        # bad's warning, missed by the first sweep, goes out now that its rotation failed.
        assert SecretWarning.objects.filter(client=bad).count() == 1
        with at(EXPIRES - DAY + 60), mock.patch.object(services, "_email_send", side_effect=RuntimeError("smtp")):
            assert services.sweep_run().rotations == 1  # bad, retried; the email failing stops nothing
        assert "broken" not in "".join(e.representation for e in AdminEvent.objects.all())
        assert "Expiry email for realm" in caplog.text


class TestRateLimit:
    def test_a_rotation_counts_from_when_it_was_made_not_from_the_sweeps_start(self, realm, make_client, settings):
        settings.ROTATION_MAX_PER_MINUTE = 1
        auto_rotate(realm)
        first, second = make_client("first"), make_client("second")
        start = EXPIRES - DAY
        real_rotate = services.secret_auto_rotate
        with at(start) as traveller:

            def slow(**kwargs):
                traveller.move_to(start + 50)  # the sweep reached this client 50 s after it started
                return real_rotate(**kwargs)

            with mock.patch.object(services, "secret_auto_rotate", side_effect=slow):
                assert services.sweep_run().rotations == 1
        assert AutoRotation.objects.get(succeeded=True).time == start + 50
        with at(start + 61):  # 11 s after the first rotation: still the same minute
            report = services.sweep_run()
        assert (report.rotations, report.deferred) == (0, 1)
        with at(start + 111):
            assert services.sweep_run().rotations == 1
        assert {rows(first)[0].created_time, rows(second)[0].created_time} == {start + 50, start + 111}


class TestLongDurations:
    def test_a_lead_time_and_a_threshold_of_100_years_are_stored_and_swept(self, realm, make_client, api):
        response = api.put("/admin/realms/acme/secret-expiry", {"autoRotateBefore": services.MAX_SECONDS, "warnBefore": [services.MAX_SECONDS]})
        assert response.status_code == 204
        assert api.get("/admin/realms/acme/secret-expiry").json()["autoRotateBefore"] == services.MAX_SECONDS
        make_client()
        with at(EPOCH0 + 60):
            report = services.sweep_run()
        assert report.warnings == 1
        assert SecretWarning.objects.get().threshold == services.MAX_SECONDS
