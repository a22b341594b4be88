"""How ``bench/soak.py`` judges what it saw: the verdicts the soak test relies on can fail.

No server here: answers, changes and admin events are made up with known times (seconds on the
soak's monotonic clock), and the judge must call each one right.
"""

from __future__ import annotations

import argparse

import pytest

from bench.soak import REALM, Answer, Life, PolicyChange, Soak, SoakClient

MAX_AGE = 5.0


@pytest.fixture
def soak():
    return Soak(instances=[], args=argparse.Namespace(client_cache_max_age=MAX_AGE), admin_password="")


@pytest.fixture
def client():
    # "old" was valid from the start and invalidated by a call sent at 100 and answered at 101;
    # "new" was made valid by that same call.
    return SoakClient("uuid-1", "soak-0", "new", lives={"old": Life((0, 0), died=(100, 101)), "new": Life((100, 101))})


def verdicts(soak, client, *answers) -> dict:
    soak.answers = [Answer(client, secret, 0, sent, answered, status) for secret, sent, answered, status in answers]
    return {k: v for k, v in soak.judge().items() if v and k not in ("examples", "stale_max_late")}


def test_answers_that_agree_with_the_changes_are_right(soak, client):
    assert verdicts(
        soak, client,
        ("old", 50, 51, 200),  # valid then
        ("old", 100.5, 102, 200),  # sent while the call was in flight: either answer is right
        ("old", 100.5, 102, 401),
        ("new", 100.5, 102, 401),  # sent before the call that made it valid was answered
        ("old", 102, 103, 401),
        ("new", 102, 103, 200),
    ) == {"ok": 6}


def test_a_token_for_a_secret_invalid_for_longer_than_the_bound_is_wrong(soak, client):
    assert verdicts(soak, client, ("old", 101 + MAX_AGE + 0.01, 107, 200)) == {"wrong_accepted": 1}


def test_a_token_for_a_secret_invalidated_within_the_bound_is_stale_not_wrong(soak, client):
    soak.answers = [Answer(client, "old", 0, 101 + MAX_AGE - 0.5, 107, 200)]
    judged = soak.judge()
    assert (judged["stale"], judged["wrong_accepted"]) == (1, 0)
    assert judged["stale_max_late"] == pytest.approx(MAX_AGE - 0.5)


def test_a_refusal_of_a_valid_secret_is_wrong_at_once(soak, client):
    assert verdicts(soak, client, ("new", 101.001, 101.01, 401), ("old", 99, 99.5, 401)) == {"wrong_refused": 2}


def test_other_statuses_are_counted_apart(soak, client):
    assert verdicts(soak, client, ("new", 200, 201, 500), ("new", 200, 201, 429), ("new", 200, 201, 0)) == {
        "5xx": 1, "unexpected": 1, "connection_errors": 1,
    }


def test_a_regenerate_against_a_settled_policy_is_wrong(soak):
    soak.policy_changes = [PolicyChange(10, 10.5, rotation_on=True), PolicyChange(20, 20.5, rotation_on=False)]
    soak.regenerate_checks = [
        (5, 6, False),  # before any change: rotation off, old secret dropped
        (13, 14, True),  # rotation on for 2.5 s
        (11, 11.2, False),  # within the policy cache's bound after the change: either is right
        (19.9, 20.1, False),  # while a change was in flight: either is right
        (30, 31, False),
    ]
    assert soak.judge_regenerates() == 0
    soak.regenerate_checks += [(13, 14, False), (30, 31, True)]
    assert soak.judge_regenerates() == 2


def test_each_write_needs_exactly_one_event_and_the_last_state_read_back(soak, client):
    client.regenerates, client.invalidations = 2, 1
    soak.clients = [client]
    soak.policy_puts, soak.profile_puts = 1, 1
    soak.last_policies, soak.last_profiles = {"policies": []}, {"profiles": []}
    secret_events = [
        {"operationType": "ACTION", "resourceType": "CLIENT", "resourcePath": "clients/uuid-1/client-secret"},
        {"operationType": "ACTION", "resourceType": "CLIENT", "resourcePath": "clients/uuid-1/client-secret"},
        {"operationType": "DELETE", "resourceType": "CLIENT", "resourcePath": "clients/uuid-1/client-secret/rotated"},
    ]
    document_events = [
        {"operationType": "UPDATE", "resourceType": kind, "resourcePath": "x"} for kind in ("CLIENT_POLICY", "CLIENT_PROFILE")
    ]
    stored = {
        f"/{REALM}/clients/uuid-1/client-secret": (200, {"type": "secret", "value": "new"}),
        f"/{REALM}/clients/uuid-1/client-secret/rotated": (404, {"error": "Client does not have a rotated secret"}),
        f"/{REALM}/client-policies/policies": (200, {"policies": []}),
        f"/{REALM}/client-policies/profiles": (200, {"profiles": []}),
    }

    def read(instance, path):
        if "admin-events" in path:
            return 200, events
        return stored[path]

    soak.read = read
    events = secret_events + document_events
    assert soak.write_checks() == []

    events = secret_events[1:] + document_events * 2  # a Re-generate lost, each document event twice
    stored[f"/{REALM}/clients/uuid-1/client-secret"] = (200, {"type": "secret", "value": "old"})
    stored[f"/{REALM}/client-policies/policies"] = (200, {"policies": [{"name": "p"}]})
    assert soak.write_checks() == [
        "soak-0: 2 Re-generates answered 200, 1 admin events",
        "soak-0: the stored secret is not the last one regenerated",
        "CLIENT_POLICY: 1 replacements answered 204, 2 admin events",
        "CLIENT_POLICY: the stored document is not the last one written",
        "CLIENT_PROFILE: 1 replacements answered 204, 2 admin events",
    ]
