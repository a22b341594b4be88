"""The ``secret-rotation`` executor event by event (docs/keycloak.md §1.5, §1.6)."""

from __future__ import annotations

import pytest
import time_machine

from clients import secrets as store
from clients import services
from clients.models import ClientRole, ClientSecret
from policies.engine import Event, client_policies_trigger
from realms.actor import Actor
from tests.factories import client_make, rotation_policy_make

T0 = 1_800_000_000
CONSOLE = Actor(source="console", username="admin")


def current(client):
    return store.secret_get(client, ClientSecret.CURRENT)


@pytest.mark.django_db
@pytest.mark.parametrize("event", [Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST])
def test_first_use_starts_the_countdown_of_an_existing_client(master, event):
    client = client_make(master, now=T0 - 500)
    secret = store.secret_value(current(client))
    rotation_policy_make(master)
    result = client_policies_trigger(event, realm=master, client=client, now=T0)
    assert result.rotation_enabled is True
    row = current(client)
    assert (row.created_time, row.expiration_time) == (T0 - 500, T0 + 3600)
    assert store.secret_value(row) == secret
    assert store.secret_get(client, ClientSecret.ROTATED) is None
    # A later request does not move it, even after it expired.
    client_policies_trigger(event, realm=master, client=client, now=T0 + 5000)
    assert current(client).expiration_time == T0 + 3600


@pytest.mark.django_db
@pytest.mark.parametrize("event", [Event.SERVICE_ACCOUNT_TOKEN_REQUEST, Event.TOKEN_REFRESH, Event.TOKEN_INTROSPECT])
def test_other_requests_do_not_start_it(master, event):
    client = client_make(master)
    rotation_policy_make(master)
    assert client_policies_trigger(event, realm=master, client=client, now=T0).rotation_enabled is False
    assert current(client).expiration_time is None


@pytest.mark.django_db
def test_an_expiration_of_zero_counts_as_none(master):
    client = client_make(master)
    store.secret_set_expiration(client, 0)
    rotation_policy_make(master)
    client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client, now=T0)
    assert current(client).expiration_time == T0 + 3600


@pytest.mark.django_db
def test_bearer_only_and_public_clients_never_raise_the_flag(master):
    rotation_policy_make(master, conditions=[("any-client", {})])
    for client in (client_make(master, "api", bearer_only=True), client_make(master, "spa", public=True)):
        for event in (Event.REGISTERED, Event.UPDATED, Event.AUTHORIZATION_REQUEST, Event.TOKEN_REQUEST):
            assert client_policies_trigger(event, realm=master, client=client, now=T0).rotation_enabled is False


@pytest.mark.django_db
def test_regenerate_with_a_blank_old_secret_only_raises_the_flag(master):
    client = client_make(master)
    rotation_policy_make(master)
    for blank in (None, "", "   "):
        result = client_policies_trigger(Event.UPDATED, realm=master, client=client, old_secret=blank, regenerate=True, now=T0)
        assert result.rotation_enabled is True
        assert current(client).expiration_time is None
        assert store.secret_get(client, ClientSecret.ROTATED) is None


@pytest.mark.django_db
def test_regenerate_copies_the_rotation_attributes_into_the_representation(master):
    client = client_make(master)
    rotation_policy_make(master)
    snapshot = {"clientId": "app", "attributes": {"other": "kept"}}
    client_policies_trigger(
        Event.UPDATED, realm=master, client=client, representation=snapshot, old_secret="old-secret", regenerate=True, now=T0
    )
    assert snapshot["attributes"] == {
        "other": "kept",
        "client.secret.creation.time": str(T0),
        "client.secret.expiration.time": str(T0 + 3600),
        "client.secret.rotated": "old-secret",
        "client.secret.rotated.creation.time": str(T0),
        "client.secret.rotated.expiration.time": str(T0 + 600),
    }


@pytest.mark.django_db
def test_an_update_that_changes_nothing_copies_nothing(master):
    client = client_make(master)
    store.secret_set_expiration(client, T0 + 100)
    rotation_policy_make(master)
    representation = {"description": "x"}
    assert client_policies_trigger(Event.UPDATED, realm=master, client=client, representation=representation, now=T0).rotation_enabled
    assert representation == {"description": "x"}


@pytest.mark.django_db
def test_dcr_create_only_sets_the_expiration(master):
    rotation_policy_make(master)
    actor = Actor(source="dynamic-registration", token_kind="initial-access-token")
    with time_machine.travel(T0, tick=False):
        client = services.client_create(realm=master, representation={"clientId": "dcr"}, actor=actor)
    row = current(client)
    assert (row.created_time, row.expiration_time) == (T0, T0 + 3600)
    assert store.secret_get(client, ClientSecret.ROTATED) is None


@pytest.mark.django_db
def test_a_role_added_later_takes_effect_at_the_next_update(master):
    rotation_policy_make(master, conditions=[("client-roles", {"roles": ["rotate"]})])
    with time_machine.travel(T0, tick=False) as clock:
        client = services.client_create(realm=master, representation={"clientId": "app"}, actor=CONSOLE)
        assert current(client).expiration_time is None
        services.client_role_create(client=client, name="rotate", actor=CONSOLE)
        assert current(client).expiration_time is None  # adding a role fires no event
        clock.move_to(T0 + 10)
        services.client_update(client=client, representation={"description": "x"}, actor=CONSOLE)
        assert current(client).expiration_time == T0 + 10 + 3600
    assert ClientRole.objects.filter(client=client).count() == 1


@pytest.mark.django_db
def test_the_one_clock_is_used_when_no_now_is_given(master):
    client = client_make(master)
    rotation_policy_make(master)
    with time_machine.travel(T0 + 42, tick=False):
        client_policies_trigger(Event.TOKEN_REQUEST, realm=master, client=client)
    assert current(client).expiration_time == T0 + 42 + 3600
