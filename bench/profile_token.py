"""Where a client_credentials grant spends its time: the token endpoint in-process.

Run by bench/run.py against the benchmark database (DATABASE_URL). The grant goes through the
WSGI application as gunicorn calls it (``adminconsole.wsgi.application``, whole middleware chain,
no test client). Prints the queries one grant makes, the wall time per grant next to the RS256
signature alone (the same key signing the same bytes), their ratio, and the cumulative time of
the main steps under cProfile (whose overhead inflates the absolute figures, not the proportions).

Other processes on the machine slow both figures alike: the grant and the signature are timed in
alternating rounds, and each keeps its fastest round. The last line is machine-readable JSON.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
django.setup()

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from adminconsole.wsgi import application  # noqa: E402
from oidc import keys  # noqa: E402
from realms.models import Realm  # noqa: E402

REALM = os.environ.get("BENCH_REALM", "bench")
URL = f"/realms/{REALM}/protocol/openid-connect/token"
FORM = os.environ.get("BENCH_FORM", "grant_type=client_credentials&client_id=bench&client_secret=BenchSecretOfThirtyTwoCharacters").encode()
STEPS = [
    ("whole request (WSGI handler, middleware, view)", "django/core/handlers/wsgi.py", "__call__"),
    ("token view", "oidc/views/token.py", "token"),
    ("  form parsing", "django/http/request.py", "_load_post_and_files"),
    ("client authentication (secret check)", "clients/authentication.py", "client_authenticate"),
    ("  client rows (per-worker cache + change check)", "oidc/client_cache.py", "__call__"),
    ("  Fernet decrypt of the secrets", "clients/crypto.py", "decrypt"),
    ("  lockout check (only while failures are on record)", "realms/throttle.py", "client_auth_lock_read"),
    ("CLIENT_LOGIN event (once a minute per secret)", "realms/events.py", "login_event_record"),
    ("client policies (SERVICE_ACCOUNT_TOKEN_REQUEST)", "policies/engine.py", "client_policies_trigger"),
    ("access token: claims + RS256 signature", "oidc/tokens.py", "access_token_issue"),
    ("  RSA signing (OpenSSL)", "cryptography", "sign"),
    ("  active key lookup (cached)", "oidc/keys.py", "signing_key"),
    ("realm lookup", "oidc/views/endpoint.py", "realm_get"),
    ("JSON response", "realms/http.py", "json_response"),
]


def grant() -> bytes:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": URL, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "bench",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(FORM)),
        "wsgi.input": io.BytesIO(FORM), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    status: list[str] = []
    result = application(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        body = b"".join(result)
    finally:
        result.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"the grant answered {status[0]}: {body[:200]!r}")
    return body


def signature_alone():
    """A function signing, with the realm's key, the signing input of a token the endpoint issued."""
    token = json.loads(grant())["access_token"]
    signing_input = token.rsplit(".", 1)[0].encode()
    private = keys.signing_key(Realm.objects.get(name=REALM)).private_key
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    return lambda: private.sign(signing_input, pkcs1, sha256)


def fastest(work, n: int, rounds: int) -> list[float]:
    return [timed(work, n) for _ in range(rounds)]


def timed(work, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - start) / n


def main(n: int) -> None:
    for _ in range(200):
        grant()
    with CaptureQueriesContext(connection) as ctx:
        grant()
    print(f"Queries per grant: {len(ctx.captured_queries)}")
    for query in ctx.captured_queries:
        print("  " + query["sql"][:150])

    sign = signature_alone()
    rounds, per_round = 10, max(n // 10, 20)
    grant_times, sign_times = [], []
    for _ in range(rounds):
        grant_times.append(timed(grant, per_round))
        sign_times.append(timed(sign, per_round))
    grant_ms, sign_ms = min(grant_times) * 1000, min(sign_times) * 1000
    ratio = grant_ms / sign_ms
    print(f"Wall time per grant, one process, no concurrency: {grant_ms:.3f} ms ({1000 / grant_ms:.0f} grants/s per core)")
    print(f"RS256 signature alone (same key, same bytes): {sign_ms:.3f} ms; a grant costs {ratio:.2f}x the signature")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        grant()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = None
    print("Cumulative time per grant under cProfile:")
    for label, path, func in STEPS:
        cumulative = sum(v[3] for (file, _, name), v in stats.items()
                         if name == func and (file.endswith(path) or (path == "cryptography" and "RSAPrivateKey" in file)))
        if total is None:
            total = cumulative or 1
        print(f"  {label:<50} {cumulative / n * 1000:6.3f} ms  {cumulative / total:5.0%}")
    print(json.dumps({"grant_ms": grant_ms, "sign_ms": sign_ms, "ratio": ratio, "queries": len(ctx.captured_queries)}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
