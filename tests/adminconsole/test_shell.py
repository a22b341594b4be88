from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from realms import services
from realms.models import Realm
from tests.permissions import TO_LOGIN, get, post


def _console_urls(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _console_urls(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("console/"):
            yield route


def _fill(route: str) -> str:
    import re

    def value(match):
        converter, name = match.group(1), match.group(2)
        if name == "realm":
            return "master"
        if converter == "int":
            return "1"
        if converter == "uuid" or name.endswith("id"):
            return "00000000-0000-0000-0000-000000000001"
        return "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.mark.django_db
def test_every_console_url_redirects_anonymous_visitors_to_login(client, master):
    urls = [_fill(r) for r in _console_urls()]
    assert len(urls) >= 3
    for url in urls:
        response = client.get(url)
        if response.status_code == 405:  # POST-only actions must still send strangers to login
            response = client.post(url)
        assert TO_LOGIN(response), url


@pytest.mark.django_db
def test_root_leads_to_login_then_master(client, admin_user, master):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login")
    response = client.post("/login?next=/", {"username": "admin", "password": "correct-horse-battery", "next": "/"}, follow=True)
    assert response.request["PATH_INFO"] == "/console/master/realm-settings/"


@pytest.mark.django_db
def test_login_refuses_wrong_password(client, admin_user):
    response = client.post("/login", {"username": "admin", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


@pytest.mark.django_db
def test_create_realm_and_duplicate(admin_client, master):
    response = admin_client.post("/console/master/add-realm", {"name": "acme", "enabled": "on"})
    assert response.status_code == 302 and response["Location"] == "/console/acme/realm-settings/"
    assert Realm.objects.get(name="acme").enabled
    response = admin_client.post("/console/master/add-realm", {"name": "acme", "enabled": "on"})
    assert response.status_code == 400
    assert b"Realm acme already exists" in response.content
    assert Realm.objects.filter(name="acme").count() == 1


@pytest.mark.django_db
def test_create_realm_refuses_bad_name(admin_client, master):
    response = admin_client.post("/console/master/add-realm", {"name": "bad name/x"})
    assert response.status_code == 400
    assert not Realm.objects.filter(name="bad name/x").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", [".", ".."])
def test_create_realm_refuses_dot_segment_names(admin_client, master, name):
    response = admin_client.post("/console/master/add-realm", {"name": name, "enabled": "on"})
    assert response.status_code == 400
    assert "Realm name cannot be &#x27;.&#x27; or &#x27;..&#x27;." in response.content.decode()
    assert not Realm.objects.filter(name=name).exists()


@pytest.mark.django_db
def test_general_tab_plain_post_and_htmx(admin_client, master):
    response = admin_client.post("/console/master/realm-settings/", {"display_name": "Main", "enabled": "on"})
    assert response.status_code == 302
    master.refresh_from_db()
    assert master.display_name == "Main"
    response = admin_client.post("/console/master/realm-settings/", {"display_name": "Htmx", "enabled": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="general-form"')
    assert "Realm successfully updated" in body and 'hx-swap-oob="true"' in body
    master.refresh_from_db()
    assert master.display_name == "Htmx"


@pytest.mark.django_db
def test_view_only_admin_cannot_change_realm(permission_matrix, master):
    permission_matrix([get("/console/master/realm-settings/"), post("/console/master/realm-settings/", {"display_name": "x"}),
                       post("/console/master/add-realm", {"name": "x"})], viewer=[200, 403, 403])
    master.refresh_from_db()
    assert master.display_name == ""


@pytest.mark.django_db
def test_unknown_realm_is_404(admin_client, master):
    assert admin_client.get("/console/nope/realm-settings/").status_code == 404


@pytest.mark.django_db
def test_realm_service_refuses_duplicates(master):
    with pytest.raises(services.RealmExists):
        services.realm_create(name="master")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SECRET_ENCRYPTION_KEYS", "ALLOWED_HOSTS"])
def test_production_mode_refuses_to_start_without_a_required_setting(missing):
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_ENCRYPTION_KEYS", "ALLOWED_HOSTS")}
    env.update(
        CONSOLE_ENV="production",
        SECRET_KEY="x" * 64,
        SECRET_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="console.example.com",
    )
    del env[missing]
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"{missing} must be set when CONSOLE_ENV=production" in result.stderr


def test_production_mode_refuses_debug():
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        CONSOLE_ENV="production",
        SECRET_KEY="x" * 64,
        SECRET_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="console.example.com",
        DEBUG="1",
    )
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DEBUG must be off when CONSOLE_ENV=production" in result.stderr
    env["DEBUG"] = "0"
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_delete_realm_from_the_console(admin_client, master):
    from realms.models import AdminEvent

    services.realm_create(name="doomed")
    page = admin_client.get("/console/doomed/realm-settings/").content.decode()
    assert 'data-confirm-title="Delete realm?"' in page
    assert "Delete realm?" not in admin_client.get("/console/master/realm-settings/").content.decode()
    response = admin_client.post("/console/doomed/realm-settings/delete")
    assert response.status_code == 302 and response["Location"] == "/console/master/realm-settings/"
    assert not Realm.objects.filter(name="doomed").exists()
    assert AdminEvent.objects.filter(realm=master, operation_type="DELETE", resource_path="doomed").exists()


@pytest.mark.django_db
def test_master_cannot_be_deleted_and_viewers_cannot_delete(admin_client, console_client, master):
    response = admin_client.post("/console/master/realm-settings/delete", follow=True)
    assert b"Could not delete realm: Can&#x27;t delete master realm" in response.content
    assert Realm.objects.filter(name="master").exists()
    services.realm_create(name="kept")
    client = console_client(["view-realm"], username="looker")
    assert client.post("/console/kept/realm-settings/delete").status_code == 403
    assert Realm.objects.filter(name="kept").exists()
    with pytest.raises(services.RealmProtected):
        services.realm_update(realm=master, name="renamed")


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in make test's PostgreSQL pass")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_ssl_redirect_without_trusted_proxies_is_warned_about(settings):
    from adminconsole.checks import proxy_settings_check

    settings.SECURE_SSL_REDIRECT, settings.TRUSTED_PROXIES = True, []
    assert [w.id for w in proxy_settings_check(None)] == ["adminconsole.W001"]
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert proxy_settings_check(None) == []
    settings.SECURE_SSL_REDIRECT, settings.TRUSTED_PROXIES = False, []
    assert proxy_settings_check(None) == []
