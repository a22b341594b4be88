"""Where a client_credentials grant spends its time: the token endpoint in-process.

Run by bench/run.py against the benchmark database (DATABASE_URL). Prints the queries one grant
makes, wall time per grant, the share of database time, and the cumulative time of the main steps
under cProfile (whose overhead inflates the absolute figures, not the proportions).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

URL = "/realms/bench/protocol/openid-connect/token"
FORM = "grant_type=client_credentials&client_id=bench&client_secret=BenchSecretOfThirtyTwoCharacters"
FORM_TYPE = "application/x-www-form-urlencoded"
STEPS = [
    ("whole request (Django handler + middleware)", "django/core/handlers/base.py", "_get_response"),
    ("token view", "oidc/views/token.py", "token"),
    ("  form parsing", "django/http/request.py", "_load_post_and_files"),
    ("client authentication (secret check)", "clients/authentication.py", "client_authenticate"),
    ("  client rows (per-worker cache + LISTEN drain)", "oidc/client_cache.py", "__call__"),
    ("  Fernet decrypt of the secrets", "clients/crypto.py", "decrypt"),
    ("  lockout check (only while failures are on record)", "realms/throttle.py", "client_auth_lock_read"),
    ("CLIENT_LOGIN event (once a minute per secret)", "realms/events.py", "login_event_record"),
    ("client policies (SERVICE_ACCOUNT_TOKEN_REQUEST)", "policies/engine.py", "client_policies_trigger"),
    ("access token: claims + RS256 signature", "oidc/tokens.py", "access_token_issue"),
    ("  RSA signing (OpenSSL)", "joserfc/_rfc7518/jws_algs.py", "sign"),
    ("  active key lookup (cached)", "oidc/keys.py", "signing_key"),
    ("realm lookup", "oidc/views/endpoint.py", "realm_get"),
    ("JSON response", "realms/http.py", "json_response"),
]


def main(n: int) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(50):
        assert client.post(URL, FORM, content_type=FORM_TYPE).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.post(URL, FORM, content_type=FORM_TYPE)
    print(f"Queries per grant: {len(ctx.captured_queries)}")
    for query in ctx.captured_queries:
        print("  " + query["sql"][:150])

    db_time = [0.0]

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_time[0] += time.perf_counter() - start

    with connection.execute_wrapper(timed):
        start = time.perf_counter()
        for _ in range(n):
            client.post(URL, FORM, content_type=FORM_TYPE)
        wall = time.perf_counter() - start
    print(f"Wall time per grant, one process, no concurrency: {wall / n * 1000:.2f} ms "
          f"({n / wall:.0f} grants/s per core); database round trips: {db_time[0] / wall:.0%} of it")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.post(URL, FORM, content_type=FORM_TYPE)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = None
    print("Cumulative time per grant under cProfile:")
    for label, path, func in STEPS:
        cumulative = sum(v[3] for (file, _, name), v in stats.items() if file.endswith(path) and name == func)
        if total is None:
            total = cumulative or 1
        print(f"  {label:<50} {cumulative / n * 1000:6.3f} ms  {cumulative / total:5.0%}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
