"""A client policy over the realm's existing clients: which it selects, the dry run (writes
nothing), the job that applies it (resumable, one per realm), the Admin API and permissions."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from clients import secrets as secret_store
from clients.models import ClientSecret
from jobs import services as job_services
from jobs import tasks as job_tasks
from jobs.models import Job, JobResult
from policies.models import ClientPolicy
from realms.actor import Actor
from realms.models import AdminEvent
from realms.services import realm_create
from tests.api.conftest import api_as  # noqa: F401  (the Admin API fixtures)
from tests.expiry.conftest import at, run_worker
from tests.factories import (
    ANY_CLIENT,
    ENGINE_T0,
    ClientRoleFactory,
    client_make,
    client_secrets_make,
    policy_make,
    profile_make,
    rotation_policy_make,
)
from tests.permissions import TO_LOGIN, get, post

NOW = ENGINE_T0 + 1000
WEEK = 604800
NO_EXPIRY, EXPIRED, VALID, PUBLIC = 120, 15, 15, 10
ACTOR = Actor(source="console", username="admin", roles=frozenset({"manage-realm", "manage-clients"}))


@pytest.fixture
def realm(db):
    realm = realm_create(name="acme", access_token_lifespan=300)
    rotation_policy_make(realm, expiration=WEEK, rotated=3600, remaining=86400, name="rotation")
    # Public clients are refused at their update by a second policy.
    profile_make(realm, "confidential only", [("confidential-client", {})])
    policy_make(realm, "no public", ANY_CLIENT, ["confidential only"])
    for i in range(NO_EXPIRY):
        client_make(realm, f"plain-{i:03}")
    for i in range(EXPIRED):
        client_secrets_make(realm, f"expired-{i:03}", created=ENGINE_T0 - WEEK, expires=NOW - 10)
    for i in range(VALID):
        client_secrets_make(realm, f"valid-{i:03}", created=ENGINE_T0, expires=NOW + 3 * 86400)
    for i in range(PUBLIC):
        client_make(realm, f"public-{i:03}", public=True)
    return realm


def rotation(realm) -> ClientPolicy:
    return ClientPolicy.objects.get(realm=realm, name="rotation")


def row_counts() -> dict[str, int]:
    """Every table's row count: what the dry run must leave exactly as it was."""
    return {m._meta.db_table: m.objects.count() for m in apps.get_models() if m._meta.managed}


def secret_rows() -> list[tuple]:
    return list(ClientSecret.objects.order_by("client_id", "kind").values_list("client_id", "kind", "value_encrypted", "expiration_time"))


def test_matching_clients_are_the_confidential_ones_with_the_condition_that_voted(realm):
    from jobs.selectors import policy_matching_clients

    matches = policy_matching_clients(realm=realm, policy=rotation(realm), actor=ACTOR)
    assert len(matches) == NO_EXPIRY + EXPIRED + VALID
    assert not [m for m in matches if m.client_id.startswith("public-")]
    assert {m.reasons for m in matches} == {("client-access-type",)}
    assert [m.client_id for m in matches] == sorted(m.client_id for m in matches)
    assert len(policy_matching_clients(realm=realm, policy=rotation(realm), actor=ACTOR, search="EXPIRED-00")) == 10


def test_matching_clients_query_count_does_not_grow_per_client(realm):
    """Conditions that read the client's roles get them prefetched per chunk of clients."""
    from jobs.selectors import CHUNK, policy_matching_clients

    policy = policy_make(realm, "by role", [("client-roles", {"roles": ["admin"]})], [])
    for client in list(realm.clients.all()[:7]):
        ClientRoleFactory(client=client, name="admin")
    with CaptureQueriesContext(connection) as small:
        assert len(policy_matching_clients(realm=realm, policy=policy, actor=ACTOR)) == 7
    assert realm.clients.count() < CHUNK
    # policy conditions (1) + clients (1) + roles (1), whatever the number of clients
    assert len(small) == 3
    for i in range(60):
        client_make(realm, f"more-{i:03}")
    with CaptureQueriesContext(connection) as more:
        policy_matching_clients(realm=realm, policy=policy, actor=ACTOR)
    assert len(more) == len(small)


def test_dry_run_predicts_every_change_and_writes_nothing(realm):
    counts, secrets, events = row_counts(), secret_rows(), AdminEvent.objects.count()
    with at(NOW):
        preview = job_services.policy_apply_preview(realm=realm, policy=rotation(realm), actor=ACTOR)
    assert row_counts() == counts and secret_rows() == secrets and AdminEvent.objects.count() == events
    outcome = {o.client_id: o for o in preview}
    assert len(outcome) == NO_EXPIRY + EXPIRED + VALID
    assert outcome["plain-000"].outcome == "expiry-set"
    assert outcome["plain-000"].detail == "secret will expire on 2027-01-22 08:16:40 UTC"  # NOW + one week
    assert outcome["expired-000"].outcome == "rotated"
    assert outcome["expired-000"].detail == (
        "secret has expired: it will be rotated, the old one stays valid until 2027-01-15 09:16:40 UTC")
    assert (outcome["valid-000"].outcome, outcome["valid-000"].detail) == ("unchanged", "no change")

    # The preview's word is the truth: apply for real and compare with what changed.
    before = {c: s for c, *s in ClientSecret.objects.filter(kind="current").values_list("client__client_id", "value_encrypted", "expiration_time")}
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker()
    after = {c: s for c, *s in ClientSecret.objects.filter(kind="current").values_list("client__client_id", "value_encrypted", "expiration_time")}
    changed = {c for c in after if after[c] != before[c]}
    assert changed == {o.client_id for o in preview if o.outcome != "unchanged"}
    job.refresh_from_db()
    assert {r.client_id: r.outcome for r in job.results.all()} == {o.client_id: o.outcome for o in preview}


def test_dry_run_reports_refusals(realm):
    policy = ClientPolicy.objects.get(realm=realm, name="no public")
    with at(NOW):
        preview = job_services.policy_apply_preview(realm=realm, policy=policy, actor=ACTOR)
    refused = [o for o in preview if o.outcome == "refused"]
    assert sorted(o.client_id for o in refused) == [f"public-{i:03}" for i in range(PUBLIC)]
    assert refused[0].detail.startswith("refused: ")


def test_apply_sets_the_expiry_on_every_matching_client_with_one_admin_event_each(realm):
    assert not AdminEvent.objects.filter(operation_type="UPDATE").exists()
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker()
    job.refresh_from_db()
    matching = NO_EXPIRY + EXPIRED + VALID
    assert (job.status, job.total, job.done) == ("finished", matching, matching)
    assert job.outcomes == {"expiry-set": NO_EXPIRY, "rotated": EXPIRED, "unchanged": VALID, "refused": 0}
    confidential = ClientSecret.objects.filter(kind="current", client__public_client=False, client__realm=realm)
    assert not confidential.filter(expiration_time__isnull=True).exists()
    # (the worker's expiry sweep records its own warnings: only the updates count here)
    new = list(AdminEvent.objects.filter(operation_type="UPDATE").order_by("id"))
    assert len(new) == matching
    assert {e.operation_type for e in new} == {"UPDATE"} and {e.auth_username for e in new} == {"admin"}
    assert len({e.resource_path for e in new}) == matching


def test_a_restarted_worker_resumes_without_applying_twice(realm):
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker(max_tasks=1)
        job.refresh_from_db()
        assert (job.status, job.done) == ("running", job_services.CHUNK)
        first = set(job.results.values_list("client_pk", flat=True))
        # Two workers on one client: the second finds its result row and leaves it alone.
        events = AdminEvent.objects.count()
        job_services._client_apply(job.pk, sorted(first)[0], ACTOR)
        assert AdminEvent.objects.count() == events
        # A worker that died midway: its successor is already waiting (and one more is harmless).
        job_tasks.policy_apply_chunk.enqueue(job.pk)
        run_worker()
    job.refresh_from_db()
    assert job.status == "finished" and job.done == job.total == JobResult.objects.filter(job=job).count()
    assert first < set(job.results.values_list("client_pk", flat=True))
    paths = list(AdminEvent.objects.filter(operation_type="UPDATE").values_list("resource_path", flat=True))
    assert len(paths) == len(set(paths)) == job.total


def test_a_database_busy_for_a_moment_does_not_end_the_job(realm, monkeypatch):
    """A chunk that meets a locked or busy database is queued again, and the job finishes with
    every client done once; a database that stays busy fails the job after a few attempts."""
    real = job_services._client_apply
    failures = {"left": 2}

    def flaky(job_pk, client_pk, actor):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("database table is locked: jobs_jobresult")
        return real(job_pk, client_pk, actor)

    monkeypatch.setattr(job_services, "_client_apply", flaky)
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker()
    job.refresh_from_db()
    assert failures["left"] == 0
    assert job.status == "finished" and job.done == job.total == JobResult.objects.filter(job=job).count()

    def always_busy(job_pk, client_pk, actor):
        raise OperationalError("database is locked")

    monkeypatch.setattr(job_services, "_client_apply", always_busy)
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and "database is locked" in job.error


def test_two_jobs_for_one_realm_never_run_at_once(realm):
    job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
    with pytest.raises(job_services.JobAlreadyRunning) as refused:
        job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
    assert refused.value.job is not None
    assert Job.objects.filter(realm=realm).count() == 1


# --- Admin API --------------------------------------------------------------------------------


@pytest.fixture
def acme(realm, master):
    return realm


def test_api_matching_clients_preview_apply_and_job(acme, api_as):  # noqa: F811
    base = "/admin/realms/acme/client-policies/policies/rotation"
    with at(NOW):  # the tokens are issued at the test's instant
        api, viewer = api_as("manage-realm"), api_as("view-realm")
        listed = api.get(f"{base}/clients", {"first": 0, "max": 5})
        assert listed.status_code == 200
        assert [c["clientId"] for c in listed.json()] == [f"expired-{i:03}" for i in range(5)]
        assert set(listed.json()[0]) == {"id", "clientId"}
        assert api.get("/admin/realms/acme/client-policies/policies/nope/clients").status_code == 404

        counts = row_counts()
        preview = api.post(f"{base}/apply?dryRun=true")
        assert preview.status_code == 200 and row_counts() == counts
        body = preview.json()
        assert len(body) == NO_EXPIRY + EXPIRED + VALID
        assert set(body[0]) == {"id", "clientId", "outcome", "detail"}

        assert viewer.post(f"{base}/apply?dryRun=true").status_code == 200
        assert viewer.post(f"{base}/apply").status_code == 403

        started = api.post(f"{base}/apply")
        assert started.status_code == 202
        job_id = started.json()["id"]
        again = api.post(f"{base}/apply")
        assert again.status_code == 409 and "already running" in again.json()["errorMessage"]
        run_worker()
        state = viewer.get(f"/admin/realms/acme/jobs/{job_id}").json()
        assert state == {
            "id": job_id, "status": "finished", "total": 150, "done": 150,
            "outcomes": {"expiry-set": NO_EXPIRY, "rotated": EXPIRED, "unchanged": VALID, "refused": 0},
        }
        assert api.get("/admin/realms/acme/jobs/999999").status_code == 404
        assert api.get("/admin/realms/acme/jobs/x").status_code == 404


# --- the console ------------------------------------------------------------------------------


def test_console_matching_section_preview_and_job_page(acme, console_client):
    with at(NOW):  # signed in at the test's instant
        manager = console_client(["manage-realm"])
        policy = rotation(acme)
        page = f"/console/acme/realm-settings/client-policies/policies/{policy.pk}/"
        assert "Matching clients" in manager.get(page).content.decode()
        section = manager.get(page + "matching-clients", HTTP_HX_REQUEST="true").content.decode()
        assert "150 matching clients" in section and "expired-000" in section and "public-000" not in section
        second = manager.get(page + "matching-clients?first=20", HTTP_HX_REQUEST="true").content.decode()
        assert "21 - 40 of 150" in second
        found = manager.get(page + "matching-clients?search=valid-01", HTTP_HX_REQUEST="true").content.decode()
        assert "5 matching clients" in found

        counts = row_counts()
        preview = manager.get(page + "apply").content.decode()
        assert row_counts() == counts
        assert "secret will expire on" in preview and "expiry-set: 120" in preview

        started = manager.post(page + "apply")
        assert started.status_code == 302
        job = Job.objects.get()
        assert started["Location"] == f"/console/acme/realm-settings/client-policies/jobs/{job.pk}/"
        assert manager.post(page + "apply").status_code == 409
        polling = manager.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()
        assert 'hx-trigger="every 1s"' in polling and "queued" in polling
        run_worker()
        done = manager.get(started["Location"], HTTP_HX_REQUEST="true").content.decode()
        assert "every 1s" not in done and "finished" in done and "150 / 150" in done


def test_condition_changes_change_the_matching_clients(acme, console_client):
    manager = console_client(["manage-realm"])
    policy = rotation(acme)
    url = f"/console/acme/realm-settings/client-policies/policies/{policy.pk}/matching-clients"
    policy.conditions.all().delete()
    assert "No client matches" in manager.get(url).content.decode()
    policy.conditions.create(provider_id="client-access-type", configuration={"type": ["public"]}, position=0)
    assert "10 matching clients" in manager.get(url).content.decode()


def test_permissions(acme, permission_matrix):
    policy = rotation(acme)
    base = f"/console/acme/realm-settings/client-policies/policies/{policy.pk}/"
    permission_matrix(
        [get(base + "matching-clients"), get(base + "apply"), post(base + "apply")],
        anonymous=TO_LOGIN, viewer=[200, 200, 403],
    )
    assert not Job.objects.exists()


def test_refused_secret_value_never_in_results(realm):
    """Results and details are words and times, never a secret."""
    with at(NOW):
        job = job_tasks.policy_apply_start(realm=realm, policy=rotation(realm), actor=ACTOR)
        run_worker()
    values = {secret_store.secret_value(s) for s in ClientSecret.objects.all()}
    assert not [r for r in JobResult.objects.filter(job=job) if any(v in r.detail for v in values)]


def test_matching_clients_page_queries_grow_per_chunk_not_per_client(acme, console_client, monkeypatch):
    """Through HTTP: the section's queries are a constant plus one roles query per chunk read."""
    from jobs import selectors as job_selectors

    monkeypatch.setattr(job_selectors, "CHUNK", 40)
    manager = console_client(["view-realm"])
    policy = policy_make(acme, "by role", [("client-roles", {"roles": ["admin"]})], [])
    url = f"/console/acme/realm-settings/client-policies/policies/{policy.pk}/matching-clients"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(captured)

    clients = acme.clients.count()  # 160: 4 chunks of 40
    at_160 = queries()
    for i in range(40):
        client_make(acme, f"zz-{i:03}")
    assert queries() == at_160 + 1  # 200 clients: one chunk (of 40 clients) more, one query more
    assert clients == 160
