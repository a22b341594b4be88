#!/usr/bin/env python
"""``make bench``: client_credentials grants per second, this product vs django-oauth-toolkit.

Both run under gunicorn with the same worker count on one throwaway PostgreSQL cluster
(scripts/pg-test-cluster, two databases), measured with wrk (many keep-alive connections), then
the product's token endpoint is profiled in-process. Prints a Markdown report and writes
bench/results/latest.md. Options: --duration, --connections, --workers, --threads.
"""

from __future__ import annotations

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
        with urllib.request.urlopen(request, timeout=10) as response:
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
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--worker-class", default=os.environ.get("GUNICORN_WORKER_CLASS", "sync"))
    parser.add_argument("--server-threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "1")))
    parser.add_argument("--profile-requests", type=int, default=2000)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    pgdir = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # not inside workdir: the cluster may belong to postgres
    url = subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "start", str(pgdir)], check=True, capture_output=True, text=True).stdout.strip()
    base = url.rsplit("/", 1)[0]
    procs: list[subprocess.Popen] = []
    results = {}
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE console")
            conn.execute("CREATE DATABASE dot")
        common = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "DEBUG": "0"}
        product_env = {**common, "DATABASE_URL": f"{base}/console", "DJANGO_SETTINGS_MODULE": "adminconsole.settings",
                       "CONSOLE_VAR_DIR": str(workdir / "var")}
        dot_env = {**common, "DATABASE_URL": f"{base}/dot", "DJANGO_SETTINGS_MODULE": "bench.dot_settings"}
        print("Setting up both databases ...", flush=True)
        setup_product(product_env)
        setup_dot(dot_env)

        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
        body = urllib.parse.urlencode(form)
        targets = [
            ("this product", "adminconsole.wsgi:application", product_env, "/realms/bench/protocol/openid-connect/token"),
            ("django-oauth-toolkit", "bench.dot_wsgi:application", dot_env, "/o/token/"),
        ]
        for name, wsgi, env, path in targets:
            port = free_port()
            proc = gunicorn(wsgi, port, env, args.workers, args.worker_class, args.server_threads)
            procs.append(proc)
            url = f"http://127.0.0.1:{port}{path}"
            wait_ready(url, form)
            print(f"Warming up {name} ...", flush=True)
            wrk(url, body, duration=args.warmup, connections=args.connections, threads=args.threads, workdir=workdir)
            print(f"Measuring {name} for {args.duration}s with {args.connections} connections ...", flush=True)
            results[name] = wrk(url, body, duration=args.duration, connections=args.connections, threads=args.threads, workdir=workdir)
            stop(proc)
            procs.remove(proc)

        print("Profiling the product's token endpoint in-process ...", flush=True)
        profile = subprocess.run([PY, str(ROOT / "bench" / "profile_token.py"), str(args.profile_requests)],
                                 env=product_env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    finally:
        for proc in procs:
            stop(proc)
        subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "stop", str(pgdir)], check=False)
        shutil.rmtree(workdir, ignore_errors=True)

    ours, dot = results["this product"], results["django-oauth-toolkit"]
    lines = [
        f"Machine: {machine()}",
        f"Load: wrk, {args.threads} threads, {args.connections} concurrent connections, {args.duration}s after a {args.warmup}s warm-up; "
        f"gunicorn, {args.workers} {args.worker_class} workers x {args.server_threads} threads; PostgreSQL (throwaway cluster, fsync off) for both.",
        "",
        "| Token endpoint (client_credentials) | grants/s | p50 (ms) | p99 (ms) | requests | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['requests']} | {r['non_2xx']} |")
    ratio = ours["rps"] / dot["rps"] if dot["rps"] else float("inf")
    lines += ["", f"Throughput ratio: {ratio:.2f}x django-oauth-toolkit; p99 {ours['p99']:.1f} ms vs {dot['p99']:.1f} ms.",
              "", "Where the time goes (in-process profile of the product's token endpoint):", "", "```", profile.rstrip(), "```"]
    report = "\n".join(lines)
    print("\n" + report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(report + "\n")
    for name, r in results.items():
        if r["non_2xx"] or r["socket_errors"]:
            print(f"WARNING: {name}: {r['non_2xx']} non-2xx responses, socket errors: {r['socket_errors'] or 'none'}")


if __name__ == "__main__":
    main()
