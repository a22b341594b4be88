"""Every condition on every event (docs/keycloak.md §4.1–§4.5), with negative logic.

REGISTER judges the proposed representation (there is no client yet); every later event the
stored client.
"""

from __future__ import annotations

import json

import pytest

from clients.models import Client
from policies import engine
from policies.engine import Event, PolicyContext
from policies.providers import CONDITIONS
from realms.actor import Actor
from tests.factories import ClientRoleFactory, client_make

ALL = list(Event)
REQUESTS = [
    Event.AUTHORIZATION_REQUEST,
    Event.TOKEN_REQUEST,
    Event.SERVICE_ACCOUNT_TOKEN_REQUEST,
    Event.TOKEN_REFRESH,
    Event.TOKEN_INTROSPECT,
]
CONSOLE = Actor(source="console", username="admin")
SWAP = {"YES": "NO", "NO": "YES", "ABSTAIN": "ABSTAIN"}


def vote(provider_id, configuration, event, **context):
    condition = CONDITIONS[provider_id](configuration)
    return condition.vote(PolicyContext(event=event, realm=None, **context))


def test_the_events_each_condition_declares():
    assert CONDITIONS["client-access-type"].events == {"REGISTER", "REGISTERED", "UPDATE", "UPDATED", *REQUESTS}
    assert CONDITIONS["client-roles"].events == set(ALL) - {"REGISTER"}
    assert CONDITIONS["client-attributes"].events == set(ALL) - {"REGISTER"}
    assert CONDITIONS["any-client"].events == set(ALL)
    assert CONDITIONS["client-updater-context"].events == {"REGISTER", "UPDATE", "REGISTERED", "UPDATED"}


# --- client-access-type --------------------------------------------------------------------------

ACCESS_EXPECTED = {
    # A confidential stored client; a proposed representation that says public.
    Event.REGISTER: "NO",  # the representation decides
    Event.REGISTERED: "YES",
    Event.UPDATE: "YES",
    Event.UPDATED: "YES",
    Event.VIEW: "ABSTAIN",
    Event.UNREGISTER: "ABSTAIN",
    **{event: "YES" for event in REQUESTS},
}


@pytest.mark.django_db
@pytest.mark.parametrize("event", ALL)
def test_client_access_type_judges_the_representation_on_register_then_the_client(master, event):
    client = client_make(master)
    got = vote("client-access-type", {"type": ["confidential"]}, event, client=client, representation={"publicClient": True})
    assert got == ACCESS_EXPECTED[event]


@pytest.mark.parametrize(
    ("representation", "expected"),
    [
        ({}, "confidential"),  # missing flags count as false
        ({"publicClient": False, "bearerOnly": False}, "confidential"),
        ({"publicClient": True}, "public"),
        ({"bearerOnly": True}, "bearer-only"),
        ({"publicClient": True, "bearerOnly": True}, "public"),  # public wins
        ({"publicClient": "true"}, "public"),
    ],
)
def test_client_access_type_derivation_from_a_representation(representation, expected):
    for access in ("confidential", "public", "bearer-only"):
        got = vote("client-access-type", {"type": [access]}, Event.REGISTER, representation=representation)
        assert got == ("YES" if access == expected else "NO")


@pytest.mark.django_db
def test_client_access_type_derivation_from_a_stored_client(master):
    public = client_make(master, "spa", public=True)
    bearer = client_make(master, "api", bearer_only=True)
    both = client_make(master, "both", public=True, bearer_only=True)
    assert vote("client-access-type", {"type": ["public"]}, Event.UPDATED, client=public) == "YES"
    assert vote("client-access-type", {"type": ["bearer-only"]}, Event.UPDATED, client=bearer) == "YES"
    assert vote("client-access-type", {"type": ["confidential"]}, Event.UPDATED, client=bearer) == "NO"
    assert vote("client-access-type", {"type": ["public"]}, Event.TOKEN_REQUEST, client=both) == "YES"
    assert vote("client-access-type", {"type": ["public", "confidential"]}, Event.TOKEN_REQUEST, client=public) == "YES"


def test_client_access_type_without_a_client_or_type_says_no():
    assert vote("client-access-type", {"type": ["confidential"]}, Event.REGISTER, representation=None) == "NO"
    assert vote("client-access-type", {"type": ["confidential"]}, Event.TOKEN_REQUEST, client=None) == "NO"
    assert vote("client-access-type", {}, Event.REGISTER, representation={}) == "NO"
    assert vote("client-access-type", {"type": []}, Event.REGISTER, representation={}) == "NO"


# --- client-roles ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("event", ALL)
def test_client_roles_on_every_event_but_register(master, event):
    client = client_make(master)
    ClientRoleFactory(client=client, name="rotate-weekly")
    other = client_make(master, "other")
    ClientRoleFactory(client=other, name="Rotate-Weekly")  # names are case-sensitive
    expected_with = "ABSTAIN" if event == Event.REGISTER else "YES"
    expected_without = "ABSTAIN" if event == Event.REGISTER else "NO"
    assert vote("client-roles", {"roles": ["rotate-weekly", "x"]}, event, client=client) == expected_with
    assert vote("client-roles", {"roles": ["rotate-weekly"]}, event, client=other) == expected_without


@pytest.mark.django_db
def test_client_roles_uses_prefetched_roles_and_needs_a_list(master, django_assert_num_queries):
    client_make(master)
    ClientRoleFactory(client=Client.objects.get(client_id="app"), name="weekly")
    client = Client.objects.prefetch_related("roles").get(client_id="app")
    with django_assert_num_queries(0):
        assert vote("client-roles", {"roles": ["weekly"]}, Event.TOKEN_REQUEST, client=client) == "YES"
    assert vote("client-roles", {}, Event.TOKEN_REQUEST, client=client) == "NO"
    assert vote("client-roles", {"roles": ["weekly"]}, Event.TOKEN_REQUEST, client=None) == "NO"


# --- any-client ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", ALL)
def test_any_client_says_yes_on_every_event(event):
    assert vote("any-client", {}, event) == "YES"
    negated = CONDITIONS["any-client"]({"is-negative-logic": True})
    assert engine._vote(negated, PolicyContext(event=event, realm=None)) == "NO"


# --- client-updater-context ---------------------------------------------------------------------

DCR_RAT = Actor(source="dynamic-registration", token_kind="registration-access-token")
DCR_IAT = Actor(source="dynamic-registration", token_kind="initial-access-token")
DCR_ANON = Actor(source="dynamic-registration")


@pytest.mark.parametrize("event", ALL)
def test_client_updater_context_on_create_and_update_events_only(event):
    handled = event in (Event.REGISTER, Event.UPDATE, Event.REGISTERED, Event.UPDATED)
    config = {"update-client-source": ["ByAuthenticatedUser"]}
    assert vote("client-updater-context", config, event, actor=CONSOLE) == ("YES" if handled else "ABSTAIN")
    assert vote("client-updater-context", config, event, actor=DCR_ANON) == ("NO" if handled else "ABSTAIN")


@pytest.mark.parametrize(
    ("actor", "source"),
    [(CONSOLE, "ByAuthenticatedUser"), (DCR_RAT, "ByRegistrationAccessToken"), (DCR_IAT, "ByInitialAccessToken"), (DCR_ANON, "ByAnonymous")],
)
def test_client_updater_context_matches_the_listed_sources(actor, source):
    sources = ["ByAuthenticatedUser", "ByAnonymous", "ByInitialAccessToken", "ByRegistrationAccessToken"]
    for listed in sources:
        got = vote("client-updater-context", {"update-client-source": [listed]}, Event.UPDATED, actor=actor)
        assert got == ("YES" if listed == source else "NO")
    assert vote("client-updater-context", {}, Event.UPDATED, actor=actor) == "NO"


# --- client-attributes -----------------------------------------------------------------------------


def attrs(*pairs) -> str:
    return json.dumps([{"key": k, "value": v} for k, v in pairs])


@pytest.mark.django_db
@pytest.mark.parametrize("event", ALL)
def test_client_attributes_on_every_event_but_register(master, event):
    client = client_make(master, attributes={"rotation": "weekly", "tier": "gold"})
    expected = "ABSTAIN" if event == Event.REGISTER else "YES"
    assert vote("client-attributes", {"attributes": attrs(("rotation", "weekly"), ("tier", "gold"))}, event, client=client) == expected
    expected = "ABSTAIN" if event == Event.REGISTER else "NO"
    assert vote("client-attributes", {"attributes": attrs(("rotation", "daily"))}, event, client=client) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "configuration",
    [
        {},  # attributes missing
        {"attributes": "[]"},
        {"attributes": attrs(("rotation", "weekly"), ("missing", "x"))},  # all must match
        {"attributes": attrs(("rotation", ""))},  # an empty value
        {"attributes": json.dumps([{"key": None, "value": "weekly"}])},  # a null key
        {"attributes": attrs(("rotation", "weekly"), ("rotation", "weekly"))},  # a key listed twice
        {"attributes": attrs(("Rotation", "weekly"))},
    ],
)
def test_client_attributes_says_no(master, configuration):
    client = client_make(master, attributes={"rotation": "weekly"})
    assert vote("client-attributes", configuration, Event.UPDATED, client=client) == "NO"


def test_client_attributes_without_a_client_says_no():
    assert vote("client-attributes", {"attributes": attrs(("a", "b"))}, Event.TOKEN_REQUEST, client=None) == "NO"


def test_client_attributes_accepts_a_list_as_well_as_keycloaks_string():
    class Stub:
        attributes = {"a": "b"}

    assert vote("client-attributes", {"attributes": [{"key": "a", "value": "b"}]}, Event.UPDATED, client=Stub()) == "YES"


# --- negative logic on every condition, every event ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("event", ALL)
@pytest.mark.parametrize(
    ("provider_id", "configuration"),
    [
        ("client-access-type", {"type": ["confidential"]}),
        ("client-roles", {"roles": ["weekly"]}),
        ("any-client", {}),
        ("client-updater-context", {"update-client-source": ["ByAuthenticatedUser"]}),
        ("client-attributes", {"attributes": attrs(("rotation", "weekly"))}),
    ],
)
def test_negative_logic_swaps_yes_and_no_and_keeps_abstain(master, provider_id, configuration, event):
    client = client_make(master, attributes={"rotation": "weekly"})
    ClientRoleFactory(client=client, name="weekly")
    context = PolicyContext(event=event, realm=master, client=client, representation={}, actor=CONSOLE)
    plain = CONDITIONS[provider_id](configuration)
    negated = CONDITIONS[provider_id]({**configuration, "is-negative-logic": True})
    assert engine._vote(plain, context) in ("YES", "ABSTAIN")
    assert engine._vote(negated, context) == SWAP[engine._vote(plain, context)]
