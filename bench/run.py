#!/usr/bin/env python
"""``make bench``: client_credentials grants per second, this product vs django-oauth-toolkit,
on SQLite (the embedded default) and on PostgreSQL, side by side in one run.

For each database: both run under gunicorn with the same worker count (SQLite: a file each, in
WAL mode; PostgreSQL: one throwaway cluster, scripts/pg-test-cluster, a database each), measured
with wrk (many keep-alive connections); each is also timed in-process through its WSGI
application, as a multiple of one RS256 signature (bench/inprocess.py). The scale scenario gives
the product a realm of 10,000 clients, measured with 0 and then 200 enabled client-roles
policies. Then the product's token endpoint is profiled (bench/profile_token.py). Prints a
Markdown report with the targets and writes bench/results/latest.md.
Options: --duration, --warmup, --connections, --workers, --threads, --databases, --no-scale.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLIENT_ID = "bench"
SECRET = "BenchSecretOfThirtyTwoCharacters"
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


def post_form(url: str, data: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, urllib.parse.urlencode(data).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        # A worker's first request loads the app, the realm and its policies: give it time.
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_ready(url: str, data: dict, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, body = post_form(url, data)
            if status == 200 and body.get("access_token"):
                return
            raise SystemExit(f"{url} answered {status}: {body}")
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def gunicorn(wsgi: str, port: int, env: dict, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    cmd = [PY, "-m", "gunicorn", wsgi, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--worker-class", worker_class, "--threads", str(threads), "--log-level", "warning", "--backlog", "2048"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, body: str, *, duration: int, connections: int, threads: int, workdir: Path) -> dict:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )
    # A generous timeout: a slow answer is counted in the latencies, never dropped as an error.
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", str(script), url],
                         check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        latency[pct] = float(value) * UNITS[unit]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"), "requests": total,
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else "", "raw": out}


def setup_product(env: dict) -> None:
    run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    code = (
        "from realms.services import realm_create\n"
        "from clients.services import client_create\n"
        "realm = realm_create(name='bench', access_token_lifespan=300)\n"
        f"client_create(realm=realm, actor=None, representation={{'clientId': '{CLIENT_ID}',"
        f" 'serviceAccountsEnabled': True, 'secret': '{SECRET}'}})\n"
    )
    run([PY, "manage.py", "shell", "-c", code], env)


SCALE_CLIENTS = 10_000
SCALE_POLICIES = 200


def setup_scale(env: dict) -> None:
    """Realm ``scale``: the bench client among 10,000 (bulk rows: a secret each, no events)."""
    code = (
        "from clients import crypto\n"
        "from clients.models import Client, ClientSecret\n"
        "from clients.services import client_create\n"
        "from realms import clock\n"
        "from realms.services import realm_create\n"
        "realm = realm_create(name='scale', access_token_lifespan=300)\n"
        f"client_create(realm=realm, actor=None, representation={{'clientId': '{CLIENT_ID}',"
        f" 'serviceAccountsEnabled': True, 'secret': '{SECRET}'}})\n"
        "value, now = crypto.encrypt(crypto.generate_secret()), clock.epoch()\n"
        f"clients = [Client(realm=realm, client_id=f'client-{{i:05d}}', service_accounts_enabled=True) for i in range({SCALE_CLIENTS - 1})]\n"
        "Client.objects.bulk_create(clients, batch_size=500)\n"
        "ClientSecret.objects.bulk_create([ClientSecret(client=c, kind='current', value_encrypted=value, created_time=now)"
        " for c in clients], batch_size=500)\n"
    )
    run([PY, "manage.py", "shell", "-c", code], env)


def add_scale_policies(env: dict) -> None:
    """200 enabled policies, each with a client-roles condition the bench client does not meet."""
    code = (
        "from policies.services import policies_replace, profiles_replace\n"
        "from realms.models import Realm\n"
        "realm = Realm.objects.get(name='scale')\n"
        "profiles_replace(realm=realm, representation={'profiles': [{'name': 'scale-profile', 'executors': [\n"
        "    {'executor': 'secret-rotation', 'configuration': {'expiration-period': '2592000',"
        " 'rotated-expiration-period': '86400', 'remaining-rotation-period': '864000'}}]}]})\n"
        "policies_replace(realm=realm, representation={'policies': [\n"
        "    {'name': f'scale-policy-{i:03d}', 'enabled': True, 'profiles': ['scale-profile'],\n"
        "     'conditions': [{'condition': 'client-roles', 'configuration': {'roles': [f'role-{i:03d}']}}]}\n"
        f"    for i in range({SCALE_POLICIES})]}})\n"
    )
    run([PY, "manage.py", "shell", "-c", code], env)


def setup_dot(env: dict) -> None:
    run([PY, "-m", "django", "migrate", "--noinput", "-v", "0"], env)
    code = (
        "from oauth2_provider.models import Application\n"
        f"Application.objects.create(name='bench', client_id='{CLIENT_ID}', client_secret='{SECRET}', hash_client_secret=False,"
        " client_type='confidential', authorization_grant_type='client-credentials')\n"
    )
    run([PY, "-m", "django", "shell", "-c", code], env)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    pg = subprocess.run(["bash", "-c", 'b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); "${b:-/usr/bin}/postgres" --version'],
                        capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} CPUs ({cpu}){mem}; {platform.system()} {platform.release()}; Python {platform.python_version()}; {pg}"


def inprocess(env: dict, wsgi: str, path: str, requests: int) -> dict:
    # The servers just stopped: let their last workers exit before the single process is timed.
    time.sleep(3)
    out = subprocess.run([PY, str(ROOT / "bench" / "inprocess.py"), wsgi, path, FORM_BODY, str(requests)],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
FORM_BODY = urllib.parse.urlencode(FORM)
PRODUCT = ("adminconsole.wsgi:application", "/realms/{realm}/protocol/openid-connect/token")
DOT = ("bench.dot_wsgi:application", "/o/token/")


def load(args, name: str, wsgi: str, env: dict, path: str, workdir: Path) -> dict:
    """Start gunicorn, warm it up, measure it with wrk, stop it."""
    port = free_port()
    proc = gunicorn(wsgi, port, env, args.workers, args.worker_class, args.server_threads)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        wait_ready(url, FORM)
        print(f"  {name}: warming up {args.warmup}s, measuring {args.duration}s ...", flush=True)
        wrk(url, FORM_BODY, duration=args.warmup, connections=args.connections, threads=args.threads, workdir=workdir)
        return wrk(url, FORM_BODY, duration=args.duration, connections=args.connections, threads=args.threads, workdir=workdir)
    finally:
        stop(proc)


def database(args, kind: str, workdir: Path, pg_base: str | None) -> dict:
    """Every measurement on one kind of database."""
    common = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "DEBUG": "0", "CONSOLE_VAR_DIR": str(workdir / "var")}
    if kind == "postgresql":
        with psycopg.connect(f"{pg_base}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE console")
            conn.execute("CREATE DATABASE dot")
        urls = (f"{pg_base}/console", f"{pg_base}/dot")
    else:
        urls = (f"sqlite:///{workdir / 'console.sqlite3'}", f"sqlite:///{workdir / 'dot.sqlite3'}")
    product_env = {**common, "DATABASE_URL": urls[0], "DJANGO_SETTINGS_MODULE": "adminconsole.settings"}
    dot_env = {**common, "DATABASE_URL": urls[1], "DJANGO_SETTINGS_MODULE": "bench.dot_settings"}
    print(f"{kind}: setting up both databases ...", flush=True)
    setup_product(product_env)
    setup_dot(dot_env)
    if args.scale:
        setup_scale(product_env)
    wsgi, path = PRODUCT
    found: dict = {"env": product_env}
    found["product"] = load(args, "this product", wsgi, product_env, path.format(realm="bench"), workdir)
    found["dot"] = load(args, "django-oauth-toolkit", DOT[0], dot_env, DOT[1], workdir)
    if args.scale:
        found["scale0"] = load(args, f"{SCALE_CLIENTS} clients, 0 policies", wsgi, product_env, path.format(realm="scale"), workdir)
        add_scale_policies(product_env)
        found["scale200"] = load(args, f"{SCALE_CLIENTS} clients, {SCALE_POLICIES} policies", wsgi, product_env,
                                 path.format(realm="scale"), workdir)
    print(f"{kind}: in-process timings ...", flush=True)
    found["product_inprocess"] = inprocess(product_env, "adminconsole.wsgi", path.format(realm="bench"), args.profile_requests)
    found["dot_inprocess"] = inprocess(dot_env, "bench.dot_wsgi", DOT[1], args.profile_requests)
    return found


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(args, results: dict, profile: str) -> str:
    lines = [
        f"Machine: {machine()}",
        f"Load: wrk, {args.threads} threads, {args.connections} concurrent connections, {args.duration}s after a {args.warmup}s warm-up; "
        f"gunicorn, {args.workers} {args.worker_class} workers x {args.server_threads} threads, the same for both. "
        "SQLite: a file each (WAL); PostgreSQL: a throwaway cluster (fsync off), a database each.",
        "",
        "| Token endpoint (client_credentials) | database | grants/s | p50 (ms) | p99 (ms) | non-2xx | in-process per grant | x RS256 signature |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [("this product", "product", "product_inprocess"), ("django-oauth-toolkit", "dot", "dot_inprocess"),
            (f"this product, {SCALE_CLIENTS} clients, 0 policies", "scale0", None),
            (f"this product, {SCALE_CLIENTS} clients, {SCALE_POLICIES} policies", "scale200", None)]
    for label, key, timing in rows:
        for kind, found in results.items():
            r = found.get(key)
            if r is None:
                continue
            t = found.get(timing) if timing else None
            cost = f"{t['grant_ms']:.2f} ms" if t else ""
            ratio = f"{t['ratio']:.2f}" if t else ""
            lines.append(f"| {label} | {kind} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non_2xx']} | {cost} | {ratio} |")
    lines += ["", "Targets:", ""]
    for kind, found in results.items():
        ours, dot = found["product"]["rps"], found["dot"]["rps"]
        lines.append(f"* {kind}: {ours / dot:.2f}x django-oauth-toolkit's grants/s")
        if "scale200" in found:
            share = found["scale200"]["rps"] / found["scale0"]["rps"]
            lines.append(f"* {kind}: {SCALE_POLICIES} policies give {share:.0%} of the grants/s of 0 policies "
                         f"(target at least 80%: {verdict(share >= 0.8)})")
        ratio = found["product_inprocess"]["ratio"]
        lines.append(f"* {kind}: in-process cost per grant {ratio:.2f}x the RS256 signature alone (target at most 2x: {verdict(ratio <= 2)})")
    if {"sqlite", "postgresql"} <= results.keys():
        sqlite, pg = results["sqlite"], results["postgresql"]
        vs_dot = sqlite["product"]["rps"] / sqlite["dot"]["rps"]
        vs_pg = sqlite["product"]["rps"] / pg["product"]["rps"]
        lines.append(f"* SQLite default: {vs_dot:.2f}x django-oauth-toolkit on SQLite (target at least 3x: {verdict(vs_dot >= 3)}), "
                     f"{vs_pg:.0%} of the PostgreSQL figure (target at least 80%: {verdict(vs_pg >= 0.8)})")
    lines += ["", "Where the time goes (in-process profile of the product's token endpoint, SQLite):", "", "```", profile.rstrip(), "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--worker-class", default=os.environ.get("GUNICORN_WORKER_CLASS", "sync"))
    parser.add_argument("--server-threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "1")))
    parser.add_argument("--profile-requests", type=int, default=3000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--no-scale", dest="scale", action="store_false", help="skip the 10,000-client scenario")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]

    results: dict = {}
    profile = ""
    for kind in kinds:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
        pgdir = Path(tempfile.mkdtemp(prefix="bench-pg-")) if kind == "postgresql" else None
        try:
            base = None
            if pgdir is not None:  # not inside workdir: the cluster may belong to postgres
                url = subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "start", str(pgdir)],
                                     check=True, capture_output=True, text=True).stdout.strip()
                base = url.rsplit("/", 1)[0]
            results[kind] = database(args, kind, workdir, base)
            if kind == "sqlite" or not profile:
                print("Profiling the product's token endpoint in-process ...", flush=True)
                profile = subprocess.run([PY, str(ROOT / "bench" / "profile_token.py"), str(args.profile_requests)],
                                         env=results[kind].pop("env"), cwd=ROOT, check=True, capture_output=True, text=True).stdout
        finally:
            if pgdir is not None:
                subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "stop", str(pgdir)], check=False)
            shutil.rmtree(workdir, ignore_errors=True)

    text = report(args, results, profile)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    for kind, found in results.items():
        for key, r in found.items():
            if isinstance(r, dict) and "non_2xx" in r and (r["non_2xx"] or r["socket_errors"]):
                print(f"WARNING: {kind} {key}: {r['non_2xx']} non-2xx responses, socket errors: {r['socket_errors'] or 'none'}")


if __name__ == "__main__":
    main()
