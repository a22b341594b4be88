"""A client profile's reach over the existing clients: the clients an update would give it now,
through which enabled policies (and which of their conditions said yes); its Matching clients
section, the Admin API, query counts and permissions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs import selectors as job_selectors
from policies.engine import client_policies_trigger
from policies.models import ClientProfile
from policies.providers.base import Event
from realms.actor import Actor
from realms.services import realm_create
from tests.api.conftest import api_as  # noqa: F401  (the Admin API fixtures)
from tests.factories import ANY_CLIENT, ClientRoleFactory, client_make, policy_make, profile_make
from tests.permissions import TO_LOGIN, get

ACTOR = Actor(source="console", username="admin", roles=frozenset({"manage-realm", "manage-clients"}))
CONFIDENTIAL = [("client-access-type", {"type": ["confidential"]})]
ADMINS = [("client-roles", {"roles": ["admin"]})]


@pytest.fixture
def acme(db):
    realm = realm_create(name="acme", access_token_lifespan=300)
    # Profiles without executors: an update then runs the policies and changes nothing, so the
    # engine's own answer (which policies applied) can be read for every client.
    profile_make(realm, "shared", [])
    profile_make(realm, "other", [])
    policy_make(realm, "confidential", CONFIDENTIAL, ["shared"])
    policy_make(realm, "admins", ADMINS, ["other", "shared"])
    policy_make(realm, "switched off", ANY_CLIENT, ["shared"], enabled=False)
    policy_make(realm, "elsewhere", ANY_CLIENT, ["other"])
    policy_make(realm, "no conditions", [], ["shared"])
    for i in range(6):
        client_make(realm, f"conf-{i:03}")
    for i in range(3):
        client_make(realm, f"pub-{i:03}", public=True)
    for i in range(2):
        ClientRoleFactory(client=client_make(realm, f"pub-admin-{i:03}", public=True), name="admin")
    ClientRoleFactory(client=client_make(realm, "conf-admin"), name="admin")
    return realm


def shared(realm) -> ClientProfile:
    return ClientProfile.objects.get(realm=realm, name="shared")


def test_the_clients_an_update_would_give_the_profile_with_their_policies(acme):
    matches = job_selectors.profile_matching_clients(realm=acme, profile=shared(acme), actor=ACTOR)
    by_client = {m.client_id: m.policies for m in matches}
    assert [m.client_id for m in matches] == sorted(by_client)
    assert by_client == {
        **{f"conf-{i:03}": (("confidential", ("client-access-type",)),) for i in range(6)},
        "conf-admin": (("confidential", ("client-access-type",)), ("admins", ("client-roles",))),
        **{f"pub-admin-{i:03}": (("admins", ("client-roles",)),) for i in range(2)},
    }
    # Exactly the clients whose update runs a policy naming the profile, as the engine decides.
    naming = {"confidential", "admins"}
    expected = set()
    for client in acme.clients.select_related("realm"):
        applied = client_policies_trigger(Event.UPDATE, client=client, representation={}, actor=ACTOR).applied_policies
        if naming & set(applied):
            expected.add(client.client_id)
    assert set(by_client) == expected
    assert [m.client_id for m in job_selectors.profile_matching_clients(
        realm=acme, profile=shared(acme), actor=ACTOR, search="ADMIN")] == ["conf-admin", "pub-admin-000", "pub-admin-001"]


def test_a_profile_no_enabled_policy_names_reaches_no_client(acme):
    lonely = profile_make(acme, "lonely", [])
    policy_make(acme, "off", ANY_CLIENT, ["lonely"], enabled=False)
    assert job_selectors.profile_matching_clients(realm=acme, profile=lonely, actor=ACTOR) == []


def test_queries_grow_neither_per_policy_nor_per_client(acme):
    profile = shared(acme)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            job_selectors.profile_matching_clients(realm=acme, profile=profile, actor=ACTOR)
        return len(captured)

    assert acme.clients.count() < job_selectors.CHUNK
    # the enabled policies (4: policies, conditions, profile names, executors) + clients + roles
    assert queries() == 6
    for i in range(5):
        policy_make(acme, f"more admins {i}", ADMINS, ["shared"])
    for i in range(40):
        client_make(acme, f"more-{i:03}")
    assert queries() == 6


def test_console_section_search_pages_and_permissions(acme, console_client, permission_matrix):
    viewer = console_client(["view-realm"])
    profile = shared(acme)
    page = f"/console/acme/realm-settings/client-policies/profiles/{profile.pk}/"
    full = viewer.get(page).content.decode()
    assert "Matching clients" in full and f'hx-get="{page}matching-clients"' in full
    section = viewer.get(page + "matching-clients", HTTP_HX_REQUEST="true").content.decode()
    assert section.lstrip().startswith('<section id="matching-clients"')
    assert "9 matching clients" in section and "Through policies" in section
    assert "confidential <span class=\"text-secondary\">(client-access-type)</span>" in section
    assert "pub-000" not in section and "switched off" not in section and "elsewhere" not in section
    found = viewer.get(page + "matching-clients?search=pub", HTTP_HX_REQUEST="true").content.decode()
    assert "2 matching clients" in found and "admins" in found
    for i in range(20):
        client_make(acme, f"zz-{i:03}")
    second = viewer.get(page + "matching-clients?first=20").content.decode()  # a plain page, no JavaScript
    assert "21 - 29 of 29" in second and "Previous" in second and "<h1" in second
    assert "No search results" in viewer.get(page + "matching-clients?search=nothing-like-it").content.decode()
    assert viewer.get("/console/acme/realm-settings/client-policies/profiles/999999/matching-clients").status_code == 404
    permission_matrix([get(page + "matching-clients")], anonymous=TO_LOGIN, viewer=200)


def test_api_lists_the_clients_with_their_policies(acme, api_as):  # noqa: F811
    base = "/admin/realms/acme/client-policies/profiles"
    viewer = api_as("view-realm")
    listed = viewer.get(f"{base}/shared/clients", {"search": "admin", "first": 0, "max": 2})
    assert listed.status_code == 200
    assert listed.json() == [
        {"id": str(acme.clients.get(client_id="conf-admin").pk), "clientId": "conf-admin", "policies": ["confidential", "admins"]},
        {"id": str(acme.clients.get(client_id="pub-admin-000").pk), "clientId": "pub-admin-000", "policies": ["admins"]},
    ]
    assert len(viewer.get(f"{base}/shared/clients").json()) == 9
    missing = viewer.get(f"{base}/nope/clients")
    assert missing.status_code == 404 and missing.json()["error"] == "Could not find client profile"
    assert api_as("view-clients").get(f"{base}/shared/clients").status_code == 403
