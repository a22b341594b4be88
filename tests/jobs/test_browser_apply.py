"""In Chromium: a policy's Matching clients, `Apply to existing clients`, the preview, the
confirmation and the progress bar that follows the job (htmx polling) until it has finished."""

from __future__ import annotations

import pytest

from jobs.models import Job
from policies.models import ClientPolicy
from tests.expiry.conftest import run_worker
from tests.factories import client_make, rotation_policy_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENTS = 70  # more than one chunk of the job


def test_apply_a_policy_to_existing_clients_from_preview_to_finished(console_page, master):
    rotation_policy_make(master, expiration=604800, rotated=3600, remaining=86400, name="weekly")
    for i in range(CLIENTS):
        client_make(master, f"svc-{i:03}")
    client_make(master, "web", public=True)
    policy = ClientPolicy.objects.get(realm=master, name="weekly")

    page = console_page
    page.goto(f"/console/master/realm-settings/client-policies/policies/{policy.pk}/")
    section = page.locator("#matching-clients")
    section.get_by_text(f"{CLIENTS} matching clients").wait_for()
    assert section.get_by_role("cell", name="client-access-type").first.is_visible()
    section.get_by_label("Search client").fill("svc-06")
    section.get_by_role("button", name="Search").click()
    page.locator("#matching-clients").get_by_text("10 matching clients").wait_for()

    page.get_by_role("link", name="Apply to existing clients").click()
    page.wait_for_url("**/apply")
    page.get_by_text(f"expiry-set: {CLIENTS}").wait_for()
    assert page.get_by_role("cell", name="web", exact=True).count() == 0
    assert not Job.objects.exists()
    page.get_by_role("button", name="Apply", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Apply").click()
    page.wait_for_url("**/client-policies/jobs/*/")
    page.locator("#job-status").get_by_text("queued").wait_for()

    run_worker()  # the background worker, in this process, while the page polls

    page.locator("#job-status").get_by_text("finished").wait_for()
    assert page.locator("#job-done").inner_text() == f"{CLIENTS} / {CLIENTS}"
    assert page.locator("#job-bar").get_attribute("value") == str(CLIENTS)
    page.get_by_text(f"expiry-set: {CLIENTS}").wait_for()
    assert page.locator("#job-results tbody tr").count() == CLIENTS
