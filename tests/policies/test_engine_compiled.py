"""The compiled form of a realm's policies and the client facts: what each costs and when it is
built again. The votes themselves are Keycloak's (test_engine.py, test_engine_conditions.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import ClientRole
from policies import engine
from policies.engine import Event, client_policies_trigger, policies_load, policies_request_scope
from policies.models import ClientPolicy, ClientPolicyCondition
from policies.providers import CONDITIONS
from policies.providers.base import ConditionType, PolicyContext, Vote, condition_type, provider_unregister
from realms.actor import CONSOLE
from tests.factories import ClientRoleFactory, client_make, policy_make, profile_make

pytestmark = pytest.mark.django_db


def _queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def _roles_policies(realm, count: int, *, profile: str = "p") -> None:
    for i in range(count):
        policy_make(realm, f"pol-{i}", [("client-roles", {"roles": [f"role-{i}"]})], [profile])


def test_identical_conditions_vote_once_whatever_their_negative_logic(master):
    profile_make(master, "p", [("confidential-client", {})])
    for i in range(50):
        policy_make(master, f"same-{i}", [("client-roles", {"roles": ["gold"]})], ["p"])
    policy_make(master, "negated", [("client-roles", {"roles": ["gold"], "is-negative-logic": True})], ["p"])
    policy_make(master, "other", [("client-roles", {"roles": ["silver"]})], ["p"])
    compiled = policies_load(master).compiled
    assert compiled.distinct_conditions == 2 and len(compiled.groups) == 1 and len(compiled.policies) == 52
    assert compiled.facts == {"roles"}

    gold = client_make(master, "gold")
    ClientRoleFactory(client=gold, name="gold")
    plain = client_make(master, "plain")
    applied = client_policies_trigger(Event.TOKEN_INTROSPECT, realm=master, client=gold).applied_policies
    assert applied == tuple(f"same-{i}" for i in range(50))
    assert client_policies_trigger(Event.TOKEN_INTROSPECT, realm=master, client=plain).applied_policies == ("negated",)


def test_a_trigger_reads_the_roles_once_for_any_number_of_policies(master):
    profile_make(master, "p", [("secret-rotation", {})])
    client = client_make(master)
    ClientRoleFactory(client=client, name="role-150")
    _roles_policies(master, 200)
    loaded = policies_load(master)
    applied = []
    queries = _queries(lambda: applied.append(
        client_policies_trigger(Event.SERVICE_ACCOUNT_TOKEN_REQUEST, realm=master, client=client, policies=loaded)))
    assert applied[0].applied_policies == ("pol-150",)
    assert len(queries) == 1 and '"clients_clientrole"' in queries[0]


def test_no_condition_needs_the_roles_so_none_are_read(master):
    profile_make(master, "p", [("secret-rotation", {})])
    for i in range(20):
        policy_make(master, f"c{i}", [("client-access-type", {"type": ["public"]})], ["p"])
    policy_make(master, "attrs", [("client-attributes", {"attributes": '[{"key":"tier","value":"gold"}]'})], ["p"])
    client = client_make(master, attributes={"tier": "gold"})
    loaded = policies_load(master)
    assert loaded.compiled.facts == frozenset()
    result = []
    assert _queries(lambda: result.append(
        client_policies_trigger(Event.SERVICE_ACCOUNT_TOKEN_REQUEST, realm=master, client=client, policies=loaded))) == []
    assert result[0].applied_policies == ("attrs",)


def test_every_trigger_of_a_request_shares_the_client_facts(master):
    profile_make(master, "p", [("confidential-client", {})])
    _roles_policies(master, 30)
    client = client_make(master)
    with policies_request_scope():
        first = _queries(lambda: client_policies_trigger(Event.UPDATE, realm=master, client=client, actor=CONSOLE))
        second = _queries(lambda: client_policies_trigger(Event.UPDATED, realm=master, client=client, actor=CONSOLE))
        assert sum('"clients_clientrole"' in sql for sql in first) == 1
        assert second == []
        # A role given meanwhile (its save drops the facts) counts at the next trigger.
        ClientRole.objects.create(client=client, name="role-7")
        applied = client_policies_trigger(Event.UPDATED, realm=master, client=client, actor=CONSOLE).applied_policies
        assert applied == ("pol-7",)
        ClientRole.objects.filter(client=client).delete()
        assert client_policies_trigger(Event.UPDATED, realm=master, client=client, actor=CONSOLE).applied_policies == ()
    # Outside a request scope each trigger reads for itself (and only once).
    ClientRole.objects.create(client=client, name="role-3")
    for _ in range(2):
        queries = _queries(lambda: client_policies_trigger(Event.VIEW, realm=master, client=client))
        assert sum('"clients_clientrole"' in sql for sql in queries) == 1


def test_facts_follow_the_client_of_each_trigger(master):
    profile_make(master, "p", [("confidential-client", {})])
    _roles_policies(master, 3)
    one, two = client_make(master, "one"), client_make(master, "two")
    ClientRoleFactory(client=one, name="role-1")
    ClientRoleFactory(client=two, name="role-2")
    with policies_request_scope():
        assert client_policies_trigger(Event.VIEW, realm=master, client=one).applied_policies == ("pol-1",)
        assert client_policies_trigger(Event.VIEW, realm=master, client=two).applied_policies == ("pol-2",)
    context = PolicyContext(event=Event.VIEW, realm=master, client=one)
    assert context.fact("roles") == {"role-1"}
    context.client = two
    assert context.fact("roles") == {"role-2"}
    assert PolicyContext(event=Event.REGISTER, realm=master).fact("roles") is None


def test_a_worker_builds_a_configuration_version_once(master):
    profile_make(master, "p", [("secret-rotation", {})])
    _roles_policies(master, 5)
    first = policies_load(master)
    assert policies_load(master) is first  # same rows: the same compiled set, for every request
    assert len(_queries(lambda: policies_load(master))) == 1  # the version is read every time: never stale

    ClientPolicyCondition.objects.filter(policy__name="pol-0").update(configuration={"roles": ["changed"]})
    changed = policies_load(master)
    assert changed is not first and changed.policies[0].conditions[0].roles == {"changed"}
    ClientPolicy.objects.filter(name="pol-4").update(enabled=False)
    assert [p.name for p in policies_load(master).policies] == ["pol-0", "pol-1", "pol-2", "pol-3"]
    ClientPolicy.objects.update(enabled=False)
    assert policies_load(master).policies == ()


def test_a_newly_registered_type_rebuilds_the_set(master):
    profile_make(master, "p", [("confidential-client", {})])
    policy_make(master, "later", [("always-later", {})], ["p"])
    client = client_make(master)
    before = policies_load(master)
    assert before.policies[0].conditions == ()  # unknown type: skipped

    @condition_type
    class AlwaysLater(ConditionType):
        provider_id = "always-later"
        label = help_text = "Always (later)"

        def vote(self, context):
            return Vote.YES

    try:
        after = policies_load(master)
        assert after is not before
        assert client_policies_trigger(Event.VIEW, realm=master, client=client, policies=after).applied_policies == ("later",)
    finally:
        provider_unregister(AlwaysLater)
    assert policies_load(master).policies[0].conditions == ()


def test_a_shared_vote_is_asked_again_after_an_executor_amends_the_representation(master):
    """Keycloak judges each policy after the previous one's executors ran: an amendment counts."""

    @condition_type
    class AuthenticatorIsJwt(ConditionType):
        provider_id = "test-authenticator-is-jwt"
        label = help_text = "Authenticator is client-jwt"

        def vote(self, context):
            chosen = (context.representation or {}).get("clientAuthenticatorType")
            return Vote.YES if chosen == "client-jwt" else Vote.NO

    try:
        profile_make(master, "jwt", [("secure-client-authenticator", {"allowed-client-authenticators": ["client-jwt"], "default-client-authenticator": "client-jwt"})])
        profile_make(master, "nothing", [])
        policy_make(master, "not-yet-jwt", [("test-authenticator-is-jwt", {"is-negative-logic": True})], ["jwt"])
        policy_make(master, "now-jwt", [("test-authenticator-is-jwt", {})], ["nothing"])
        assert policies_load(master).compiled.distinct_conditions == 1
        representation = {"clientId": "new"}
        result = client_policies_trigger(Event.REGISTER, realm=master, representation=representation, actor=CONSOLE)
        assert representation["clientAuthenticatorType"] == "client-jwt"
        assert result.applied_policies == ("not-yet-jwt", "now-jwt")
    finally:
        provider_unregister(AuthenticatorIsJwt)


def test_the_worker_cache_is_bounded(master, monkeypatch):
    monkeypatch.setattr(engine, "MAX_REALMS", 1)
    profile_make(master, "p", [("confidential-client", {})])
    _roles_policies(master, 1)
    loaded = policies_load(master)
    assert engine._built[master.pk][2] is loaded
    engine._built[object()] = engine._built.pop(master.pk)  # another realm took the only place
    assert policies_load(master) is not loaded and list(engine._built) == [master.pk]


@pytest.mark.parametrize("event", list(Event))
def test_client_roles_answers_together_as_each_alone(master, event):
    """The batched answer of ``client-roles`` is exactly each condition's own vote."""
    cls = CONDITIONS["client-roles"]
    configurations = [{"roles": ["a"]}, {"roles": ["b", "c"]}, {"roles": []}, {}, {"roles": ["c", "z"]}, {"roles": "a"}]
    conditions = [cls(configuration) for configuration in configurations]
    ask = cls.vote_all(conditions)
    client = client_make(master)
    for roles in ([], ["a"], ["c"], ["b", "z", "q"]):
        ClientRole.objects.filter(client=client).delete()
        for name in roles:
            ClientRoleFactory(client=client, name=name)
        for subject in (client, None):
            context = PolicyContext(event=event, realm=master, client=subject)
            alone = [condition.vote(PolicyContext(event=event, realm=master, client=subject)) for condition in conditions]
            assert list(ask(context)) == alone, (roles, subject)


def test_mixed_condition_types_keep_their_order_and_short_circuit(master):
    """A policy of several types: the first NO decides, whatever group it comes from."""
    profile_make(master, "p", [("confidential-client", {})])
    policy_make(master, "roles-then-type", [("client-roles", {"roles": ["r"]}), ("client-access-type", {"type": ["public"]})], ["p"])
    policy_make(master, "type-then-roles", [("client-access-type", {"type": ["confidential"]}), ("client-roles", {"roles": ["r"]})], ["p"])
    policy_make(master, "updater-abstains", [("client-updater-context", {"update-client-source": ["ByAnonymous"]}), ("client-roles", {"roles": ["r"]})], ["p"])
    client = client_make(master)
    ClientRoleFactory(client=client, name="r")
    result = client_policies_trigger(Event.TOKEN_REFRESH, realm=master, client=client)
    assert result.applied_policies == ("type-then-roles", "updater-abstains")
