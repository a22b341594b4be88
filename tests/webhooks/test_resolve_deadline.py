"""A host whose name servers never answer holds nothing: saving its URL (production mode resolves
it in the request) answers 400 within ``WEBHOOK_RESOLVE_TIMEOUT`` and writes nothing; a delivery
attempt counts the lookup against ``WEBHOOK_TIMEOUT``, is recorded as timed out and retried; and
the lookups run on a bounded pool of threads, refused once every thread is busy.

The resolver is made slow with a ``socket.getaddrinfo`` that, for one test host name, waits on an
event the test sets only when it is done (so the lookups' threads end with the test)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

import pytest
from django_tasks_db.models import DBTaskResult

from clients import services as client_services
from clients.signals import SECRET_COMPROMISED, SECRET_ROTATED
from realms.actor import Actor
from realms.models import AdminEvent
from tests.api.conftest import Api, password_token
from tests.webhooks.conftest import HOLD_LIMIT, run_worker
from webhooks import outbound, services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint

HOST = "slow-dns.test"
LATE = f"The host {HOST} could not be resolved in time"
API = "/admin/realms/master/webhooks"
CONSOLE = "/console/master/realm-settings/webhooks/"
EVENT_TYPES = [SECRET_ROTATED, SECRET_COMPROMISED]


@dataclass
class SlowDNS:
    """``HOST`` resolves to ``address`` once ``release`` is set; every other name as usual."""

    address: str = "93.184.215.14"
    release: threading.Event = field(default_factory=threading.Event)
    asked: list[str] = field(default_factory=list)


@pytest.fixture
def slow_dns(monkeypatch):
    dns = SlowDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == HOST:
            dns.asked.append(host)
            dns.release.wait(HOLD_LIMIT)
            host = dns.address
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield dns
    dns.release.set()
    # Every lookup thread has finished (and given its slot back) before the next test.
    taken = [outbound._lookup_slots.acquire(timeout=HOLD_LIMIT) for _ in range(outbound.LOOKUP_THREADS)]
    for _ in taken:
        outbound._lookup_slots.release()
    assert all(taken)


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_RESOLVE_TIMEOUT = 0.05
    return settings


@pytest.fixture
def api(client, master, admin_user):
    return Api(client, password_token(client, admin_user.username))


def _webhook_events() -> int:
    return AdminEvent.objects.filter(resource_type=services.RESOURCE_TYPE).count()


@pytest.mark.django_db
def test_api_create_and_update_answer_400_and_write_nothing(api, master, production, slow_dns):
    created = api.post(API, {"url": f"https://{HOST}/hook", "eventTypes": EVENT_TYPES})
    assert created.status_code == 400
    assert created.json() == {"errorMessage": LATE}
    assert not WebhookEndpoint.objects.exists() and _webhook_events() == 0
    assert slow_dns.asked == [HOST]

    endpoint, _secret = services.webhook_create(realm=master, url="https://93.184.215.14/hook", event_types=EVENT_TYPES, actor=Actor())
    events = _webhook_events()
    updated = api.put(f"{API}/{endpoint.id}", {"url": f"https://{HOST}/other", "enabled": False})
    assert updated.status_code == 400
    assert updated.json() == {"errorMessage": LATE}
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.enabled) == ("https://93.184.215.14/hook", True)
    assert _webhook_events() == events


@pytest.mark.django_db
def test_console_add_and_edit_are_form_errors_and_write_nothing(console_client, master, production, slow_dns):
    manager = console_client(["manage-realm"])
    added = manager.post(CONSOLE + "add", {"url": f"https://{HOST}/hook", "event_types": EVENT_TYPES, "enabled": "on"})
    assert added.status_code == 400
    assert LATE in added.content.decode()
    assert not WebhookEndpoint.objects.exists() and _webhook_events() == 0

    endpoint, _secret = services.webhook_create(realm=master, url="https://93.184.215.14/hook", event_types=EVENT_TYPES, actor=Actor())
    edited = manager.post(f"{CONSOLE}{endpoint.id}/edit", {"url": f"https://{HOST}/other", "event_types": [SECRET_ROTATED]})
    assert edited.status_code == 400
    assert LATE in edited.content.decode()
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types) == ("https://93.184.215.14/hook", EVENT_TYPES)


@pytest.mark.django_db
def test_a_lookup_that_comes_in_time_is_checked_as_before(production, slow_dns):
    slow_dns.release.set()
    assert outbound.url_check(f"https://{HOST}/hook") == f"https://{HOST}/hook"
    slow_dns.address = "10.0.0.1"
    with pytest.raises(outbound.URLRefused, match="loopback, private"):
        outbound.url_check(f"https://{HOST}/hook")


@pytest.mark.django_db
def test_a_flood_of_slow_lookups_is_refused_without_more_threads(production, slow_dns):
    for _ in range(outbound.LOOKUP_THREADS + 3):
        with pytest.raises(outbound.ResolveTimeout, match="could not be resolved in time"):
            outbound.url_check(f"https://{HOST}/hook")
    # Every thread is busy with a lookup that never answers: the others were refused, not queued.
    assert len(slow_dns.asked) == outbound.LOOKUP_THREADS
    assert sum(t.name.startswith("webhook-dns") for t in threading.enumerate()) == outbound.LOOKUP_THREADS

    slow_dns.release.set()
    # Once the lookups end, their threads take new ones.
    assert outbound.url_check(f"https://{HOST}/hook") == f"https://{HOST}/hook"


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_lookup_is_late_is_a_timeout_and_retried(clock_at, settings, master, app, receiver, slow_dns):
    settings.WEBHOOK_TIMEOUT = 0.05
    slow_dns.address = "127.0.0.1"
    url = receiver.url.replace("127.0.0.1", HOST)
    endpoint, receiver.secret = services.webhook_create(realm=master, url=url, event_types=EVENT_TYPES, actor=Actor())
    client_services.client_secret_regenerate(client=app, actor=Actor())

    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error == "Timed out after 0.05 s"
    assert delivery.next_attempt_at is not None
    assert receiver.requests == []
    # The retry is queued for when the backoff ends (the lease queued before the attempt, too).
    ready = DBTaskResult.objects.filter(task_path=tasks.webhook_deliver.module_path, status="READY")
    assert [delivery.pk, 2] in [row.args_kwargs["args"] for row in ready]
    assert max(row.run_after for row in ready) >= delivery.next_attempt_at

    slow_dns.release.set()
    settings.WEBHOOK_TIMEOUT = 5
    clock_at.move_to(delivery.next_attempt_at)
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.requests) == 1 and isinstance(receiver.requests[0].verified, dict)
