"""bootstrap_console: the bootstrap administrator's password passes Django's password validators."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from realms.models import Realm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["password", "12345678901234", "short", "kc-operator-1"])
def test_a_weak_admin_password_is_refused_with_a_clear_message(monkeypatch, weak):
    monkeypatch.setenv("CONSOLE_ADMIN_PASSWORD", weak)
    monkeypatch.setenv("CONSOLE_ADMIN_USERNAME", "kc-operator")
    with pytest.raises(CommandError, match="CONSOLE_ADMIN_PASSWORD is too weak: "):
        call_command("bootstrap_console", stdout=StringIO())
    assert not get_user_model().objects.exists()
    assert not Realm.objects.exists()  # nothing half-done: run again with a better password


def test_a_strong_admin_password_is_accepted(monkeypatch):
    monkeypatch.setenv("CONSOLE_ADMIN_PASSWORD", "amber-otter-quietly-7391")
    call_command("bootstrap_console", stdout=StringIO())
    assert get_user_model().objects.get(username="admin").check_password("amber-otter-quietly-7391")


def test_the_generated_password_passes(monkeypatch):
    monkeypatch.delenv("CONSOLE_ADMIN_PASSWORD", raising=False)
    out = StringIO()
    call_command("bootstrap_console", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
