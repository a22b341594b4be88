"""The client's address: REMOTE_ADDR, unless it is a trusted proxy (TRUSTED_PROXIES).

A spoofed ``X-Forwarded-For`` must not choose the address recorded in events or the address of
the sign-in lockout; behind a configured proxy, the proxy's header is believed.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from realms.actor import client_ip
from realms.models import AdminEvent, LoginEvent

PROXY = "10.0.0.1"
SPOOFED = "198.51.100.66"
LOCKED_TEXT = "Too many failed sign-in attempts"


def ip_of(remote: str, forwarded: str | None = None) -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_forwarded_for_is_ignored_by_default(settings):
    settings.TRUSTED_PROXIES = []
    assert ip_of("203.0.113.5", SPOOFED) == "203.0.113.5"


def test_right_most_untrusted_entry_behind_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]
    assert ip_of(PROXY, SPOOFED) == SPOOFED
    # The client wrote the left part; the proxies appended the right part.
    assert ip_of(PROXY, f"1.2.3.4, {SPOOFED}, 10.1.2.3") == SPOOFED
    assert ip_of(PROXY, "2001:db8::1") == "2001:db8::1"
    assert ip_of(PROXY, "10.1.9.9, 10.1.2.3") == "10.1.9.9"  # every hop trusted: the farthest one
    assert ip_of(PROXY, "") == PROXY
    assert ip_of(PROXY, f"{SPOOFED}, not-an-address") == PROXY  # garbage is never an address
    # A peer that is not a trusted proxy is the client, whatever it claims.
    assert ip_of("203.0.113.5", SPOOFED) == "203.0.113.5"


@pytest.mark.django_db
def test_admin_event_address_ignores_a_spoofed_header(admin_client, master, settings):
    settings.TRUSTED_PROXIES = []
    admin_client.post("/console/master/add-realm", {"name": "acme", "enabled": "on"}, REMOTE_ADDR=PROXY,
                      HTTP_X_FORWARDED_FOR=SPOOFED)
    assert AdminEvent.objects.get(resource_type="REALM", operation_type="CREATE").ip_address == PROXY


@pytest.mark.django_db
def test_admin_event_address_comes_from_a_trusted_proxy(admin_client, master, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    admin_client.post("/console/master/add-realm", {"name": "acme", "enabled": "on"}, REMOTE_ADDR=PROXY,
                      HTTP_X_FORWARDED_FOR=SPOOFED)
    assert AdminEvent.objects.get(resource_type="REALM", operation_type="CREATE").ip_address == SPOOFED


def _fail_sign_in(client, forwarded: str):
    return client.post("/login", {"username": "admin", "password": "wrong-password"}, REMOTE_ADDR=PROXY,
                       HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_lockout_key_ignores_a_spoofed_header(client, admin_user, master, settings):
    settings.TRUSTED_PROXIES = []
    # A new X-Forwarded-For on every attempt does not make a new (username, address) pair.
    responses = [_fail_sign_in(client, f"198.51.100.{i}") for i in range(5)]
    assert responses[-1].status_code == 429 and LOCKED_TEXT in responses[-1].content.decode()
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [PROXY]


@pytest.mark.django_db
def test_lockout_key_uses_the_address_a_trusted_proxy_forwards(client, admin_user, master, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(5):
        _fail_sign_in(client, SPOOFED)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [SPOOFED]
    # Another client behind the same proxy is not locked out.
    response = client.post("/login", {"username": "admin", "password": "wrong-password"}, REMOTE_ADDR=PROXY,
                           HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("trusted, expected", [([], PROXY), ([PROXY], SPOOFED)])
def test_login_event_address(client, master, settings, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    response = client.post("/realms/master/protocol/openid-connect/token",
                           {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=SPOOFED)
    assert response.status_code == 401
    assert LoginEvent.objects.get().ip_address == expected


def test_trusted_proxies_setting_is_checked_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from adminconsole.config import trusted_proxies

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/24")
    assert trusted_proxies() == ["10.0.0.1", "192.168.0.0/24"]
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1,proxy.example.com")
    with pytest.raises(ImproperlyConfigured, match="proxy.example.com"):
        trusted_proxies()
    monkeypatch.delenv("TRUSTED_PROXIES")
    assert trusted_proxies() == []
