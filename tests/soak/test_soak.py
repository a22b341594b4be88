"""``make soak``, short: two app instances on the test database, under token and admin load.

PostgreSQL pass only (as in ``make test``). ``bench/soak.py`` starts two gunicorn servers as
``make run`` starts them, on this test's database; for a bounded time clients request tokens on
both while administrators regenerate secrets, invalidate rotated secrets and switch a
secret-rotation policy on and off on both. It judges every answer against the changes it made
(see its docstring for the bound it allows) and checks the admin events and the final state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DURATION = 12  # seconds of load; set-up and the final checks add about 20 more here

pytestmark = [
    pytest.mark.long,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("PG_TEST_CLUSTER_DIR") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs the PostgreSQL test cluster (PG_TEST_CLUSTER_DIR), as in make test's PostgreSQL pass",
    ),
]


@pytest.fixture
def fast_password_hashing():
    """The instances read the real settings, so the admin's password hash must use them too."""


def test_two_instances_on_one_database_answer_right_and_lose_no_write(master, admin_user, tmp_path):
    settings = connection.settings_dict
    db_url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    result = tmp_path / "soak.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--duration", str(DURATION), "--clients", "4",
         "--token-threads", "4", "--admin-threads", "2", "--policy-pause", "1", "--database-url", db_url, "--json", str(result)],
        cwd=ROOT, env={**os.environ, "SOAK_ADMIN_PASSWORD": ADMIN_PASSWORD}, capture_output=True, text=True, timeout=300,
    )
    assert result.exists(), run.stdout + run.stderr
    figures = json.loads(result.read_text())
    report = run.stdout + run.stderr
    # The run did what it is about: tokens on both instances, every kind of change, propagation seen.
    assert figures["token_requests"] > 100, report
    assert figures["regenerates"] > 5 and figures["invalidations"] > 0, report
    assert figures["policy_changes"] > 3 and figures["profile_changes"] > 2, report
    assert all(figures["propagation_samples"]), report
    # The promises.
    assert figures["5xx"] == 0, report
    assert figures["connection_errors"] == 0, report
    assert figures["wrong_answers"] == 0, report
    assert figures["unexpected"] == 0, report
    assert figures["lost_or_duplicated_writes"] == 0, report
    assert figures["propagation_timeouts"] == 0, report
    assert run.returncode == 0, report
