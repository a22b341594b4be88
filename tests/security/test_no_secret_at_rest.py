"""No credential is stored in clear: failed sign-ins and failed password grants included.

django-axes keeps the form of every failed ``authenticate()`` (``axes_accessattempt.get_data`` /
``post_data``). The token endpoint's password grant sends ``client_secret`` in that form. After
the failures, every column of every table of the database is searched for the values.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from realms.sensitive import MASK, access_attempts_scrub, is_credential_parameter, scrub_query_str
from tests.factories import ClientFactory

TOKEN_URL = "/realms/master/protocol/openid-connect/token"
CLIENT_SECRET = "ClientSecretAtRest0123456789abcd"
WRONG_PASSWORD = "WrongPasswordAtRest-4242"
OTHER_TOKEN = "SomeOtherTokenAtRest-777"
ASSERTION = "AssertionValueAtRest-31337"


def tables_containing(value: str) -> list[str]:
    """Every table.column (all tables the database has, every column cast to text) holding ``value``."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} WHERE CAST({quote(column.name)} AS TEXT) LIKE %s",
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


@pytest.fixture
def password_client(master):
    return ClientFactory(realm=master, client_id="pw-app", direct_access_grants_enabled=True, secret=CLIENT_SECRET)


@pytest.mark.django_db
def test_failed_password_grant_leaves_no_secret_in_any_table(client, admin_user, password_client):
    form = {
        "grant_type": "password", "client_id": "pw-app", "client_secret": CLIENT_SECRET,
        "username": "admin", "password": WRONG_PASSWORD, "api_token": OTHER_TOKEN,
    }
    for _ in range(2):  # the second failure is appended to the same row
        response = client.post(f"{TOKEN_URL}?client_assertion={ASSERTION}", form)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_grant"

    attempt = AccessAttempt.objects.get(username="admin")
    assert attempt.failures_since_start == 2
    assert "client_id=pw-app" in attempt.post_data  # the form is still recorded, minus its credentials
    assert f"client_secret={MASK}" in attempt.post_data and f"api_token={MASK}" in attempt.post_data
    for value in (CLIENT_SECRET, WRONG_PASSWORD, OTHER_TOKEN, ASSERTION):
        assert tables_containing(value) == [], value


@pytest.mark.django_db
def test_failed_console_sign_in_leaves_no_password_in_any_table(client, admin_user, master):
    response = client.post("/login", {"username": "admin", "password": WRONG_PASSWORD, "refresh_token": OTHER_TOKEN})
    assert response.status_code == 200
    assert AccessAttempt.objects.filter(username="admin").exists()
    assert tables_containing(WRONG_PASSWORD) == []
    assert tables_containing(OTHER_TOKEN) == []


def test_credential_names():
    for name in ("client_secret", "CLIENT_SECRET", "client_assertion", "password", "password1", "refresh_token",
                 "token", "access_token", "registration_access_token", "my_secret", "anything_token"):
        assert is_credential_parameter(name), name
    for name in ("client_id", "grant_type", "username", "scope", "secretary", "tokens"):
        assert not is_credential_parameter(name), name


def test_scrub_masks_stored_text_and_keeps_the_rest():
    stored = f"grant_type=password\nclient_secret={CLIENT_SECRET}\nline two of the secret\nclient_id=a\n---------\ntoken=t0k"
    assert scrub_query_str(stored) == f"grant_type=password\nclient_secret={MASK}\nclient_id=a\n---------\ntoken={MASK}"
    assert scrub_query_str("") == ""


def _stored_in_clear(**fields) -> AccessAttempt:
    """A row as django-axes wrote it before the masking: the form verbatim."""
    row = {"user_agent": "curl", "ip_address": "198.51.100.7", "username": "admin", "http_accept": "*/*",
           "path_info": TOKEN_URL, "failures_since_start": 1}
    return AccessAttempt.objects.create(**{**row, **fields})


@pytest.mark.django_db
def test_scrub_function_cleans_rows_stored_in_clear():
    row = _stored_in_clear(get_data=f"client_assertion={ASSERTION}",
                           post_data=f"client_id=pw-app\nclient_secret={CLIENT_SECRET}\npassword={WRONG_PASSWORD}")
    clean = _stored_in_clear(get_data="", post_data="client_id=pw-app", username="other")
    assert access_attempts_scrub(AccessAttempt) == 1
    row.refresh_from_db()
    assert row.get_data == f"client_assertion={MASK}"
    assert row.post_data == f"client_id=pw-app\nclient_secret={MASK}\npassword={MASK}"
    clean.refresh_from_db()
    assert clean.post_data == "client_id=pw-app"
    assert tables_containing(CLIENT_SECRET) == []


@pytest.mark.django_db(transaction=True)
def test_data_migration_scrubs_existing_rows():
    executor = MigrationExecutor(connection)
    executor.migrate([("adminconsole", "0003_events_and_throttle")])
    _stored_in_clear(get_data="", post_data=f"client_secret={CLIENT_SECRET}\nregistration_access_token={OTHER_TOKEN}")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert AccessAttempt.objects.get().post_data == f"client_secret={MASK}\nregistration_access_token={MASK}"
    assert tables_containing(CLIENT_SECRET) == [] and tables_containing(OTHER_TOKEN) == []
