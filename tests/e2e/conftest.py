from __future__ import annotations

import pytest

from tests.conftest import browser_sign_in
from tests.e2e.helpers import DOCS_IMAGES, DOCS_VIEWPORT, Screenshots, docs_screenshots_enabled


@pytest.fixture
def shots(tmp_path):
    """Where the procedure's screenshots go: docs/images/ under DOCS_SCREENSHOTS=1 (``make docs``),
    otherwise a temporary directory, so an ordinary test run leaves the tree untouched."""
    return Screenshots(DOCS_IMAGES if docs_screenshots_enabled() else tmp_path / "images")


@pytest.fixture
def docs_page(console_page):
    """The signed-in console page at the documentation's viewport size."""
    console_page.set_viewport_size(DOCS_VIEWPORT)
    return console_page


@pytest.fixture
def axe_page(browser, live_server, admin_user, master):
    """A signed-in page whose context ignores the CSP, so axe-core can be injected.

    Only the accessibility checks use it; every other browser test runs under the real CSP.
    """
    context = browser.new_context(base_url=live_server.url, viewport=DOCS_VIEWPORT, bypass_csp=True, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield browser_sign_in(page)
    context.close()
