#!/usr/bin/env python
"""``make soak``: two app instances on one PostgreSQL database, under token and admin load.

Two gunicorn servers (as ``make run`` starts them) on different ports share one database. For a
fixed duration, client threads request ``client_credentials`` tokens on both instances while
administrator threads, through the Admin REST API with a bearer token, regenerate secrets,
invalidate rotated secrets and replace the realm's client policies and profiles (a
``secret-rotation`` policy on, then off again) on both.

The soak is the only writer, so it knows the truth: every secret it made and when the call that
made it valid, or invalid, was sent and answered. Every token answer is judged against that:

* a token for a secret is *wrong* when the request was sent more than ``CLIENT_CACHE_MAX_AGE``
  after the call that invalidated the secret had been answered (README, "Configuration": a worker
  may answer from its cached rows for at most that long if a change notification is lost). Sent
  after the call but within the bound, it is counted as *stale*, reported, and allowed;
* a refusal of a secret is *wrong* when the request was sent after the call that made it valid had
  been answered and was answered before any call invalidating it was sent. No tolerance: a refusal
  is never decided from cached rows (README, "Benchmarks");
* a Re-generate answered more than the policy cache's bound (2 s, or ``CLIENT_CACHE_MAX_AGE`` if
  less) after the last policy change that does not follow that policy (the old secret kept as the
  rotated one exactly when the ``secret-rotation`` policy is on) is wrong too;
* any answer other than 200 and 401 to a token request is unexpected, and so is any 5xx.

Lost or duplicated writes: each Re-generate and each Invalidate that removed a rotated secret must
have made exactly one admin event, each policy and profile replacement one; the final secrets and
documents read back must be the last ones the soak wrote; and after the run (once the bound has
passed) both instances must accept exactly the valid secrets.

Propagation: after a Re-generate on one instance, the other is polled with the new secret until it
is accepted and, when the old secret was dropped, with the old one until it is refused.

Prints a Markdown report (``--json FILE`` writes the figures too) and exits 1 when any of 5xx,
wrong answers, unexpected answers, lost or duplicated writes is not zero. Without
``--database-url`` it starts a throwaway cluster (``scripts/pg-test-cluster``); with one, it
creates a database of its own on that server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REALM = "soak"
ROTATION_PROFILE = "soak-rotation"
# Longer than any soak: secrets and rotated secrets never expire during the run, so validity
# changes only through the calls the soak makes (and knows the times of).
EXPIRATION, ROTATED_EXPIRATION, REMAINING = 7200, 3600, 600
# README, "Configuration": realm settings and client policies are kept at most 2 s per worker.
POLICY_CACHE_TTL = 2.0
ADMIN_ANSWERS = {"regenerate": {200}, "read rotated": {200, 404}, "invalidate": {204}, "policies": {204}, "profiles": {204}}
CLIENT_ERRORS = ("Bad Request: ", "Unauthorized: ", "Forbidden: ", "Not Found: ", "Too Many Requests: ")


# --- plumbing --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, *, form: dict | None = None, body=None, token: str | None = None) -> tuple[int, object]:
    """(status, parsed JSON or text); status 0 when the connection failed."""
    headers, data = {}, None
    if form is not None:
        data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


class Instance:
    """One gunicorn server, started as ``make run`` starts it."""

    def __init__(self, name: str, env: dict, workers: int, logdir: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = logdir / f"gunicorn-{name}.log"
        cmd = [PY, "-m", "gunicorn", "adminconsole.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
               "--forwarded-allow-ips=127.0.0.1", "--log-level", "warning", "--timeout", "60"]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if http("GET", f"{self.url}/realms/master/.well-known/openid-configuration")[0] == 200:
                return
            time.sleep(0.2)
        raise SystemExit(f"instance {self.name} did not come up:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


# --- the truth the soak keeps ----------------------------------------------------------------------


@dataclass
class Life:
    """When a secret was valid: the (sent, answered) times of the calls that made it valid and invalid."""

    born: tuple[float, float]
    died: tuple[float, float] | None = None


@dataclass
class SoakClient:
    uuid: str
    client_id: str
    current: str
    rotated: str | None = None
    lives: dict[str, Life] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)  # recently invalidated values, to try again
    regenerates: int = 0
    invalidations: int = 0  # DELETE .../rotated calls that removed a rotated secret
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pick(self, rng: random.Random) -> str:
        with self.lock:
            roll = rng.random()
            if roll < 0.2 and self.dead:
                return rng.choice(self.dead[-4:])
            if roll < 0.4 and self.rotated:
                return self.rotated
            return self.current

    def kill(self, value: str, when: tuple[float, float]) -> None:
        self.lives[value].died = when
        self.dead.append(value)


@dataclass
class Answer:
    client: SoakClient
    secret: str
    instance: int
    sent: float
    answered: float
    status: int


@dataclass
class PolicyChange:
    sent: float
    answered: float
    rotation_on: bool  # whether the secret-rotation policy applies after this change


class Soak:
    def __init__(self, instances: list[Instance], args, admin_password: str):
        self.instances = instances
        self.admin_password = admin_password
        self.args = args
        self.max_age = args.client_cache_max_age
        self.policy_bound = min(POLICY_CACHE_TTL, self.max_age)
        self.answers: list[Answer] = []
        self.admin_statuses: list[tuple[str, int]] = []  # (call, status) of every admin call
        self.regenerate_checks: list[tuple[float, float, bool]] = []  # (sent, answered, old secret kept)
        self.inconsistent: list[str] = []  # Re-generates whose rotated secret is neither none nor the old secret
        self.policy_changes: list[PolicyChange] = []
        self.policy_puts = 0
        self.profile_puts = 0
        self.last_policies: dict = {"policies": []}
        self.last_profiles: dict = {}
        # (what changed: "new" or "dropped", seconds until the other instance agreed or None, on the first request)
        self.probes: list[tuple[str, float | None, bool]] = []
        self.clients: list[SoakClient] = []
        self.stop = threading.Event()
        self.admin_token = ""

    # --- calls ---

    def token_url(self, instance: int) -> str:
        return f"{self.instances[instance].url}/realms/{REALM}/protocol/openid-connect/token"

    def grant(self, client: SoakClient, secret: str, instance: int) -> Answer:
        form = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
        sent = time.monotonic()
        status, _ = http("POST", self.token_url(instance), form=form)
        answer = Answer(client, secret, instance, sent, time.monotonic(), status)
        self.answers.append(answer)
        return answer

    def admin(self, name: str, method: str, instance: int, path: str, body=None) -> tuple[int, object, float, float]:
        sent = time.monotonic()
        status, payload = http(method, f"{self.instances[instance].url}/admin/realms{path}", body=body, token=self.admin_token)
        answered = time.monotonic()
        self.admin_statuses.append((name, status))
        return status, payload, sent, answered

    # --- set-up ---

    def admin_sign_in(self) -> None:
        form = {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": self.admin_password}
        status, body = http("POST", f"{self.instances[0].url}/realms/master/protocol/openid-connect/token", form=form)
        if status != 200:
            raise SystemExit(f"admin sign-in failed: {status} {body}")
        self.admin_token = body["access_token"]

    def setup(self) -> None:
        self.admin_sign_in()
        lifespan = int(self.args.duration + 600)  # the admin token outlives the run
        self.setup_call("PUT", "/master", {"accessTokenLifespan": lifespan}, 204)
        self.admin_sign_in()
        self.setup_call("POST", "", {"realm": REALM, "enabled": True, "accessTokenLifespan": 300}, 201)
        self.last_profiles = self.profiles_document(ROTATED_EXPIRATION)
        self.setup_call("PUT", f"/{REALM}/client-policies/profiles", self.last_profiles, 204)
        self.setup_call("PUT", f"/{REALM}/client-policies/policies", self.last_policies, 204)
        self.profile_puts = self.policy_puts = 1  # each made an admin event too
        for n in range(self.args.clients):
            client_id = f"soak-{n}"
            self.setup_call("POST", f"/{REALM}/clients", {"clientId": client_id, "publicClient": False, "serviceAccountsEnabled": True}, 201)
            found = self.setup_call("GET", f"/{REALM}/clients?clientId={client_id}", None, 200)
            uuid = found[0]["id"]
            secret = self.setup_call("GET", f"/{REALM}/clients/{uuid}/client-secret", None, 200)["value"]
            now = time.monotonic()
            self.clients.append(SoakClient(uuid, client_id, secret, lives={secret: Life((now, now))}))
        # Both instances answer for every client before the clock starts.
        for client in self.clients:
            for instance in range(len(self.instances)):
                if self.grant(client, client.current, instance).status != 200:
                    raise SystemExit(f"{client.client_id} gets no token from instance {instance} before the run")
        self.answers.clear()
        self.admin_statuses.clear()

    def setup_call(self, method: str, path: str, body, expected: int):
        status, payload = http(method, f"{self.instances[0].url}/admin/realms{path}", body=body, token=self.admin_token)
        if status != expected:
            raise SystemExit(f"set-up {method} {path}: {status} {payload}")
        return payload

    @staticmethod
    def profiles_document(rotated_expiration: int) -> dict:
        configuration = {"expiration-period": str(EXPIRATION), "rotated-expiration-period": str(rotated_expiration),
                         "remaining-rotation-period": str(REMAINING)}
        return {"profiles": [{"name": ROTATION_PROFILE, "description": "soak",
                              "executors": [{"executor": "secret-rotation", "configuration": configuration}]}]}

    @staticmethod
    def policies_document(on: bool) -> dict:
        if not on:
            return {"policies": []}
        condition = {"condition": "client-access-type", "configuration": {"is-negative-logic": False, "type": ["confidential"]}}
        return {"policies": [{"name": "soak-rotation-policy", "description": "soak", "enabled": True,
                              "conditions": [condition], "profiles": [ROTATION_PROFILE]}]}

    # --- the loads ---

    def token_worker(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            client = rng.choice(self.clients)
            self.grant(client, client.pick(rng), rng.randrange(len(self.instances)))

    def admin_worker(self, seed: int, owned: list[SoakClient]) -> None:
        """Regenerates and invalidates the secrets of the clients it owns (one writer per client)."""
        rng = random.Random(seed)
        turn = seed
        while not self.stop.is_set():
            client = rng.choice(owned)
            turn += 1
            here, there = turn % 2, (turn + 1) % 2
            if client.rotated and rng.random() < 0.4:
                self.invalidate(client, here)
            else:
                self.regenerate(client, here, there)
            self.stop.wait(rng.uniform(0, 2 * self.args.admin_pause))

    def regenerate(self, client: SoakClient, here: int, there: int) -> None:
        status, payload, sent, answered = self.admin("regenerate", "POST", here, f"/{REALM}/clients/{client.uuid}/client-secret")
        if status != 200:
            return
        new = payload["value"]
        # The soak is the only writer of this client: the rotated secret read now is the one the
        # Re-generate left, i.e. whether the secret-rotation policy applied to it.
        status, rotated, *_ = self.admin("read rotated", "GET", there, f"/{REALM}/clients/{client.uuid}/client-secret/rotated")
        rotated = rotated["value"] if status == 200 else None
        with client.lock:
            old, old_rotated = client.current, client.rotated
            client.regenerates += 1
            client.lives[new] = Life((sent, answered))
            client.current = new
            kept = rotated == old
            if rotated is not None and not kept:
                self.inconsistent.append(client.client_id)
            if old_rotated is not None:
                client.kill(old_rotated, (sent, answered))
            if kept:
                client.rotated = old
            else:
                client.rotated = None
                client.kill(old, (sent, answered))
        self.regenerate_checks.append((sent, answered, kept))
        self.probe(client, there, new, answered, want=200)
        if not kept:
            self.probe(client, there, old, answered, want=401)

    def probe(self, client: SoakClient, instance: int, secret: str, since: float, *, want: int) -> None:
        """Poll the other instance until it gives the answer the change calls for."""
        deadline = since + self.max_age + 5
        first = True
        while time.monotonic() < deadline:
            answer = self.grant(client, secret, instance)
            if answer.status == want:
                self.probes.append(("new" if want == 200 else "dropped", answer.answered - since, first))
                return
            first = False
        self.probes.append(("new" if want == 200 else "dropped", None, False))

    def invalidate(self, client: SoakClient, here: int) -> None:
        status, _, sent, answered = self.admin("invalidate", "DELETE", here, f"/{REALM}/clients/{client.uuid}/client-secret/rotated")
        if status != 204:
            return
        with client.lock:
            client.invalidations += 1
            client.kill(client.rotated, (sent, answered))
            client.rotated = None

    def policy_worker(self, seed: int) -> None:
        """Turns the secret-rotation policy on and off, and rewrites the profile, on both instances."""
        rng = random.Random(seed)
        turn, on = 0, False
        while not self.stop.is_set():
            turn += 1
            if turn % 2:
                on = not on
                document = self.policies_document(on)
                status, _, sent, answered = self.admin("policies", "PUT", turn % 2, f"/{REALM}/client-policies/policies", document)
                if status == 204:
                    self.policy_puts += 1
                    self.last_policies = document
                    self.policy_changes.append(PolicyChange(sent, answered, on))
                else:
                    on = not on
            else:
                document = self.profiles_document(rng.choice([ROTATED_EXPIRATION, ROTATED_EXPIRATION - 600]))
                status, *_ = self.admin("profiles", "PUT", turn % 2, f"/{REALM}/client-policies/profiles", document)
                if status == 204:
                    self.profile_puts += 1
                    self.last_profiles = document
            self.stop.wait(rng.uniform(0.5, 1.5) * self.args.policy_pause)

    def run(self) -> float:
        threads = [threading.Thread(target=self.token_worker, args=(n,)) for n in range(self.args.token_threads)]
        admins = max(1, min(self.args.admin_threads, len(self.clients)))
        for n in range(admins):
            threads.append(threading.Thread(target=self.admin_worker, args=(1000 + n, self.clients[n::admins])))
        threads.append(threading.Thread(target=self.policy_worker, args=(2000,)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        self.stop.wait(self.args.duration)
        self.stop.set()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    # --- after the run ---

    def final_checks(self) -> list[str]:
        """Lost or duplicated writes: events against calls, state read back, secrets accepted."""
        return self.write_checks() + self.after_bound_checks()

    def write_checks(self) -> list[str]:
        """Each write made exactly one admin event, and the state read back is the last one written."""
        problems = []
        events = self.admin_events()
        for client in self.clients:
            base = f"clients/{client.uuid}/client-secret"
            regenerated = sum(1 for e in events if e["operationType"] == "ACTION" and e["resourcePath"].endswith(base))
            dropped = sum(1 for e in events if e["operationType"] == "DELETE" and e["resourcePath"].endswith(base + "/rotated"))
            if regenerated != client.regenerates:
                problems.append(f"{client.client_id}: {client.regenerates} Re-generates answered 200, {regenerated} admin events")
            if dropped != client.invalidations:
                problems.append(f"{client.client_id}: {client.invalidations} rotated secrets invalidated, {dropped} admin events")
            status, current = self.read(0, f"/{REALM}/clients/{client.uuid}/client-secret")
            if status != 200 or current.get("value") != client.current:
                problems.append(f"{client.client_id}: the stored secret is not the last one regenerated")
            status, rotated = self.read(1, f"/{REALM}/clients/{client.uuid}/client-secret/rotated")
            if (rotated.get("value") if status == 200 else None) != client.rotated:
                problems.append(f"{client.client_id}: the stored rotated secret is not the one the soak left")
        for kind, puts, last in (("CLIENT_POLICY", self.policy_puts, self.last_policies), ("CLIENT_PROFILE", self.profile_puts, self.last_profiles)):
            count = sum(1 for e in events if e["resourceType"] == kind and e["operationType"] == "UPDATE")
            if count != puts:
                problems.append(f"{kind}: {puts} replacements answered 204, {count} admin events")
            path = "policies" if kind == "CLIENT_POLICY" else "profiles"
            status, stored = self.read(1, f"/{REALM}/client-policies/{path}")
            if stored != last:
                problems.append(f"{kind}: the stored document is not the last one written")
        return problems

    def after_bound_checks(self) -> list[str]:
        """Once every cached row is past the bound, each instance accepts exactly the valid secrets."""
        problems = []
        time.sleep(self.max_age + 0.5)
        for client in self.clients:
            recent = [client.current, *([client.rotated] if client.rotated else []), *client.dead[-3:]]
            for instance in range(len(self.instances)):
                for value in recent:
                    want = 401 if client.lives[value].died else 200
                    answer = self.grant(client, value, instance)
                    if answer.status != want:
                        problems.append(f"{client.client_id}: after the run, instance {instance} answers {answer.status}, not {want}")
        return problems

    def read(self, instance: int, path: str) -> tuple[int, object]:
        return http("GET", f"{self.instances[instance].url}/admin/realms{path}", token=self.admin_token)

    def admin_events(self) -> list[dict]:
        events, first = [], 0
        while True:
            status, page = self.read(0, f"/{REALM}/admin-events?first={first}&max=1000")
            if status != 200:
                raise SystemExit(f"admin events: {status} {page}")
            events += page
            if len(page) < 1000:
                return events
            first += len(page)

    def judge(self) -> dict:
        counts = {"ok": 0, "stale": 0, "wrong_accepted": 0, "wrong_refused": 0, "unexpected": 0, "5xx": 0, "connection_errors": 0}
        stale_late = []
        examples = []
        for answer in self.answers:
            life = answer.client.lives[answer.secret]
            verdict = "ok"
            if answer.status == 200:
                if life.died and answer.sent > life.died[1]:
                    late = answer.sent - life.died[1]
                    verdict = "wrong_accepted" if late > self.max_age else "stale"
                    stale_late.append(late)
                elif answer.answered < life.born[0]:
                    verdict = "wrong_accepted"
            elif answer.status == 401:
                if life.born[1] < answer.sent and (life.died is None or life.died[0] > answer.answered):
                    verdict = "wrong_refused"
            elif answer.status == 0:
                verdict = "connection_errors"
            else:
                verdict = "5xx" if answer.status >= 500 else "unexpected"
            counts[verdict] += 1
            if verdict not in ("ok", "stale") and len(examples) < 10:
                examples.append(f"{verdict}: {answer.client.client_id} on instance {answer.instance}, HTTP {answer.status}")
        counts["stale_max_late"] = max(stale_late, default=0.0)
        counts["examples"] = examples
        return counts

    def judge_regenerates(self) -> int:
        """Re-generates that did not follow a policy settled for longer than the policy cache's bound."""
        wrong = 0
        for sent, answered, kept in self.regenerate_checks:
            before = [c for c in self.policy_changes if c.sent <= answered]
            if any(c.answered > sent - self.policy_bound for c in before):
                continue  # a change in flight or within the bound: either outcome is right
            on = before[-1].rotation_on if before else False
            wrong += kept != on
        return wrong


def p50_max_ms(values: list[float]) -> list[float]:
    if not values:
        return [0.0, 0.0]
    ordered = sorted(values)
    return [round(ordered[len(ordered) // 2] * 1000, 1), round(ordered[-1] * 1000, 1)]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({cpu}); load average before the run {load}"


def report(soak: Soak, elapsed: float, answers: dict, wrong_regenerates: int, problems: list[str], args, before: str) -> dict:
    admin_5xx = sum(1 for _, status in soak.admin_statuses if status >= 500)
    seen = {kind: [seconds for k, seconds, _ in soak.probes if k == kind and seconds is not None] for kind in ("new", "dropped")}
    admin_failed = [(name, status) for name, status in soak.admin_statuses if status not in ADMIN_ANSWERS[name]]
    figures = {
        "duration": round(elapsed, 1),
        "token_requests": len(soak.answers),
        "admin_calls": len(soak.admin_statuses),
        "regenerates": sum(c.regenerates for c in soak.clients),
        "invalidations": sum(c.invalidations for c in soak.clients),
        "policy_changes": soak.policy_puts,
        "profile_changes": soak.profile_puts,
        "5xx": answers["5xx"] + admin_5xx,
        "connection_errors": answers["connection_errors"] + sum(1 for _, s in soak.admin_statuses if s == 0),
        "wrong_answers": answers["wrong_accepted"] + answers["wrong_refused"] + wrong_regenerates + len(soak.inconsistent),
        "wrong_accepted": answers["wrong_accepted"],
        "wrong_refused": answers["wrong_refused"],
        "wrong_regenerates": wrong_regenerates + len(soak.inconsistent),
        "unexpected": answers["unexpected"] + sum(1 for _, status in admin_failed if 0 < status < 500),
        "stale_within_bound": answers["stale"],
        "stale_max_late": round(answers["stale_max_late"], 3),
        "lost_or_duplicated_writes": len(problems),
        "propagation_new": p50_max_ms(seen["new"]),
        "propagation_dropped": p50_max_ms(seen["dropped"]),
        "propagation_samples": [len(seen["new"]), len(seen["dropped"])],
        "propagation_first_probe": sum(1 for _, _, first in soak.probes if first),
        "propagation_timeouts": sum(1 for _, seconds, _ in soak.probes if seconds is None),
        "problems": problems + answers["examples"] + [f"admin call {n}: HTTP {s}" for n, s in admin_failed[:10]],
    }
    rows = [
        ("Token requests", f"{figures['token_requests']} ({figures['token_requests'] / elapsed:.0f}/s)"),
        ("Admin calls (Re-generate, read rotated, Invalidate, policies, profiles)", figures["admin_calls"]),
        ("Re-generates / Invalidates / policy replacements / profile replacements",
         f"{figures['regenerates']} / {figures['invalidations']} / {figures['policy_changes']} / {figures['profile_changes']}"),
        ("**5xx** (must be 0)", figures["5xx"]),
        ("Connection errors (must be 0)", figures["connection_errors"]),
        ("**Wrong answers** (must be 0): token for an invalid secret / refusal of a valid one / Re-generate against a settled policy",
         f"{figures['wrong_answers']} ({figures['wrong_accepted']} / {figures['wrong_refused']} / {figures['wrong_regenerates']})"),
        ("Unexpected statuses (must be 0)", figures["unexpected"]),
        (f"Stale acceptances within the bound ({soak.max_age:g} s)",
         f"{figures['stale_within_bound']} (latest {figures['stale_max_late'] * 1000:.0f} ms after the call)"),
        ("**Lost or duplicated writes** (must be 0)", figures["lost_or_duplicated_writes"]),
        ("New secret accepted by the other instance, p50 / max",
         f"{figures['propagation_new'][0]} ms / {figures['propagation_new'][1]} ms ({figures['propagation_samples'][0]} changes)"),
        ("Dropped secret refused by the other instance, p50 / max",
         f"{figures['propagation_dropped'][0]} ms / {figures['propagation_dropped'][1]} ms ({figures['propagation_samples'][1]} changes)"),
        ("Propagation probes answered right by their first request",
         f"{figures['propagation_first_probe']} of {sum(figures['propagation_samples'])}"),
        ("Propagation probes that timed out (must be 0)", figures["propagation_timeouts"]),
    ]
    lines = [
        "## Soak: two instances on one PostgreSQL database", "",
        f"Machine: {before}. ",
        f"Load: {elapsed:.0f} s; 2 instances x {args.workers} gunicorn sync workers; {args.clients} clients; "
        f"{args.token_threads} token threads, {args.admin_threads} administrator threads, 1 policy thread; "
        f"CLIENT_CACHE_MAX_AGE {soak.max_age:g} s.", "",
        "| | |", "|---|---:|",
        *[f"| {name} | {value} |" for name, value in rows],
    ]
    if figures["problems"]:
        lines += ["", "Problems:", *[f"- {p}" for p in figures["problems"]]]
    print("\n".join(lines), flush=True)
    return figures


def phase(text: str, started: float) -> None:
    print(f"[{time.monotonic() - started:5.1f} s] {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--token-threads", type=int, default=8)
    parser.add_argument("--admin-threads", type=int, default=4)
    parser.add_argument("--admin-pause", type=float, default=0.25, help="mean seconds between one administrator's changes")
    parser.add_argument("--policy-pause", type=float, default=1.5, help="mean seconds between policy or profile changes")
    parser.add_argument("--client-cache-max-age", type=float, default=float(os.environ.get("CLIENT_CACHE_MAX_AGE", "5")))
    parser.add_argument("--database-url", help="an existing, migrated PostgreSQL database with realm master and a "
                        "superuser admin (the password in SOAK_ADMIN_PASSWORD); default: a throwaway cluster")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    before = machine()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update({
        "PYTHONPATH": str(ROOT), "DEBUG": "0", "LOG_LEVEL": "WARNING", "CLIENT_CACHE_MAX_AGE": str(args.client_cache_max_age),
        # The soak sends invalidated secrets on purpose: no lockout may turn its answers into 429.
        "CLIENT_AUTH_FAILURE_LIMIT": "100000000", "CLIENT_AUTH_CLIENT_CEILING": "100000000",
    })
    pgdir = None
    instances: list[Instance] = []
    try:
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
            password = os.environ["SOAK_ADMIN_PASSWORD"]
        else:
            pgdir = Path(tempfile.mkdtemp(prefix="soak-pg-"))  # not inside workdir: the cluster may belong to postgres
            phase("starting PostgreSQL and migrating", started)
            url = subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "start", str(pgdir)], check=True,
                                 capture_output=True, text=True).stdout.strip()
            with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE console")
            password = "soak-" + secrets.token_urlsafe(12)
            env.update({"DATABASE_URL": url, "CONSOLE_VAR_DIR": str(workdir / "var"), "CONSOLE_ADMIN_PASSWORD": password})
            for command in (["migrate", "--noinput", "-v", "0"], ["bootstrap_console"]):
                subprocess.run([PY, "manage.py", *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        phase("starting two instances", started)
        instances = [Instance(name, env, args.workers, workdir) for name in ("A", "B")]
        for instance in instances:
            instance.wait_ready()
        soak = Soak(instances, args, password)
        phase("setting up the realm and clients", started)
        soak.setup()
        phase(f"soaking for {args.duration:g} s on {instances[0].url} and {instances[1].url}", started)
        elapsed = soak.run()
        phase("checking the final state", started)
        problems = soak.final_checks()
        answers = soak.judge()
        figures = report(soak, elapsed, answers, soak.judge_regenerates(), problems, args, before)
    finally:
        for instance in instances:
            instance.stop()
            # Django logs every 4xx as a warning; anything else (a 5xx's traceback) is worth showing.
            log = "".join(line for line in instance.log.read_text(errors="replace").splitlines(keepends=True)
                          if not line.startswith(CLIENT_ERRORS))
            if log.strip():
                print(f"--- instance {instance.name} logged:\n{log[-8000:]}", file=sys.stderr, flush=True)
        if pgdir is not None:
            subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "stop", str(pgdir)], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    must_be_zero = ("5xx", "connection_errors", "wrong_answers", "unexpected", "lost_or_duplicated_writes", "propagation_timeouts")
    return 1 if any(figures[name] for name in must_be_zero) else 0


if __name__ == "__main__":
    sys.exit(main())
