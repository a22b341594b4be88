"""Secret rotation through the real services, with time moved by time-machine.

docs/keycloak.md §1.6–§1.9, §3.2–§3.4, §8: the worked timeline (3600/600/1800), Keycloak's
named DCR cases (60/30/20), several executors at once, the clean-up rule, public clients, and the
issue's Done-when with the procedure's policy (one week / two days / one day, confidential).
"""

from __future__ import annotations

import json

import pytest
import time_machine

from clients import secrets as store
from clients import services
from clients.authentication import ClientAuthError, client_authenticate
from clients.models import ClientSecret
from clients.representations import client_representation
from policies.models import ClientPolicy
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import policy_make, profile_make, rotation_config, rotation_policy_make

T0 = 1_800_000_000
CONSOLE = Actor(source="console", username="admin", user_id="1", auth_realm="master")
DCR = Actor(source="dynamic-registration", token_kind="registration-access-token", client_id="app")
WEEK, TWO_DAYS, DAY = 604800, 172800, 86400


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def at(clock, t: int) -> None:
    clock.move_to(T0 + t)


def state(client):
    """(current value, current creation, expiration, rotated value, rotated expiration), relative to T0."""
    current, rotated = store.secret_rows(client)

    def rel(value):
        return None if value is None else value - T0

    return (
        store.secret_value(current),
        rel(current.created_time) if current else None,
        rel(current.expiration_time) if current else None,
        store.secret_value(rotated),
        rel(rotated.expiration_time) if rotated else None,
    )


def auth(master, client, secret, method="client_secret_basic"):
    """The outcome a token request would see: "current", "rotated", or the error."""
    try:
        return client_authenticate(realm=master, client_id=client.client_id, client_secret=secret, method=method).matched
    except ClientAuthError as exc:
        return (exc.status, exc.error)


REFUSED = (401, "unauthorized_client")


def create(master, client_id="app", **representation):
    return services.client_create(realm=master, representation={"clientId": client_id, **representation}, actor=CONSOLE)


# --- docs/keycloak.md §1.9 the worked timeline -----------------------------------------------------------


@pytest.mark.django_db
def test_the_worked_timeline(master, clock):
    policy = rotation_policy_make(master, 3600, 600, 1800)

    # t=0: admin create → REGISTERED: expiration only.
    client = create(master)
    s0, created, expiration, rotated, _ = state(client)
    assert (created, expiration, rotated) == (0, 3600, None)

    # t=100: admin PUT, not expired: nothing changes.
    at(clock, 100)
    services.client_update(client=client, representation={"description": "changed"}, actor=CONSOLE)
    assert state(client) == (s0, 0, 3600, None, None)

    # t=3600: still valid at the exact second; t=3601: expired.
    at(clock, 3600)
    assert auth(master, client, s0) == "current"
    at(clock, 3601)
    assert auth(master, client, s0) == REFUSED

    # t=3601: admin PUT of the expired client → typical rotation.
    services.client_update(client=client, representation={"description": "again"}, actor=CONSOLE)
    s1, created, expiration, rotated, rotated_expiration = state(client)
    assert s1 != s0
    assert (created, expiration, rotated, rotated_expiration) == (3601, 7201, s0, 4201)

    # t=4000: both work (the expired S0 is valid again as the rotated secret).
    at(clock, 4000)
    assert auth(master, client, s1) == "current"
    assert auth(master, client, s0) == "rotated"

    # t=4202: the rotated secret has expired.
    at(clock, 4202)
    assert auth(master, client, s0) == REFUSED
    assert auth(master, client, s1) == "current"

    # t=5000: Re-generate forces a rotation.
    at(clock, 5000)
    s2 = services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client) == (s2, 5000, 8600, s1, 5600)

    # t=5001: invalidate the rotated secret.
    at(clock, 5001)
    assert services.client_rotated_secret_invalidate(client=client, actor=CONSOLE) is True
    assert state(client) == (s2, 5000, 8600, None, None)
    assert auth(master, client, s1) == REFUSED

    # t=6000: policy disabled, then an admin PUT → clean-up.
    at(clock, 6000)
    policy.enabled = False
    policy.save()
    services.client_update(client=client, representation={"description": "cleanup"}, actor=CONSOLE)
    assert state(client) == (s2, 5000, None, None, None)
    at(clock, 10**6)
    assert auth(master, client, s2) == "current"  # no expiry any more


# --- the Done-when: the procedure's policy ----------------------------------------------


@pytest.mark.django_db
def test_procedure_policy_regenerate_keeps_old_two_days_and_new_one_week(master, clock):
    confidential = create(master, "confidential-app")
    public = create(master, "public-app", publicClient=True)
    old = store.secret_value(store.secret_get(confidential, ClientSecret.CURRENT))
    # The procedure: profile "Weekly Client Secret Rotation Profile" with one week / two days /
    # one day, a policy with client-access-type = confidential.
    profile_make(master, "Weekly Client Secret Rotation Profile", [("secret-rotation", rotation_config(WEEK, TWO_DAYS, DAY))])
    policy = policy_make(master, "Weekly rotation", [("client-access-type", {"type": ["confidential"]})], ["Weekly Client Secret Rotation Profile"])

    at(clock, 1000)
    new = services.client_secret_regenerate(client=confidential, actor=CONSOLE)
    assert state(confidential) == (new, 1000, 1000 + WEEK, old, 1000 + TWO_DAYS)

    # The Credentials tab shows the old secret as rotated, with both expiries.
    attributes = client_representation(confidential, include_secret=True)["attributes"]
    assert attributes["client.secret.rotated"] == old
    assert attributes["client.secret.expiration.time"] == str(T0 + 1000 + WEEK)
    assert attributes["client.secret.rotated.expiration.time"] == str(T0 + 1000 + TWO_DAYS)

    at(clock, 1000 + TWO_DAYS)
    assert auth(master, confidential, old) == "rotated"
    assert auth(master, confidential, new) == "current"
    at(clock, 1000 + TWO_DAYS + 1)
    assert auth(master, confidential, old) == REFUSED
    at(clock, 1000 + WEEK)
    assert auth(master, confidential, new) == "current"
    at(clock, 1000 + WEEK + 1)
    assert auth(master, confidential, new) == REFUSED

    # A public client is untouched: no secret, no rotation state, authenticates without one.
    services.client_update(client=public, representation={"description": "x"}, actor=CONSOLE)
    assert store.secret_rows(public) == (None, None)
    assert auth(master, public, None) is None

    # Disabling the policy clears the rotation state at the next update (not before).
    at(clock, 1000 + 100)
    services.client_secret_regenerate(client=confidential, actor=CONSOLE)
    policy.enabled = False
    policy.save()
    assert state(confidential)[2] is not None  # still there: disabling is lazy
    services.client_update(client=confidential, representation={"description": "after"}, actor=CONSOLE)
    _value, _created, expiration, rotated, _ = state(confidential)
    assert (expiration, rotated) == (None, None)


# --- docs/keycloak.md §1.7 remaining-rotation-period and DCR updates (Keycloak's 60/30/20 cases) -------------


@pytest.mark.django_db
def test_dcr_update_during_the_remaining_period_rotates(master, clock):
    """whenUpdateDynamicClientDuringRemainingExpirationPeriodMustRotateSecret."""
    rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    s0 = state(client)[0]
    at(clock, 41)  # 41 >= 60 - 20
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    s1, created, expiration, rotated, rotated_expiration = state(client)
    assert s1 != s0
    assert (created, expiration, rotated, rotated_expiration) == (41, 101, s0, 71)


@pytest.mark.django_db
@pytest.mark.parametrize(("t", "rotates"), [(39, False), (40, True)])
def test_the_window_start_is_inclusive(master, clock, t, rotates):
    rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    s0 = state(client)[0]
    at(clock, t)
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    assert (state(client)[0] != s0) is rotates


@pytest.mark.django_db
def test_dcr_rotation_follows_the_configuration(master, clock):
    """whenUpdateDynamicClientRotationMustFollowConfiguration."""
    rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    s0 = state(client)[0]
    services.client_update(client=client, representation={"description": "t0"}, actor=DCR)
    assert state(client) == (s0, 0, 60, None, None)  # same secret, same expiry

    at(clock, 61)
    services.client_update(client=client, representation={"description": "t61"}, actor=DCR)
    s1 = state(client)[0]
    assert s1 != s0
    assert auth(master, client, s1) == "current"
    assert auth(master, client, s0) == "rotated"

    at(clock, 100)  # the rotated secret expired at 61 + 30
    assert auth(master, client, s0) == REFUSED
    assert auth(master, client, s1) == "current"


@pytest.mark.django_db
def test_an_admin_update_inside_the_window_does_not_rotate(master, clock):
    rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    s0 = state(client)[0]
    at(clock, 55)
    services.client_update(client=client, representation={"description": "admin"}, actor=CONSOLE)
    assert state(client) == (s0, 0, 60, None, None)


@pytest.mark.django_db
def test_a_dcr_update_without_expiry_only_sets_one(master, clock):
    client = create(master)
    rotation_policy_make(master, 60, 30, 20)
    s0 = state(client)[0]
    at(clock, 10)
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    assert state(client) == (s0, 0, 70, None, None)


# --- docs/keycloak.md §1.8 several secret-rotation executors -------------------------------------------


def two_executors(master, first, second, *, conditions=None):
    profile_make(master, "multi", [("secret-rotation", rotation_config(*first)), ("secret-rotation", rotation_config(*second))])
    policy_make(master, "multi", conditions or [("client-access-type", {"type": ["confidential"]})], ["multi"])


@pytest.mark.django_db
def test_several_executors_on_create_the_first_sets_the_expiry(master, clock):
    two_executors(master, (3600, 600, 1800), (7200, 1200, 3600))
    client = create(master)
    assert state(client)[2] == 3600


@pytest.mark.django_db
def test_several_executors_on_an_expired_admin_update_the_first_rotates_once(master, clock):
    two_executors(master, (3600, 600, 1800), (7200, 1200, 3600))
    client = create(master)
    s0 = state(client)[0]
    at(clock, 3601)
    services.client_update(client=client, representation={"description": "x"}, actor=CONSOLE)
    s1, created, expiration, rotated, rotated_expiration = state(client)
    assert (created, expiration, rotated, rotated_expiration) == (3601, 3601 + 3600, s0, 3601 + 600)


@pytest.mark.django_db
def test_several_executors_on_a_dcr_update_can_rotate_twice(master, clock):
    # The second's remaining period (80) >= the first's expiration (60): its window is open on the
    # fresh secret, so it rotates again and the original secret is gone.
    two_executors(master, (60, 30, 20), (100, 50, 80))
    client = create(master)
    s0 = state(client)[0]
    at(clock, 41)
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    s2, created, expiration, s1, rotated_expiration = state(client)
    assert len({s0, s1, s2}) == 3
    assert (created, expiration, rotated_expiration) == (41, 141, 91)
    assert auth(master, client, s0) == REFUSED
    assert auth(master, client, s1) == "rotated"
    assert auth(master, client, s2) == "current"


@pytest.mark.django_db
def test_several_executors_on_regenerate_all_force_rotate_and_the_last_wins(master, clock):
    two_executors(master, (3600, 600, 1800), (7200, 1200, 3600))
    client = create(master)
    s0 = state(client)[0]
    at(clock, 10)
    new = services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client) == (new, 10, 10 + 7200, s0, 10 + 1200)


@pytest.mark.django_db
def test_several_policies_run_in_order(master, clock):
    rotation_policy_make(master, 3600, 600, 1800, name="first")
    rotation_policy_make(master, 7200, 1200, 3600, name="second")
    client = create(master)
    at(clock, 5)
    new = services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client)[2] == 5 + 7200 and state(client)[4] == 5 + 1200 and state(client)[0] == new


# --- rotated-expiration-period <= 0 drops the old secret ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("rotated_period", [0, -5])
def test_rotated_expiration_zero_or_less_drops_the_old_secret(master, clock, rotated_period):
    client = create(master)
    store.secret_store_rotated(client, "an-older-rotated-secret", now=T0, expiration_time=T0 + 10**6)
    rotation_policy_make(master, 3600, rotated_period, 1800)
    old = state(client)[0]
    new = services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client) == (new, 0, 3600, None, None)
    assert auth(master, client, old) == REFUSED
    assert auth(master, client, "an-older-rotated-secret") == REFUSED


# --- the clean-up rule (docs/keycloak.md §3.3 step 6) -------------------------------------------------


@pytest.mark.django_db
def test_disabling_the_policy_clears_on_the_next_regenerate(master, clock):
    """removingPolicyMustClearRotationInformationFromClientOnRequestNewSecret."""
    policy = rotation_policy_make(master)
    client = create(master)
    services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client)[3] is not None
    ClientPolicy.objects.filter(pk=policy.pk).delete()
    at(clock, 20)
    new = services.client_secret_regenerate(client=client, actor=CONSOLE)
    assert state(client) == (new, 20, None, None, None)


@pytest.mark.django_db
def test_no_longer_matching_clears_on_the_next_update(master, clock):
    rotation_policy_make(master, conditions=[("client-attributes", {"attributes": json.dumps([{"key": "rotate", "value": "yes"}])})])
    client = create(master, attributes={"rotate": "yes"})
    assert state(client)[2] == 3600
    at(clock, 10)
    services.client_update(client=client, representation={"attributes": {"rotate": "no"}}, actor=CONSOLE)
    assert state(client)[2] is None


@pytest.mark.django_db
def test_an_expiry_set_while_the_policy_applied_is_still_enforced_until_the_next_update(master, clock):
    policy = rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    s0 = state(client)[0]
    policy.enabled = False
    policy.save()
    at(clock, 61)
    assert auth(master, client, s0) == REFUSED  # the authenticator does not ask the policies
    services.client_update(client=client, representation={"description": "x"}, actor=CONSOLE)
    assert auth(master, client, s0) == "current"


@pytest.mark.django_db
def test_updater_context_policy_only_for_dcr_updates(master, clock):
    rotation_policy_make(master, 60, 30, 20, conditions=[("client-updater-context", {"update-client-source": ["ByRegistrationAccessToken"]})])
    client = create(master)  # ByAuthenticatedUser: the policy does not apply
    assert state(client)[2] is None
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    assert state(client)[2] == 60
    # An admin update is not covered: the clean-up removes the expiry.
    services.client_update(client=client, representation={"description": "admin"}, actor=CONSOLE)
    assert state(client)[2] is None


# --- public and bearer-only clients ---------------------------------------------------------------


@pytest.mark.django_db
def test_public_clients_are_untouched(master, clock):
    profile_make(master, "p", [("secret-rotation", rotation_config(3600, 600, 1800))])
    policy_make(master, "all", [("any-client", {})], ["p"])
    public = create(master, "spa", publicClient=True)
    assert store.secret_rows(public) == (None, None)
    services.client_update(client=public, representation={"description": "x"}, actor=CONSOLE)
    assert store.secret_rows(public) == (None, None)
    # Re-generate is refused: a secret would let a public client authenticate as confidential.
    with pytest.raises(services.ClientHasNoSecret):
        services.client_secret_regenerate(client=public, actor=CONSOLE)
    assert store.secret_rows(public) == (None, None)


@pytest.mark.django_db
def test_switching_a_client_to_public_clears_its_rotation(master, clock):
    rotation_policy_make(master)
    client = create(master)
    services.client_secret_regenerate(client=client, actor=CONSOLE)
    services.client_update(client=client, representation={"publicClient": True}, actor=CONSOLE)
    assert store.secret_rows(client) == (None, None)


# --- what the services record --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_update_event_carries_the_rotation_attributes_masked(master, clock):
    rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    at(clock, 61)
    services.client_update(client=client, representation={"description": "rotate"}, actor=CONSOLE)
    event = AdminEvent.objects.filter(operation_type="UPDATE", resource_type="CLIENT").latest("id")
    attributes = json.loads(event.representation)["attributes"]
    assert attributes["client.secret.expiration.time"] == str(T0 + 121)
    assert attributes["client.secret.rotated.expiration.time"] == str(T0 + 91)
    assert attributes["client.secret.rotated"] == "**********"
    assert state(client)[3] not in event.representation


@pytest.mark.django_db
def test_a_dcr_update_without_a_matching_policy_keeps_the_rotation_info(master, clock):
    """docs/keycloak.md §7.5 step 6: dynamic-registration updates have no clean-up step, unlike admin updates."""
    policy = rotation_policy_make(master, 60, 30, 20)
    client = create(master)
    services.client_secret_regenerate(client=client, actor=CONSOLE)
    before = state(client)
    assert before[2] is not None and before[3] is not None
    ClientPolicy.objects.filter(pk=policy.pk).update(enabled=False)
    at(clock, 5)
    services.client_update(client=client, representation={"description": "dcr"}, actor=DCR)
    assert state(client) == before
    services.client_update(client=client, representation={"description": "admin"}, actor=CONSOLE)
    assert state(client)[2] is None and state(client)[3] is None
