"""The console's own screens for the README (``make docs`` writes them to docs/images/), each
taken after checking that what it shows is on the page."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import DOCS_VIEWPORT
from tests.factories import ClientFactory, rotation_policy_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = 86400
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def legacy_app(master):
    """A client made before the realm's rotation policy: its secret has no expiry yet."""
    app = ClientFactory(realm=master, client_id="legacy-app", secret="Sup3rSecretValue0123456789abcdef")
    rotation_policy_make(master, expiration=7 * DAY, rotated=2 * DAY, remaining=DAY, name="weekly-rotation")
    return app


def test_credentials_tab_and_regenerate_dialog(docs_page, legacy_app, shots):
    page = docs_page
    page.goto(f"/console/master/clients/{legacy_app.pk}/credentials")
    group = page.get_by_role("group", name="Client Secret")
    group.get_by_text("Client policy weekly-rotation rotates this secret").wait_for()
    assert shots.take(page, "console-credentials-rotation-note.png").stat().st_size > 0

    group.get_by_role("button", name="Re-generate").click()
    dialog = page.get_by_role("dialog", name="Regenerate secret for this client?")
    dialog.get_by_text("the old secret stays valid until").wait_for()
    assert shots.take(page, "console-regenerate-dialog.png").stat().st_size > 0


def test_secret_rotation_page(docs_page, legacy_app, shots):
    page = docs_page
    page.goto("/console/master/secret-rotation/")
    page.get_by_role("heading", name="Secret rotation").wait_for()
    page.get_by_role("link", name="legacy-app").wait_for()
    assert shots.take(page, "console-secret-rotation.png", full_page=True).stat().st_size > 0


def test_narrow_screen_menu_and_not_found_page(docs_page, legacy_app, shots):
    page = docs_page
    page.set_viewport_size(PHONE)
    page.goto("/console/master/clients/")
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert shots.take(page, "console-narrow-menu.png").stat().st_size > 0

    page.set_viewport_size(DOCS_VIEWPORT)
    legacy_app_url = f"/console/master/clients/{legacy_app.pk}/settings"
    legacy_app.delete()
    response = page.goto(legacy_app_url)
    assert response.status == 404
    page.get_by_role("heading", name="Client not found").wait_for()
    assert shots.take(page, "console-client-not-found.png").stat().st_size > 0
