"""Bad input at scale: schemathesis against the Admin REST API's own OpenAPI description.

A live server, a real bearer token (password grant of ``admin-cli``), a bounded number of generated
requests per operation (valid and invalid ones), a fixed seed. Passes when no answer is a 5xx and
every answer matches what the OpenAPI description promises (status code, content type, headers,
body schema). The OIDC endpoints and dynamic registration, which have no OpenAPI description, are
fuzzed with Hypothesis in ``test_oidc_fuzz.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.long]

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = os.environ.get("API_FUZZ_MAX_EXAMPLES", "8")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def test_admin_api_holds_against_generated_input(live_server, admin_user, master, client, tmp_path):
    master.access_token_lifespan = 3600  # outlive the run
    master.save(update_fields=["access_token_lifespan"])
    response = client.post(
        "/realms/master/protocol/openid-connect/token",
        {"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    schema = client.get("/admin/openapi.json")
    assert schema.status_code == 200
    assert len(schema.json()["paths"]) >= 5

    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{live_server.url}/admin/openapi.json",
        "--url", f"{live_server.url}",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", os.environ.get("API_FUZZ_PHASES", "examples,fuzzing"),
        "--mode", "all",
        "--max-examples", MAX_EXAMPLES,
        "--seed", "20260101",
        "--workers", "1",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--no-shrink",
        "--warnings", "off",
        "--report-dir", str(tmp_path),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["SCHEMATHESIS_HOOKS"] = ""
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    print(output[-6000:])
    assert result.returncode == 0, output[-12000:]
    assert "No issues found" in output or "passed" in output.lower(), output[-4000:]
