"""The sweep's email: one message per realm per sweep to its recipients, through Django's email
framework (the console backend by default)."""

from __future__ import annotations

import pytest
from django.core import mail

from expiry import services
from tests.expiry.conftest import ACTOR, DAY, EXPIRES, at, run_worker
from tests.factories import RealmFactory

pytestmark = pytest.mark.django_db


def recipients(realm, *addresses, auto_rotate=False):
    services.expiry_settings_update(
        realm=realm, actor=ACTOR, warn_before=[30 * DAY, 7 * DAY, DAY], auto_rotate=auto_rotate,
        auto_rotate_before=2 * DAY, email_recipients=list(addresses),
    )


def test_one_message_per_realm_per_sweep_summarising_what_crossed(realm, make_client):
    recipients(realm, "ops@example.com", "security@example.com")
    first, second = make_client("billing"), make_client("reports")
    with at(EXPIRES - 7 * DAY):
        run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com", "security@example.com"]
    assert message.subject == "[acme] 2 client secrets expiring, expired or rotated"
    assert "- billing: expires within 7 days (expires 2031-07-03 09:00:00 UTC)" in message.body
    assert "- reports: expires within 7 days" in message.body
    assert f"/console/acme/clients/{first.pk}/credentials" in message.body
    assert f"/console/acme/clients/{second.pk}/credentials" in message.body
    assert "Secret rotation page: /console/acme/secret-rotation/" in message.body
    # The next sweep finds nothing new: no message.
    with at(EXPIRES - 7 * DAY + 60):
        run_worker()
    assert len(mail.outbox) == 1


def test_automatic_rotations_are_in_the_summary(realm, make_client):
    recipients(realm, "ops@example.com", auto_rotate=True)
    make_client("billing")
    with at(EXPIRES - DAY):
        services.sweep_run()
    assert "- billing: rotated automatically" in mail.outbox[0].body


def test_no_recipients_no_message_and_other_realms_apart(realm, make_client):
    make_client("billing")
    other = RealmFactory(name="quiet")
    recipients(other, "quiet@example.com")
    with at(EXPIRES - 7 * DAY):
        assert services.sweep_run().warnings == 1
    assert mail.outbox == []


def test_the_console_backend_prints_the_message(realm, make_client, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    recipients(realm, "ops@example.com")
    make_client("billing")
    with at(EXPIRES - 7 * DAY):
        services.sweep_run()
    out = capsys.readouterr().out
    assert "To: ops@example.com" in out and "billing: expires within 7 days" in out


def test_a_failing_mail_server_loses_no_warning(realm, make_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    recipients(realm, "ops@example.com")
    make_client("billing")
    with at(EXPIRES - 7 * DAY):
        report = services.sweep_run()
    assert (report.warnings, report.emails) == (1, 0)
