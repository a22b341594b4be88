from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Chromium runs as root here; without the background-networking flags it keeps trying to
# reach Google's hosts through a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ADMIN_PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Sign-ins and the password grant check real passwords; a fast hasher keeps tests quick.

    Tests that start the app in another process (which reads the real settings) override this.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def master(db):
    from realms import services
    from realms.models import Realm

    return Realm.objects.filter(name="master").first() or services.realm_create(name="master", access_token_lifespan=60)


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser(username="admin", password=ADMIN_PASSWORD, email="")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def make_user(django_user_model, username: str, roles: list[str]):
    from django.contrib.auth.models import Permission

    from realms.permissions import codename

    user = django_user_model.objects.create_user(username=username, password=ADMIN_PASSWORD)
    perms = Permission.objects.filter(content_type__app_label="realms", codename__in=[codename(r) for r in roles])
    user.user_permissions.set(perms)
    return user


@pytest.fixture
def viewer_user(db, django_user_model):
    return make_user(django_user_model, "viewer", ["view-realm", "view-clients"])


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [f"--user-data-dir={profile}"] if False else CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def console_page(page, admin_user, master):
    """A browser page signed in as the bootstrap administrator, on realm master."""
    page.goto("/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/console/master/**")
    return page
