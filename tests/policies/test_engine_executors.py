"""``confidential-client`` and ``secure-client-authenticator``, and how a refusal rolls back."""

from __future__ import annotations

import pytest

from clients import services
from clients.models import Client
from policies.engine import ClientPolicyError, Event, PolicyContext, client_policies_trigger
from policies.providers import EXECUTORS
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import client_make, policy_make, profile_make

CONSOLE = Actor(source="console", username="admin")
ANY = [("any-client", {})]


def run(provider_id, configuration, event, **context):
    executor = EXECUTORS[provider_id](configuration)
    ctx = PolicyContext(event=event, realm=None, **context)
    executor.execute(ctx)
    return ctx


# --- confidential-client ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("event", [Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST, Event.SERVICE_ACCOUNT_TOKEN_REQUEST])
def test_confidential_client_refuses_public_and_bearer_only_clients_on_requests(master, event):
    run("confidential-client", {}, event, client=client_make(master, "conf"))
    for client in (client_make(master, "spa", public=True), client_make(master, "api", bearer_only=True), None):
        with pytest.raises(ClientPolicyError) as refused:
            run("confidential-client", {}, event, client=client)
        # Keycloak's ConfidentialClientAcceptExecutor, verbatim.
        assert refused.value.as_dict() == {"error": "invalid_client", "error_description": "invalid client access type"}


@pytest.mark.django_db
def test_confidential_client_refuses_creating_or_switching_to_a_public_client(master):
    stored = client_make(master, "conf")
    with pytest.raises(ClientPolicyError) as refused:
        run("confidential-client", {}, Event.REGISTER, representation={"clientId": "spa", "publicClient": True})
    assert refused.value.error == "invalid_client_metadata"
    assert refused.value.error_description.startswith("Invalid client metadata: ")
    with pytest.raises(ClientPolicyError):
        run("confidential-client", {}, Event.UPDATE, client=stored, representation={"publicClient": True})
    run("confidential-client", {}, Event.REGISTER, representation={"clientId": "web"})
    run("confidential-client", {}, Event.UPDATE, client=stored, representation={"description": "x"})
    # A partial update of a client already public is judged on the stored flag.
    spa = client_make(master, "spa", public=True)
    with pytest.raises(ClientPolicyError):
        run("confidential-client", {}, Event.UPDATE, client=spa, representation={"description": "x"})


@pytest.mark.django_db
def test_a_refused_create_leaves_nothing_behind(master):
    profile_make(master, "strict", [("confidential-client", {})])
    policy_make(master, "strict", ANY, ["strict"])
    with pytest.raises(ClientPolicyError):
        services.client_create(realm=master, representation={"clientId": "spa", "publicClient": True}, actor=CONSOLE)
    assert not Client.objects.filter(client_id="spa").exists()
    assert not AdminEvent.objects.filter(resource_type="CLIENT").exists()
    services.client_create(realm=master, representation={"clientId": "web"}, actor=CONSOLE)
    assert Client.objects.filter(client_id="web").exists()


@pytest.mark.django_db
def test_a_refused_update_changes_nothing(master):
    client = services.client_create(realm=master, representation={"clientId": "web", "description": "before"}, actor=CONSOLE)
    profile_make(master, "strict", [("confidential-client", {})])
    policy_make(master, "strict", ANY, ["strict"])
    with pytest.raises(ClientPolicyError):
        services.client_update(client=client, representation={"publicClient": True, "description": "after"}, actor=CONSOLE)
    client.refresh_from_db()
    assert (client.public_client, client.description) == (False, "before")


# --- secure-client-authenticator ---------------------------------------------------------------------

JWT_ONLY = {"allowed-client-authenticators": ["client-jwt", "client-secret-jwt"], "default-client-authenticator": "client-jwt"}
BAD_METHOD = {"error": "invalid_client_metadata", "error_description": "Invalid client metadata: token_endpoint_auth_method"}


def test_secure_client_authenticator_sets_the_default_on_register():
    ctx = run("secure-client-authenticator", JWT_ONLY, Event.REGISTER, representation={"clientId": "x"})
    assert ctx.representation["clientAuthenticatorType"] == "client-jwt"
    # An explicit choice is kept (and validated).
    ctx = run("secure-client-authenticator", JWT_ONLY, Event.REGISTER, representation={"clientAuthenticatorType": "client-secret-jwt"})
    assert ctx.representation["clientAuthenticatorType"] == "client-secret-jwt"


def test_secure_client_authenticator_refuses_a_disallowed_authenticator():
    with pytest.raises(ClientPolicyError) as refused:
        run("secure-client-authenticator", JWT_ONLY, Event.REGISTER, representation={"clientAuthenticatorType": "client-secret"})
    assert refused.value.as_dict() == BAD_METHOD
    # No default: a new client without a choice gets client-secret, which is not allowed.
    with pytest.raises(ClientPolicyError):
        run("secure-client-authenticator", {"allowed-client-authenticators": ["client-jwt"]}, Event.REGISTER, representation={})
    # No allowed list at all: nothing is allowed (Keycloak).
    with pytest.raises(ClientPolicyError):
        run("secure-client-authenticator", {}, Event.REGISTER, representation={"clientAuthenticatorType": "client-secret"})


def test_secure_client_authenticator_lets_public_clients_through():
    run("secure-client-authenticator", JWT_ONLY, Event.REGISTER, representation={"publicClient": True, "clientAuthenticatorType": "client-secret"})


@pytest.mark.django_db
def test_secure_client_authenticator_on_update_judges_the_effective_authenticator(master):
    stored = client_make(master, "web")  # client-secret
    with pytest.raises(ClientPolicyError):
        run("secure-client-authenticator", JWT_ONLY, Event.UPDATE, client=stored, representation={"description": "x"})
    ctx = run("secure-client-authenticator", JWT_ONLY, Event.UPDATE, client=stored, representation={"clientAuthenticatorType": "client-jwt"})
    assert ctx.representation == {"clientAuthenticatorType": "client-jwt"}
    jwt_client = client_make(master, "jwt", client_authenticator_type="client-jwt")
    ctx = run("secure-client-authenticator", JWT_ONLY, Event.UPDATE, client=jwt_client, representation={"description": "x"})
    assert "clientAuthenticatorType" not in ctx.representation  # a partial update keeps the stored one


@pytest.mark.django_db
def test_secure_client_authenticator_checks_requests(master):
    stored = client_make(master, "web")
    for event in (Event.TOKEN_REQUEST, Event.TOKEN_REFRESH, Event.TOKEN_INTROSPECT):
        with pytest.raises(ClientPolicyError) as refused:
            run("secure-client-authenticator", JWT_ONLY, event, client=stored)
        assert refused.value.as_dict() == {
            "error": "invalid_request",
            "error_description": "Configured client authentication method not allowed for client",
        }
    run("secure-client-authenticator", JWT_ONLY, Event.TOKEN_REQUEST, client=client_make(master, "spa", public=True))
    # Keycloak does not check the client_credentials grant here.
    assert Event.SERVICE_ACCOUNT_TOKEN_REQUEST not in EXECUTORS["secure-client-authenticator"].events


@pytest.mark.django_db
def test_secure_client_authenticator_through_the_services(master):
    profile_make(master, "fapi-ish", [("secure-client-authenticator", JWT_ONLY)])
    policy_make(master, "authn", [("client-updater-context", {"update-client-source": ["ByAuthenticatedUser"]})], ["fapi-ish"])
    client = services.client_create(realm=master, representation={"clientId": "web"}, actor=CONSOLE)
    assert client.client_authenticator_type == "client-jwt"  # the default was set on REGISTER
    with pytest.raises(ClientPolicyError):
        services.client_update(client=client, representation={"clientAuthenticatorType": "client-secret"}, actor=CONSOLE)
    client.refresh_from_db()
    assert client.client_authenticator_type == "client-jwt"


@pytest.mark.django_db
def test_the_executor_events_are_declared():
    assert EXECUTORS["secret-rotation"].events == {"REGISTERED", "UPDATED", "AUTHORIZATION_REQUEST", "TOKEN_REQUEST"}
    assert {"REGISTER", "UPDATE"} <= EXECUTORS["secure-client-authenticator"].events
    assert {"AUTHORIZATION_REQUEST", "TOKEN_REQUEST", "SERVICE_ACCOUNT_TOKEN_REQUEST"} <= EXECUTORS["confidential-client"].events


@pytest.mark.django_db
def test_engine_passes_the_proposed_representation_to_executors(master):
    profile_make(master, "p", [("secure-client-authenticator", JWT_ONLY)])
    policy_make(master, "p", ANY, ["p"])
    representation = {"clientId": "x"}
    client_policies_trigger(Event.REGISTER, realm=master, representation=representation, actor=CONSOLE)
    assert representation["clientAuthenticatorType"] == "client-jwt"
