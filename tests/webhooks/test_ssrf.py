"""Server-side request forgery: only http(s) URLs with a host; in production mode no loopback,
private, link-local, multicast or reserved address, checked when saved and again when sent."""

from __future__ import annotations

import pytest

from clients.signals import SECRET_ROTATED
from realms.actor import Actor
from tests.webhooks.conftest import run_worker
from webhooks import outbound, services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    return settings


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "Only http and https URLs are allowed"),
        ("file:///etc/passwd", "Only http and https URLs are allowed"),
        ("https:///hook", "The URL has no host"),
        ("https://user:pw@example.com/hook", "The URL must not contain a user name or password"),
        ("https://user@example.com/hook", "The URL must not contain a user name or password"),
        ("https://:pw@example.com/hook", "The URL must not contain a user name or password"),
        ("https://üser@exämple.com/hook", "Enter a valid URL"),
        ("https://example.com/a b", "The URL contains spaces or control characters"),
        ("https://example.com:99999/", "Enter a valid URL"),
        ("", "Enter a URL"),
    ],
)
def test_urls_that_are_not_http_with_a_host_are_refused_in_every_mode(url, reason):
    with pytest.raises(outbound.URLRefused, match=reason):
        outbound.url_check(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",  # IPv4-mapped
        "http://2130706433/",  # 127.0.0.1 written as one decimal number
        "http://0x7f000001/",
        "http://[fec0::1]/",  # IPv6 site-local
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a00:1]/",
    ],
)
def test_production_refuses_non_public_addresses(production, url):
    with pytest.raises(outbound.URLRefused, match="loopback, private, link-local, multicast or reserved"):
        outbound.url_check(url)


def test_production_accepts_a_public_address_and_development_accepts_any(settings, production):
    assert outbound.url_check("https://93.184.215.14/hook") == "https://93.184.215.14/hook"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert outbound.url_check("http://127.0.0.1/hook")
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.PRODUCTION = False
    assert outbound.url_check("http://10.0.0.1/hook")


def test_embedded_public_ipv4_addresses_are_accepted(production):
    assert outbound.url_check("https://[2002:5db8:d70e::1]/hook")  # 6to4 of 93.184.215.14
    assert outbound.url_check("https://[::ffff:93.184.215.14]/hook")


def test_an_unresolvable_host_is_refused_in_production(production):
    with pytest.raises(outbound.URLRefused, match="could not be resolved"):
        outbound.url_check("https://no-such-host.invalid/hook")


@pytest.mark.django_db
def test_a_refused_url_creates_nothing(production, master):
    with pytest.raises(services.WebhookInvalid) as refused:
        services.webhook_create(realm=master, url="http://127.0.0.1/hook", event_types=[SECRET_ROTATED], actor=Actor())
    assert refused.value.status == 400 and "not allowed" in refused.value.body["errorMessage"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_address_is_checked_again_at_delivery(settings, master, receiver):
    """Saved while allowed, sent when no longer allowed: the attempt is refused, nothing reaches the receiver."""
    endpoint, _ = services.webhook_create(realm=master, url=receiver.url, event_types=[SECRET_ROTATED], actor=Actor())
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    services.webhook_test(endpoint=endpoint, actor=Actor())
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert not receiver.requests
    assert delivery.status == "pending" and delivery.last_status_code is None and "not allowed" in delivery.last_error
