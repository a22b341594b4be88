"""In-process cost of one token request, as a multiple of one RS256 signature.

``inprocess.py <wsgi module> <path> <form body> <requests>``, with DJANGO_SETTINGS_MODULE and
DATABASE_URL set: POSTs the form to the WSGI application as gunicorn would (whole middleware
chain, no test client, one process, no concurrency) and times it against an RSA-2048 PKCS#1 v1.5
SHA-256 signature of a token-sized input (what an RS256 access token costs at the least). Other
processes on the machine slow both alike: they are timed in alternating rounds and each keeps its
fastest round. Prints one JSON line: grant_ms, sign_ms, ratio.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROUNDS = 10


def wsgi_post(application, path: str, body: bytes) -> bytes:
    """POST ``body`` (a form) to ``application``; the answer's body, or SystemExit unless 200."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "bench",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    status: list[str] = []
    result = application(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        answer = b"".join(result)
    finally:
        result.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"{path} answered {status[0]}: {answer[:200]!r}")
    return answer


def rs256_signature() -> Callable[[], bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_input = b"x" * 700  # about a service account's access token, header and claims
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    return lambda: key.sign(signing_input, pkcs1, sha256)


def timed(work: Callable, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - start) / n


def compare(grant: Callable, sign: Callable, n: int) -> dict:
    """Fastest round of each, in milliseconds, and their ratio."""
    per_round = max(n // ROUNDS, 20)
    grants, signs = [], []
    for _ in range(ROUNDS):
        grants.append(timed(grant, per_round))
        signs.append(timed(sign, per_round))
    grant_ms, sign_ms = min(grants) * 1000, min(signs) * 1000
    return {"grant_ms": grant_ms, "sign_ms": sign_ms, "ratio": grant_ms / sign_ms}


def main(module: str, path: str, form: str, n: int) -> None:
    application = importlib.import_module(module).application
    body = form.encode()
    for _ in range(200):  # caches, keys, connections
        wsgi_post(application, path, body)
    print(json.dumps(compare(lambda: wsgi_post(application, path, body), rs256_signature(), n)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
