#!/usr/bin/env python
"""``make bench``, second part: the console and the Admin API at 100,000 confidential clients.

Seeds a throwaway database (an SQLite file, then a throwaway PostgreSQL cluster from
scripts/pg-test-cluster) with 100,000 confidential clients and their secrets (bulk inserts;
expiries spread over every status, a fifth of them rotated, half of those still used), then
times in-process requests through Django's test client: server time is the wall time around
each request (no network, no browser). Each page gets a few warm-up requests, then 50 timed
ones; the report gives p50 and p95 and the queries one request makes, as a Markdown table,
printed and written to bench/results/console.md.

Targets: the Secret rotation page under 200 ms p95; the client list, search, a client's pages
and the Admin API's client list and search under 50 ms p95; query counts that do not grow with
the number of clients.

    .venv/bin/python bench/console.py [--clients N] [--requests N] [--backend sqlite|postgresql] [--pages TEXT]

``--pages "Secret rotation"`` measures only the pages whose label contains that text.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REALM = "bench"
ADMIN = "bench-admin"
PASSWORD = "Bench-console-password-0123"  # a throwaway database's administrator
DAY = 86400
WARMUP = 5


# --- the child: one database, seeded and measured ----------------------------------------------


def seed(n: int) -> dict:
    """``n`` confidential clients in realm ``bench`` with varied secrets; returns a few of them."""
    from clients import crypto
    from clients.models import Client, ClientSecret
    from realms import clock
    from realms.services import realm_create

    realm = realm_create(name=REALM, access_token_lifespan=3600)
    now = clock.epoch()
    ciphertext = crypto.encrypt("BenchSecretOfThirtyTwoCharacters")  # one value: nothing here decrypts 100,000
    batch = 5000
    for start in range(0, n, batch):
        clients = [
            Client(realm=realm, client_id=f"app-{i:06}", name=f"App {i}", redirect_uris=["https://app.example.com/*"],
                   service_accounts_enabled=i % 3 == 0)
            for i in range(start, min(start + batch, n))
        ]
        Client.objects.bulk_create(clients)
        secrets = []
        for offset, client in enumerate(clients):
            i = start + offset
            kind = i % 10
            # 10 % expired, 10 % within 7 days, 20 % within 30, 40 % later (up to a year), 20 % none.
            expires = (
                now - (i % 90 + 1) * DAY if kind == 0
                else now + (i % 7) * DAY + i % DAY if kind == 1
                else now + (7 + i % 23) * DAY if kind in (2, 3)
                else now + (30 + i % 335) * DAY if kind in (4, 5, 6, 7)
                else None
            )
            created = now - (i % 60 + 1) * DAY
            used = now - i % (3 * DAY) if i % 4 else None
            secrets.append(ClientSecret(client=client, kind=ClientSecret.CURRENT, value_encrypted=ciphertext,
                                        created_time=created, expiration_time=expires, last_used_time=used,
                                        use_count=i % 1000, last_used_ip="192.0.2.7" if used else ""))
            if i % 5 == 0:  # rotated at ``created``: a fifth of the clients, half still used since
                secrets.append(ClientSecret(
                    client=client, kind=ClientSecret.ROTATED, value_encrypted=ciphertext, created_time=created - 30 * DAY,
                    expiration_time=created + (i % 120) * DAY, use_count=i % 50,
                    last_used_time=now - i % (2 * DAY) if i % 10 == 0 else created - DAY,
                ))
        ClientSecret.objects.bulk_create(secrets)
    middle = Client.objects.get(realm=realm, client_id=f"app-{n // 2:06}")
    return {"middle": str(middle.pk), "search": f"app-{n // 2:06}"[:-2]}


def measure(n_requests: int, client, path: str, **headers) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    times = []
    for _ in range(n_requests):
        start = time.perf_counter()
        response = client.get(path, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    reset_queries()  # each request empties the log as it starts: count from an empty one
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)],
        "queries": len(queries.captured_queries),
    }


def child(n_clients: int, n_requests: int, *, reuse: bool = False, only: str = "") -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from clients.models import Client as OidcClient

    call_command("migrate", verbosity=0, interactive=False)
    os.environ["CONSOLE_ADMIN_USERNAME"], os.environ["CONSOLE_ADMIN_PASSWORD"] = ADMIN, PASSWORD
    with open(os.devnull, "w") as quiet:
        call_command("bootstrap_console", stdout=quiet)
    started = time.perf_counter()
    if reuse and OidcClient.objects.filter(realm__name=REALM).exists():  # a kept database: measure only
        middle = OidcClient.objects.get(realm__name=REALM, client_id=f"app-{n_clients // 2:06}")
        picked = {"middle": str(middle.pk), "search": middle.client_id[:-2]}
    else:
        picked = seed(n_clients)
    seeded_in = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    console = Client(HTTP_HOST="127.0.0.1")
    console.force_login(get_user_model().objects.get(username=ADMIN))
    api = Client(HTTP_HOST="127.0.0.1")

    def bearer() -> dict:
        """A fresh admin token per page: realm master's tokens live a minute."""
        token = api.post("/realms/master/protocol/openid-connect/token",
                         {"grant_type": "password", "client_id": "admin-cli", "username": ADMIN, "password": PASSWORD})
        assert token.status_code == 200, token.content
        return {"HTTP_AUTHORIZATION": f"Bearer {token.json()['access_token']}"}

    one = picked["middle"]
    base = f"/console/{REALM}"
    pages = [
        ("Secret rotation page (summary + chart + first page)", f"{base}/secret-rotation/", console, dict, 200),
        ("Secret rotation, filter Rotated secret in use", f"{base}/secret-rotation/?status=rotated-in-use", console, dict, 200),
        ("Secret rotation, filter Expiring within 7 days", f"{base}/secret-rotation/?status=expiring-7", console, dict, 200),
        ("Secret rotation, latest expiry first", f"{base}/secret-rotation/?order=-expires", console, dict, 200),
        ("Secret rotation, search", f"{base}/secret-rotation/?search={picked['search']}", console, dict, 200),
        ("Client list", f"{base}/clients/", console, dict, 50),
        ("Client search", f"{base}/clients/?search={picked['search']}", console, dict, 50),
        ("Client Settings tab", f"{base}/clients/{one}/settings", console, dict, 50),
        ("Client Credentials tab", f"{base}/clients/{one}/credentials", console, dict, 50),
        ("Client Roles tab", f"{base}/clients/{one}/roles", console, dict, 50),
        ("Admin API GET /clients?first=0&max=20", f"/admin/realms/{REALM}/clients?first=0&max=20", api, bearer, 50),
        ("Admin API GET /clients search", f"/admin/realms/{REALM}/clients?clientId={picked['search']}&search=true&first=0&max=20", api, bearer, 50),
        ("Admin API GET /client-secrets?first=0&max=20", f"/admin/realms/{REALM}/client-secrets?first=0&max=20", api, bearer, 200),
        ("Admin API GET /client-secrets/summary", f"/admin/realms/{REALM}/client-secrets/summary", api, bearer, 200),
    ]
    results = []
    for label, path, http, headers, target in (page for page in pages if only.lower() in page[0].lower()):
        results.append({"page": label, "target": target, **measure(n_requests, http, path, **headers())})
        print(f"{label}: p95 {results[-1]['p95']:.1f} ms, {results[-1]['queries']} queries", file=sys.stderr, flush=True)
    print(json.dumps({"vendor": connection.vendor, "seeded_in": seeded_in, "results": results}))


# --- the parent: one child per database, then the report ---------------------------------------


def run_child(args, env: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--clients", str(args.clients), "--requests",
           str(args.requests), "--pages", args.pages]
    out = subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(runs: list[dict], args) -> str:
    lines = [
        f"Console and Admin API at {args.clients:,} confidential clients ({os.cpu_count()} cores; in-process, "
        f"Django test client, server time = wall time around the request; {args.requests} requests per page after "
        f"{WARMUP} warm-up).",
        "",
        "| Page | Database | p50 (ms) | p95 (ms) | target p95 (ms) | queries |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        for r in run["results"]:
            mark = "" if r["p95"] <= r["target"] else " **over**"
            lines.append(f"| {r['page']} | {run['vendor']} | {r['p50']:.1f} | {r['p95']:.1f}{mark} | {r['target']} | {r['queries']} |")
    lines += ["", "Seeding: " + ", ".join(f"{run['vendor']} {run['seeded_in']:.0f} s" for run in runs)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pages", default="", help="only the pages whose label contains this text")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)  # child: keep a seeded database
    args = parser.parse_args()
    if args.child:
        child(args.clients, args.requests, reuse=args.reuse, only=args.pages)
        return

    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    common = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "DEBUG": "0",
              "DJANGO_SETTINGS_MODULE": "adminconsole.settings", "CONSOLE_VAR_DIR": str(workdir / "var")}
    runs = []
    try:
        if args.backend in ("sqlite", "both"):
            print(f"SQLite: seeding {args.clients:,} clients and measuring ...", flush=True)
            runs.append(run_child(args, {**common, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}"}))
        if args.backend in ("postgresql", "both"):
            import psycopg

            pgdir = Path(tempfile.mkdtemp(prefix="bench-console-pg-"))  # may belong to postgres: not in workdir
            url = subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "start", str(pgdir)],
                                 check=True, capture_output=True, text=True).stdout.strip()
            try:
                with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                    conn.execute("CREATE DATABASE console")
                print(f"PostgreSQL: seeding {args.clients:,} clients and measuring ...", flush=True)
                runs.append(run_child(args, {**common, "DATABASE_URL": url}))
            finally:
                subprocess.run([str(ROOT / "scripts" / "pg-test-cluster"), "stop", str(pgdir)], check=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(runs, args)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
