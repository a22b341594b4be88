"""Issue 14 item 4: a token request refused after the client authenticated is recorded as a
``CLIENT_LOGIN_ERROR`` with the error, not as a ``CLIENT_LOGIN``."""

from __future__ import annotations

import pytest

from policies.errors import ClientPolicyError
from policies.providers.base import Event, ExecutorType, executor_type, provider_unregister
from realms.models import LoginEvent
from tests.factories import ClientFactory, policy_make, profile_make

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def test_grant_the_client_may_not_use_is_a_client_login_error(token_post, realm):
    ClientFactory(realm=realm, client_id="no-sa", service_accounts_enabled=False, secret=SECRET)
    response = token_post(realm.name, {"grant_type": "client_credentials", "client_id": "no-sa", "client_secret": SECRET})
    assert response.status_code == 401
    events = list(LoginEvent.objects.filter(client_id="no-sa"))
    assert [(e.type, e.error, e.secret_used) for e in events] == [("CLIENT_LOGIN_ERROR", "unauthorized_client", "current")]
    assert events[0].details["grant_type"] == "client_credentials"


@pytest.fixture
def refusing_executor():
    """An executor type that refuses every service-account token request (registered for the test)."""

    @executor_type
    class Refuse(ExecutorType):
        provider_id = "test-refuse-tokens"
        label = "Refuse tokens"
        help_text = "Refuses every service-account token request."
        events = frozenset({Event.SERVICE_ACCOUNT_TOKEN_REQUEST})

        def execute(self, context):
            raise ClientPolicyError("invalid_request", "No tokens today")

    yield Refuse
    provider_unregister(Refuse)


def test_a_policy_refusing_the_token_request_is_a_client_login_error(token_post, realm, svc, refusing_executor):
    profile_make(realm, "no-tokens", [("test-refuse-tokens", {})])
    policy_make(realm, "refuse", [("any-client", {})], ["no-tokens"])
    response = token_post(realm.name, {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
    assert response.status_code == 400
    events = list(LoginEvent.objects.filter(client_id="svc").values_list("type", "error"))
    assert events == [("CLIENT_LOGIN_ERROR", "invalid_request")]


def test_a_granted_token_is_a_client_login(token_post, realm, svc):
    response = token_post(realm.name, {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
    assert response.status_code == 200
    assert list(LoginEvent.objects.filter(client_id="svc").values_list("type", "secret_used")) == [("CLIENT_LOGIN", "current")]

