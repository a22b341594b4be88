"""A new condition type is one class: registered, it is offered by the console, validated by the
services and asked by the engine, with nothing else changed (the README's example)."""

from __future__ import annotations

import re

import pytest

from policies import engine, services
from policies.engine import Event, PolicyContext, Vote, client_policies_trigger
from policies.errors import PolicyValidationError
from policies.providers import CONDITIONS
from policies.providers.base import (
    ConditionType,
    ConfigError,
    Field,
    condition_type,
    listed,
    provider_unregister,
    string_list,
)
from realms.actor import Actor
from tests.factories import client_make

pytestmark = pytest.mark.django_db

BASE = "/console/master/realm-settings/client-policies/"
HX = {"HTTP_HX_REQUEST": "true"}


# The README's example, as it would stand in policies/providers/conditions.py. There it carries
# @condition_type; here the fixture applies it, so the other tests see only the product's types.
class ClientIdPrefixCondition(ConditionType):
    provider_id = "client-id-prefix"
    label = "Client ID Prefix"
    help_text = "The condition checks whether the client's Client ID starts with one of the prefixes."
    fields = (
        Field(
            key="prefixes",
            label="Client ID Prefixes",
            help_text="The policy applies to clients whose Client ID starts with one of these.",
            kind="stringlist",
        ),
    )
    events = frozenset(Event) - {Event.REGISTER}  # on REGISTER there is no stored client yet

    @classmethod
    def validate(cls, configuration):
        effective = super().validate(configuration)  # a JSON object, defaults, Negative Logic
        string_list(effective, "prefixes")
        if not effective.get("prefixes"):
            raise ConfigError("Client ID Prefixes needs at least one prefix", "prefixes")
        return effective

    def __init__(self, configuration):
        super().__init__(configuration)
        self.prefixes = tuple(listed(self.configuration, "prefixes"))  # once, not on every vote

    def vote(self, context: PolicyContext) -> Vote:
        if context.event not in self.events:
            return Vote.ABSTAIN
        if context.client is None:
            return Vote.NO
        return Vote.YES if context.client.client_id.startswith(self.prefixes) else Vote.NO


@pytest.fixture
def prefix_condition():
    condition_type(ClientIdPrefixCondition)
    yield ClientIdPrefixCondition
    provider_unregister(ClientIdPrefixCondition)


@pytest.fixture
def policy(master):
    return services.policy_create(realm=master, name="Billing", description="billing clients", actor=Actor())


def test_registered_condition_is_offered_by_the_console_and_validated(prefix_condition, admin_client, policy):
    url = f"{BASE}policies/{policy.pk}/create-condition"
    offered = re.findall(r'<option value="([^"]*)"', admin_client.get(url).content.decode())
    assert offered[-1] == "client-id-prefix"
    fragment = admin_client.get(url + "?condition=client-id-prefix", **HX).content.decode()
    assert "Client ID Prefixes" in fragment and "Negative Logic" in fragment

    refused = admin_client.post(url, {"condition": "client-id-prefix"})
    assert refused.status_code == 400 and "Client ID Prefixes needs at least one prefix" in refused.content.decode()
    response = admin_client.post(url, {"condition": "client-id-prefix", "config-prefixes": ["billing-"]})
    assert response.status_code == 302
    assert services.policies_representation(policy.realm)["policies"][0]["conditions"] == [
        {"condition": "client-id-prefix", "configuration": {"is-negative-logic": False, "prefixes": ["billing-"]}}
    ]
    with pytest.raises(PolicyValidationError):
        services.policy_condition_add(
            realm=policy.realm, policy=policy, condition="client-id-prefix", configuration={"prefixes": [1]}, actor=Actor()
        )


def test_registered_condition_votes_in_the_engine(prefix_condition, master, policy):
    services.policy_condition_add(
        realm=master, policy=policy, condition="client-id-prefix", configuration={"prefixes": ["billing-"]}, actor=Actor()
    )
    billing, shop = client_make(master, "billing-api"), client_make(master, "shop-api")
    assert client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=billing).applied_policies == ("Billing",)
    assert client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=shop).applied_policies == ()

    negated = prefix_condition({"prefixes": ["billing-"], "is-negative-logic": True})
    assert engine._vote(negated, PolicyContext(event=Event.UPDATED, realm=master, client=shop)) == Vote.YES
    assert engine._vote(negated, PolicyContext(event=Event.REGISTER, realm=master)) == Vote.ABSTAIN


def test_unregistering_removes_it_again(prefix_condition):
    assert CONDITIONS["client-id-prefix"] is prefix_condition
    provider_unregister(prefix_condition)
    assert "client-id-prefix" not in CONDITIONS
