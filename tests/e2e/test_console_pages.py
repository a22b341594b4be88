"""Every console page in Chromium: it fits a 390 px wide screen, its menu shows its section, and
axe-core finds no serious or critical violation; dialogs give the focus back to what opened them.

One browser page walks the whole list (tests/e2e/pages.py), so the suite stays fast.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DOCS_VIEWPORT, axe_violations, format_violations
from tests.e2e.pages import NARROW, console_pages, furnish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_WIDTH = "() => document.documentElement.scrollWidth"
_ACTIVE = """() => Array.from(document.querySelectorAll('nav[aria-label="Console menu"] a.nav-link.active'))
  .map(a => a.textContent.trim())"""


@pytest.fixture
def furnished(master, admin_user):
    return furnish(master, admin_user)


def test_every_console_page_fits_390px_shows_its_section_and_passes_axe(axe_page, furnished, master):
    """At 390 px no page is wider than the screen (tables scroll inside themselves); the menu
    marks the page's section; at desktop width axe-core finds no serious or critical violation."""
    page = axe_page
    problems: list[str] = []
    pages = console_pages(page, master, furnished)
    assert len(pages) >= 35
    for what, url, section in pages:
        page.set_viewport_size(DOCS_VIEWPORT)
        response = page.goto(url)
        if response is None or response.status != 200:
            problems.append(f"{what} ({url}): HTTP {response and response.status}")
            continue
        active = page.evaluate(_ACTIVE)
        if active != ([section] if section else []):
            problems.append(f"{what} ({url}): the menu marks {active}, expected {section!r}")
        violations = axe_violations(page)
        if violations:
            problems.append(f"{what} ({url}): axe-core\n{format_violations(violations)}")
        page.set_viewport_size(NARROW)
        width = page.evaluate(_WIDTH)
        if width > NARROW["width"]:
            wide = page.evaluate(
                """(limit) => Array.from(document.querySelectorAll('body *'))
                  .filter(el => el.getBoundingClientRect().right > limit && (!el.closest('.table-responsive') || getComputedStyle(el).position !== 'static'))
                  .slice(0, 3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))""",
                NARROW["width"],
            )
            problems.append(f"{what} ({url}): {width} px wide at {NARROW['width']} px: {wide}")
    assert not problems, "\n".join(problems)


def test_the_sidebar_folds_behind_a_toggle_on_a_narrow_screen(console_page):
    page = console_page
    page.set_viewport_size(NARROW)
    page.goto("/console/master/clients/")
    toggle = page.get_by_role("button", name="Menu")
    menu = page.get_by_role("navigation", name="Console menu", include_hidden=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert toggle.get_attribute("aria-controls") == menu.get_attribute("id")
    expect(menu).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="Realm Settings").click()
    page.wait_for_url("**/realm-settings/")
    expect(page.get_by_role("navigation", name="Console menu", include_hidden=True)).to_be_hidden()
    # At desktop width the menu is always there and the toggle is not.
    page.set_viewport_size(DOCS_VIEWPORT)
    expect(page.get_by_role("navigation", name="Console menu")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()


def test_without_javascript_the_menu_is_shown_above_the_content(browser, live_server, admin_user, master):
    from tests.conftest import browser_sign_in

    context = browser.new_context(base_url=live_server.url, viewport=NARROW, java_script_enabled=False)
    page = browser_sign_in(context.new_page())
    try:
        page.goto("/console/master/clients/")
        menu = page.get_by_role("navigation", name="Console menu")
        expect(menu).to_be_visible()
        assert menu.bounding_box()["y"] < page.locator("main").bounding_box()["y"]
        assert page.evaluate(_WIDTH) <= NARROW["width"]
    finally:
        context.close()


def test_focus_returns_to_the_control_that_opened_a_dialog(console_page, furnished, master):
    page = console_page
    dialog = page.get_by_role("dialog")

    # Re-generate on the Credentials tab: Cancel, the close button and Escape.
    page.goto(f"/console/master/clients/{furnished['client'].pk}/credentials")
    regenerate = page.get_by_role("group", name="Client Secret").get_by_role("button", name="Re-generate")
    for close in ("No", "Close", "Escape"):
        regenerate.click()
        expect(dialog).to_be_visible()
        if close == "Escape":
            # Bootstrap moves the focus into the dialog once shown; Escape is heard there.
            page.wait_for_function("el => el.contains(document.activeElement)", arg=dialog.element_handle())
            page.keyboard.press("Escape")
        else:
            dialog.get_by_role("button", name=close).click()
        expect(dialog).to_be_hidden()
        expect(regenerate, f"after {close}").to_be_focused()

    # Delete from a page's Action menu: the item is gone with its menu, so the menu's button.
    page.goto(f"/console/master/clients/{furnished['client'].pk}/settings")
    action = page.get_by_role("button", name="Action")
    action.click()
    page.get_by_role("button", name="Delete").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(action).to_be_focused()

    # Delete from a row's kebab on the clients list.
    page.goto("/console/master/clients/")
    kebab = page.get_by_role("button", name=f"Actions for {furnished['client'].client_id}")
    kebab.click()
    page.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(kebab).to_be_focused()


def test_focus_stays_on_the_control_after_its_fragment_is_swapped(console_page):
    """The General tab saves with htmx and swaps its form: Save keeps the focus."""
    page = console_page
    page.goto("/console/master/realm-settings/")
    page.get_by_label("Display name").fill("Master")
    save = page.get_by_role("button", name="Save")
    save.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Realm successfully updated").wait_for()
    expect(page.get_by_role("button", name="Save")).to_be_focused()


def test_help_icons_are_focusable_popovers(console_page, furnished):
    page = console_page
    page.goto(f"/console/master/clients/{furnished['client'].pk}/settings")
    help_button = page.get_by_role("button", name="Help: Enabled")
    help_button.focus()
    expect(help_button).to_be_focused()
    page.keyboard.press("Enter")
    text = page.get_by_text("Disabled clients cannot initiate a login or have obtained access tokens.").first
    expect(text).to_be_visible()
    described = help_button.get_attribute("aria-describedby")
    assert described and page.locator(f"#{described}").inner_text().startswith("Disabled clients")
    page.keyboard.press("Escape")
    expect(page.locator(f"#{described}")).to_be_hidden()


def test_toasts_never_cover_sign_out(console_page):
    page = console_page
    page.goto("/console/master/realm-settings/")
    page.get_by_role("button", name="Save").click()
    toast = page.get_by_text("Realm successfully updated")
    toast.wait_for()
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    box = page.locator("#alerts .alert").first.bounding_box()
    assert box["y"] >= sign_out["y"] + sign_out["height"], (box, sign_out)
    page.get_by_role("button", name="Sign out").click()  # not covered: the click lands
    page.wait_for_url("**/login")


def test_every_copy_button_shows_the_same_icon(console_page):
    page = console_page
    page.goto("/console/master/clients/initial-access-tokens")
    page.get_by_role("link", name="Create").click()
    page.get_by_role("button", name="Save").click()
    copy = page.get_by_role("button", name="Copy to clipboard")
    expect(copy).to_be_visible()
    assert copy.locator("svg").count() == 1


def test_rows_are_deleted_through_their_kebab_and_the_confirm_dialog(console_page, furnished):
    from clients.models import ClientRole

    page = console_page
    page.goto(f"/console/master/clients/{furnished['client'].pk}/roles")
    page.get_by_role("button", name="Actions for role invoices-reader").click()
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete role?")
    expect(dialog).to_contain_text('permanently delete the role "invoices-reader"')
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Actions for role invoices-reader")).to_have_count(0)
    assert not ClientRole.objects.filter(client=furnished["client"], name="invoices-reader").exists()


_CONTRAST = """el => {
  const rgb = s => s.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const border = lum(rgb(getComputedStyle(el).borderTopColor));
  return (1 + 0.05) / (border + 0.05);  // against the white page
}"""


def test_borders_of_inputs_switches_and_checkboxes_reach_3_to_1(console_page, furnished):
    page = console_page
    controls = {
        "/console/master/clients/add-client": {"text input": page.get_by_label("Client ID").first,
                                               "select": page.locator("main select").first},
        "/console/master/clients/": {"checkbox": page.locator("main input[type=checkbox]").first},
        f"/console/master/clients/{furnished['client'].pk}/settings": {"switch": page.get_by_role("switch").last},
    }
    problems = []
    for url, found in controls.items():
        page.goto(url)
        for name, control in found.items():
            if (ratio := control.evaluate(_CONTRAST)) < 3:
                problems.append(f"{name} on {url}: {ratio:.2f}:1")
    assert not problems


def test_the_client_secret_keeps_its_width_on_a_narrow_screen(console_page, furnished):
    """The secret's buttons go below the field instead of squeezing it to two dots."""
    page = console_page
    page.set_viewport_size(NARROW)
    page.goto(f"/console/master/clients/{furnished['client'].pk}/credentials")
    secret = page.get_by_role("group", name="Client Secret").get_by_label("Client Secret", exact=True)
    assert secret.bounding_box()["width"] >= 150
    assert page.evaluate(_WIDTH) <= NARROW["width"]
