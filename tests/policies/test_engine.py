"""The policy engine: which policies apply, in which order, and what they cost to load.

docs/keycloak.md §4.0: enabled policies only; YES/NO/ABSTAIN with negative logic; a policy
applies on at least one YES and no NO (no conditions: never); the applying policies' profiles run
their executors in order; a refusal aborts. Profiles, policies and clients come from
tests/factories.py.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients import secrets as store
from clients.models import ClientSecret
from policies import engine
from policies.engine import (
    ClientPolicyError,
    Event,
    LoadedPolicy,
    PolicyContext,
    client_policies_trigger,
    policies_for,
    policies_load,
    policies_request_scope,
    policy_applies,
)
from policies.middleware import PolicyScopeMiddleware
from policies.models import (
    ClientPolicy,
)
from policies.providers import CONDITIONS
from realms.actor import Actor
from tests.factories import (
    CONFIDENTIAL,
    ENGINE_T0,
    ClientProfileExecutorFactory,
    client_make,
    policy_make,
    profile_make,
    rotation_config,
    rotation_policy_make,
)

T0 = ENGINE_T0
CONSOLE = Actor(source="console", username="admin", user_id="1", auth_realm="master")


def current_row(client) -> ClientSecret | None:
    return store.secret_get(client, ClientSecret.CURRENT)


# --- evaluation --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_policy_means_nothing_runs(master):
    client = client_make(master)
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert result.rotation_enabled is False
    assert result.applied_policies == ()
    assert current_row(client).expiration_time is None


@pytest.mark.django_db
def test_an_applying_policy_runs_its_profile(master):
    client = client_make(master)
    rotation_policy_make(master)
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert result.rotation_enabled is True
    assert result.applied_policies == ("rotation",)
    assert current_row(client).expiration_time == T0 + 3600


@pytest.mark.django_db
def test_realm_is_taken_from_the_client_when_omitted(master):
    client = client_make(master)
    rotation_policy_make(master)
    assert client_policies_trigger(Event.TOKEN_REQUEST, client=client, now=T0).rotation_enabled


@pytest.mark.django_db
def test_a_policy_without_conditions_never_applies(master):
    client = client_make(master)
    profile_make(master, "p", [("secret-rotation", {})])
    policy_make(master, "no-conditions", [], ["p"])
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert result.applied_policies == ()
    assert result.rotation_enabled is False


@pytest.mark.django_db
def test_disabled_policies_are_ignored(master):
    client = client_make(master)
    profile_make(master, "p", [("secret-rotation", {})])
    policy_make(master, "off", [("any-client", {})], ["p"], enabled=False)
    assert client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client).applied_policies == ()


@pytest.mark.django_db
def test_one_no_vetoes_the_yes_votes(master):
    client = client_make(master)
    profile_make(master, "p", [("secret-rotation", {})])
    policy_make(master, "veto", [("any-client", {}), ("client-access-type", {"type": ["public"]})], ["p"])
    assert client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client).applied_policies == ()


@pytest.mark.django_db
def test_abstentions_are_ignored_but_cannot_apply_a_policy_alone(master):
    client = client_make(master)
    profile_make(master, "p", [("secret-rotation", {})])
    # client-updater-context abstains on token requests.
    policy_make(master, "only-abstains", [("client-updater-context", {"update-client-source": ["ByAuthenticatedUser"]})], ["p"])
    policy_make(
        master,
        "abstain-and-yes",
        [("client-updater-context", {"update-client-source": ["ByAnonymous"]}), ("any-client", {})],
        ["p"],
    )
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client)
    assert result.applied_policies == ("abstain-and-yes",)


@pytest.mark.django_db
def test_negative_logic_swaps_yes_and_no(master):
    client = client_make(master)
    profile_make(master, "p", [("secret-rotation", {})])
    policy_make(master, "not-public", [("client-access-type", {"type": ["public"], "is-negative-logic": True})], ["p"])
    policy_make(master, "not-any", [("any-client", {"is-negative-logic": "true"})], ["p"])
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client)
    assert result.applied_policies == ("not-public",)


def test_negative_logic_leaves_abstain_alone():
    updater = CONDITIONS["client-updater-context"]({"update-client-source": ["ByAnonymous"], "is-negative-logic": True})
    context = PolicyContext(event=Event.TOKEN_REQUEST, realm=None)
    assert engine._vote(updater, context) == engine.ABSTAIN
    policy = LoadedPolicy(name="x", conditions=(updater,), profile_names=())
    assert policy_applies(policy, context) is False
    register = PolicyContext(event=Event.REGISTER, realm=None, actor=CONSOLE)
    assert engine._vote(updater, register) == engine.YES  # ByAuthenticatedUser is not ByAnonymous: NO, swapped


@pytest.mark.django_db
def test_policies_apply_in_stored_order_and_missing_profiles_are_skipped(master):
    client = client_make(master)
    profile_make(master, "first", [("secret-rotation", rotation_config(100, 10, 10))])
    profile_make(master, "second", [("secret-rotation", rotation_config(200, 10, 10))])
    policy_make(master, "b", CONFIDENTIAL, ["no-such-profile", "first"])
    policy_make(master, "a", CONFIDENTIAL, ["second"])
    ClientPolicy.objects.filter(name="b").update(position=0)
    ClientPolicy.objects.filter(name="a").update(position=1)
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert result.applied_policies == ("b", "a")
    # First use: the first executor to run sets the expiration; the later one sees it and stops.
    assert current_row(client).expiration_time == T0 + 100


@pytest.mark.django_db
def test_a_refusal_aborts_the_remaining_executors(master):
    profile_make(master, "strict", [("confidential-client", {}), ("secure-client-authenticator", {"default-client-authenticator": "client-jwt", "allowed-client-authenticators": ["client-jwt"]})])
    policy_make(master, "p", [("any-client", {})], ["strict"])
    representation = {"clientId": "spa", "publicClient": True}
    with pytest.raises(ClientPolicyError) as refused:
        client_policies_trigger(Event.REGISTER, realm=master, representation=representation, actor=CONSOLE)
    assert refused.value.as_dict() == {
        "error": "invalid_client_metadata",
        "error_description": "Invalid client metadata: invalid client access type",
    }
    assert "clientAuthenticatorType" not in representation  # the second executor never ran


@pytest.mark.django_db
def test_an_executor_runs_only_on_the_events_it_handles(master):
    client = client_make(master)
    rotation_policy_make(master, conditions=[("any-client", {})])
    for event in (Event.SERVICE_ACCOUNT_TOKEN_REQUEST, Event.TOKEN_REFRESH, Event.TOKEN_INTROSPECT, Event.VIEW, Event.UPDATE):
        result = client_policies_trigger(event, realm=master, client=client, now=T0)
        assert result.applied_policies == ("rotation",), event
        assert result.rotation_enabled is False, event
    assert current_row(client).expiration_time is None


@pytest.mark.django_db
def test_a_stored_unknown_provider_is_skipped_not_a_crash(master):
    client = client_make(master)
    profile = profile_make(master, "p", [("no-such-executor", {}), ("secret-rotation", {})])
    ClientProfileExecutorFactory(profile=profile, position=5, provider_id="secret-rotation", configuration={"expiration-period": "oops"})
    policy_make(master, "p", [("no-such-condition", {}), ("any-client", {})], ["p"])
    result = client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert result.rotation_enabled is True
    assert current_row(client).expiration_time == T0 + 2505600  # the valid executor, with defaults


# --- loading once per request --------------------------------------------------------------------


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_loading_costs_a_fixed_number_of_queries(master):
    assert _queries(lambda: policies_load(master)) == 1  # nothing enabled: one query
    for i in range(3):
        rotation_policy_make(master, name=f"r{i}")
    assert _queries(lambda: policies_load(master)) == 4
    for i in range(3, 10):
        rotation_policy_make(master, name=f"r{i}")
    with CaptureQueriesContext(connection) as built:
        loaded = policies_load(master)
    assert len(built.captured_queries) == 4  # the version moved: the version, then the rows
    assert _queries(lambda: policies_load(master)) == 1  # the same version: the set this worker built
    assert len(loaded.policies) == 10 and len(loaded.profiles) == 10


@pytest.mark.django_db
def test_policies_are_loaded_once_per_request_scope(master):
    clients = [client_make(master, f"c{i}") for i in range(5)]
    rotation_policy_make(master)
    rotation_policy_make(master, name="other")

    def trigger_all():
        for client in clients:
            client_policies_trigger(Event.VIEW, realm=master, client=client)

    unscoped = _queries(trigger_all)
    with policies_request_scope():
        scoped = _queries(trigger_all)
    assert unscoped == 4 + 4 * 1  # built once, then the version read by each trigger
    assert scoped == 1  # one load (the version read) for five clients


@pytest.mark.django_db
def test_passing_the_loaded_set_reuses_it(master):
    client = client_make(master)
    rotation_policy_make(master)
    loaded = policies_load(master)
    assert _queries(lambda: client_policies_trigger(Event.VIEW, realm=master, client=client, policies=loaded)) == 0


@pytest.mark.django_db
def test_changing_a_policy_drops_the_request_cache(master):
    client = client_make(master)
    policy = rotation_policy_make(master)
    with policies_request_scope():
        assert client_policies_trigger(Event.UPDATE, realm=master, client=client).applied_policies == ("rotation",)
        policy.enabled = False
        policy.save()
        assert client_policies_trigger(Event.UPDATE, realm=master, client=client).applied_policies == ()


@pytest.mark.django_db
def test_the_middleware_opens_one_scope_per_request(master):
    rotation_policy_make(master)
    counts = []

    def view(request):
        counts.append(_queries(lambda: (policies_for(master), policies_for(master))))
        return "response"

    middleware = PolicyScopeMiddleware(view)
    assert middleware(object()) == "response"
    assert middleware(object()) == "response"
    assert counts == [4, 1]  # loaded once in each request, not shared: the second reads the version only
    assert engine._scope.get() is None


# --- the source of a change ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "source"),
    [
        (Actor(source="console", username="admin"), "ByAuthenticatedUser"),
        (Actor(source="admin-api", client_id="admin-cli", username="admin"), "ByAuthenticatedUser"),
        (Actor(source="dynamic-registration", token_kind="initial-access-token"), "ByInitialAccessToken"),
        (Actor(source="dynamic-registration", token_kind="registration-access-token"), "ByRegistrationAccessToken"),
        (Actor(source="dynamic-registration", token_kind="bearer", username="admin"), "ByAuthenticatedUser"),
        (Actor(source="dynamic-registration", token_kind="bearer", client_id="svc"), "ByAuthenticatedUser"),
        (Actor(source="dynamic-registration", token_kind="bearer"), "ByAnonymous"),
        (Actor(source="dynamic-registration"), "ByAnonymous"),
        (None, "ByAnonymous"),
    ],
)
def test_updater_source_from_the_actor(actor, source):
    from policies.providers.conditions import updater_source

    assert updater_source(actor) == source


def test_the_dcr_update_context_is_updated_from_dynamic_registration():
    dcr = Actor(source="dynamic-registration", token_kind="registration-access-token")
    assert PolicyContext(event=Event.UPDATED, realm=None, actor=dcr).is_dcr_update
    assert not PolicyContext(event=Event.UPDATE, realm=None, actor=dcr).is_dcr_update
    assert not PolicyContext(event=Event.REGISTERED, realm=None, actor=dcr).is_dcr_update
    assert not PolicyContext(event=Event.UPDATED, realm=None, actor=CONSOLE).is_dcr_update
    assert not PolicyContext(event=Event.UPDATED, realm=None, actor=dcr, regenerate=True).is_dcr_update
