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
import json
import os
import pstats
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
django.setup()

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from adminconsole.wsgi import application  # noqa: E402
from bench.inprocess import compare, wsgi_post  # noqa: E402
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
    return wsgi_post(application, URL, FORM)


def signature_alone():
    """A function signing, with the realm's key, the signing input of a token the endpoint issued."""
    token = json.loads(grant())["access_token"]
    signing_input = token.rsplit(".", 1)[0].encode()
    private = keys.signing_key(Realm.objects.get(name=REALM)).private_key
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    return lambda: private.sign(signing_input, pkcs1, sha256)


def main(n: int) -> None:
    for _ in range(200):
        grant()
    with CaptureQueriesContext(connection) as ctx:
        grant()
    print(f"Queries per grant: {len(ctx.captured_queries)}")
    for query in ctx.captured_queries:
        print("  " + query["sql"][:150])

    timing = compare(grant, signature_alone(), n)
    grant_ms, sign_ms, ratio = timing["grant_ms"], timing["sign_ms"], timing["ratio"]
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
                         if (file.endswith(path) and name == func) or (path == "cryptography" and "sign' of" in name and "RSAPrivateKey" in name))
        if total is None:
            total = cumulative or 1
        print(f"  {label:<50} {cumulative / n * 1000:6.3f} ms  {cumulative / total:5.0%}")
    print(json.dumps({"grant_ms": grant_ms, "sign_ms": sign_ms, "ratio": ratio, "queries": len(ctx.captured_queries)}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
