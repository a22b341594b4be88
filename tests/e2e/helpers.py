"""Helpers for the procedure walkthrough: screenshots, the token endpoint, keyboard reach, axe-core.

Controls are always found by their visible label or accessible name (``get_by_role``,
``get_by_label``, ``get_by_text``); these helpers never look anything up by a CSS id.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from django.utils import dateformat
from django.utils import timezone as dj_timezone

ROOT = Path(__file__).resolve().parents[2]
DOCS_IMAGES = ROOT / "docs" / "images"
AXE_JS = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
TOKEN_PATH = "/realms/{realm}/protocol/openid-connect/token"
# The Credentials tab's date format (templates/clients/_secret_times.html).
EXPIRY_FORMAT = r"j F Y, H:i T"
# Screenshots for docs/: a modest viewport keeps the PNGs small and readable.
DOCS_VIEWPORT = {"width": 1280, "height": 800}


def docs_screenshots_enabled() -> bool:
    return os.environ.get("DOCS_SCREENSHOTS", "") not in ("", "0", "false", "no")


class Screenshots:
    """Writes the procedure's images under their names into one directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def take(self, page, name: str, *, full_page: bool = False) -> Path:
        path = self.directory / name
        # Wait for web fonts/htmx swaps to settle and drop the caret so images are reproducible.
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        self.taken.append(path)
        return path


# --- the token endpoint ------------------------------------------------------------------------


def token_request(base_url: str, realm: str, client_id: str, client_secret: str) -> tuple[int, dict]:
    """POST grant_type=client_credentials to the realm's token endpoint over real HTTP."""
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    ).encode()
    request = urllib.request.Request(
        base_url + TOKEN_PATH.format(realm=realm),
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def expiry_text(epoch_seconds: int) -> str:
    """The ``Secret expires on …`` line the Credentials tab shows for an expiration time."""
    moment = dj_timezone.localtime(datetime.fromtimestamp(epoch_seconds, tz=UTC))
    return "Secret expires on " + dateformat.format(moment, EXPIRY_FORMAT)


# --- keyboard reach ----------------------------------------------------------------------------

_FOCUS_STATE = """el => {
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return {
    tabIndex: el.tabIndex,
    disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
    visible: style.visibility !== 'hidden' && style.display !== 'none' && rect.width > 0 && rect.height > 0,
  };
}"""


def assert_keyboard_reachable(page, controls: dict[str, object], *, max_presses: int = 250) -> None:
    """Press Tab from the top of the page until every control in ``controls`` got the focus.

    ``controls`` maps a readable name (for messages) to a Playwright locator. Each must be
    focusable (tabindex not -1), enabled and visible, and must actually receive the focus
    through Tab presses; a control the keyboard never reaches fails the assertion.
    """
    for index, (name, locator) in enumerate(controls.items()):
        assert locator.count() == 1, f"{name!r}: expected exactly one control, found {locator.count()}"
        state = locator.evaluate(_FOCUS_STATE)
        assert state["tabIndex"] >= 0, f"{name!r} is taken out of the tab order (tabindex {state['tabIndex']})"
        assert not state["disabled"], f"{name!r} is disabled"
        assert state["visible"], f"{name!r} is not visible"
        locator.evaluate("(el, i) => el.setAttribute('data-keyboard-target', i)", str(index))
    wanted = {str(i): name for i, name in enumerate(controls)}
    # Start the sequential focus navigation at the top of the document.
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.evaluate(
        "() => { const b = document.body; b.setAttribute('tabindex', '-1'); b.focus(); b.removeAttribute('tabindex'); }"
    )
    reached: set[str] = set()
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        marker = page.evaluate(
            "() => document.activeElement ? document.activeElement.getAttribute('data-keyboard-target') : null"
        )
        if marker is not None:
            reached.add(marker)
            if reached >= wanted.keys():
                break
    missing = [wanted[m] for m in wanted if m not in reached]
    page.evaluate("() => document.querySelectorAll('[data-keyboard-target]').forEach(el => el.removeAttribute('data-keyboard-target'))")
    assert not missing, f"not reachable with the Tab key: {missing}"


# --- axe-core ----------------------------------------------------------------------------------

_AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\\s+/g, ' ')),
  }));
}"""


def axe_violations(page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Inject axe-core (needs a context with ``bypass_csp=True``) and return the violations of
    the given impacts on the current page."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `make node-deps` (npm ci in tests/js)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(_AXE_RUN)
    return [v for v in found if v["impact"] in impacts]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)
