"""Issue 14 item 2 in Chromium: the Credentials tab names the rotating policy, and the
Re-generate dialog says how long the old secret stays valid."""

from __future__ import annotations

import pytest

from tests.factories import ClientFactory, rotation_policy_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = 86400


def test_credentials_note_and_regenerate_dialog_wording(console_page, master, live_server):
    page = console_page
    app = ClientFactory(realm=master, client_id="legacy-app", secret="Sup3rSecretValue0123456789abcdef")
    rotation_policy_make(master, expiration=7 * DAY, rotated=2 * DAY, remaining=DAY, name="rotate")
    page.goto(f"{live_server.url}/console/master/clients/{app.pk}/credentials")
    page.wait_for_load_state()
    group = page.get_by_role("group", name="Client Secret")
    group.get_by_text("Client policy rotate rotates this secret").wait_for()
    group.get_by_text("This secret has no expiry yet: the policy sets it at the next update or Re-generate").wait_for()
    assert group.get_by_role("link", name="Apply to existing clients").is_visible()

    group.get_by_role("button", name="Re-generate").click()
    dialog = page.get_by_role("dialog", name="Regenerate secret for this client?")
    dialog.get_by_text("With client policy 'rotate' in force, the old secret stays valid until").wait_for()
    assert "(in 2 days)" in dialog.inner_text()
    dialog.get_by_role("button", name="Yes").click()
    page.get_by_text("Client secret regenerated").wait_for()
    # The policy set the expiry: the pending note is gone, the expiry is shown.
    page.get_by_role("group", name="Client Secret").get_by_text("Secret expires on").wait_for()
    assert not page.get_by_text("no expiry yet").count()
