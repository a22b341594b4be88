"""In Chromium, the console works under the strict CSP and no page reports a violation."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from tests.conftest import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects violations from the page itself (init scripts run outside the page's CSP).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});
"""


def watch(page):
    messages = []
    page.add_init_script(LISTEN)
    page.on("console", lambda msg: messages.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    return messages


def violations(page, messages) -> list[str]:
    found = list(page.evaluate("window.__csp || []"))
    found += [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m or m.startswith("pageerror")]
    return found


def console_urls(realm: str, client_pk=None) -> list[str]:
    names = [
        ("realm-settings", {}),
        ("events", {}),
        ("events-user", {}),
        ("events-settings", {}),
        ("realm-create", {}),
        ("client-list", {}),
        ("client-create", {}),
        ("client-policies", {}),
        ("realm-keys", {}),
        ("realm-tokens", {}),
    ]
    if client_pk:
        names += [("client-settings", {"id": client_pk}), ("client-credentials", {"id": client_pk}), ("client-roles", {"id": client_pk})]
    urls = []
    for name, kwargs in names:
        try:
            urls.append(reverse(name, kwargs={"realm": realm, **kwargs}))
        except NoReverseMatch:
            continue  # a page another part of the console has not built (yet)
    return urls


def a_confidential_client(master):
    try:
        from clients.services import client_create
    except ImportError:
        return None
    client = client_create(realm=master, representation={"clientId": "csp-app", "publicClient": False}, actor=None)
    return client.pk


def test_every_console_page_loads_without_csp_violations(page, admin_user, master):
    messages = watch(page)
    browser_sign_in(page, start="/login")
    assert violations(page, messages) == []

    urls = console_urls("master", a_confidential_client(master))
    assert len(urls) >= 3
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("load")
        # Our scripts ran: htmx is there and merged the meta config.
        assert page.evaluate("window.htmx && htmx.config.includeIndicatorStyles") is False, url
        assert page.evaluate("document.querySelectorAll('style').length") == 0, url
        assert violations(page, messages) == [], url

    # The Admin REST API's docs page (ninja's bundled Swagger UI, served from our own static files).
    page.goto("/admin/docs")
    page.get_by_text("/admin/realms/{realm}/admin-events").first.wait_for(timeout=30_000)
    assert violations(page, messages) == []


def test_interactive_parts_work_under_the_policy(console_page, master):
    page = console_page
    messages = watch(page)
    page.reload()

    # Bootstrap's dropdown (Popper positions it with CSSOM styles, which the policy allows).
    page.get_by_role("button", name="master").click()
    page.get_by_role("link", name="Create realm").wait_for(state="visible")
    page.keyboard.press("Escape")

    # An htmx round trip: search the events, then page through them.
    from realms.actor import Actor
    from realms.events import admin_event_record

    for i in range(12):
        admin_event_record(realm=master, operation="CREATE", resource_type="CLIENT", resource_path=f"clients/c{i}", actor=Actor(username="admin"))
    page.get_by_role("link", name="Events").click()
    page.wait_for_url("**/console/master/events")
    page.get_by_text("Search filters").click()  # folded away while events are listed
    page.get_by_label("CREATE").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**operation_types=CREATE**")
    page.get_by_role("link", name="Next").click()
    page.get_by_text("clients/c0", exact=True).wait_for()
    page.get_by_text("Representation").first.wait_for(state="attached")
    assert violations(page, messages) == []

    # The credentials panel: show/hide the secret, and a Bootstrap confirm dialog before an htmx post.
    client_pk = a_confidential_client(master)
    try:
        credentials = reverse("client-credentials", kwargs={"realm": "master", "id": client_pk})
    except NoReverseMatch:
        return
    page.goto(credentials)
    page.get_by_role("button", name="Show secret").click()
    page.get_by_role("button", name="Hide secret").wait_for()
    page.get_by_role("button", name="Re-generate").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Regenerate secret for this client?").wait_for()
    dialog.get_by_role("button", name="Yes").click()
    dialog.wait_for(state="hidden")
    page.get_by_text("Client secret regenerated").wait_for()  # the htmx post has been answered
    page.wait_for_load_state("networkidle")
    assert violations(page, messages) == []
    from realms.models import AdminEvent

    assert AdminEvent.objects.filter(operation_type="ACTION", resource_path__endswith="/client-secret").exists()


def test_the_policy_really_blocks_inline_script_and_style(console_page):
    """The control: what the policy forbids is blocked and reported, so the checks above can fail."""
    page = console_page
    messages = watch(page)
    page.reload()
    page.evaluate(
        """() => {
          const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s);
          const d = document.createElement('div'); d.innerHTML = '<span style="color: red">x</span>'; document.body.appendChild(d);
        }"""
    )
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("window.__ran") is None
    found = violations(page, messages)
    assert any(v.startswith("script-src") for v in found), found
    assert any(v.startswith("style-src") for v in found), found
