from __future__ import annotations

import functools
import itertools
import os
import shutil

import pytest

from tests import permissions

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


# Signing keys made so far by this test process: see ``realm_keys_from_a_pool``.
_KEY_POOL: list = []


@pytest.fixture(autouse=True)
def realm_keys_from_a_pool(monkeypatch):
    """Every realm made gets a new RSA-2048 signing key, and generating one costs a tenth of a
    second or more: most tests make a realm, so the suite spent minutes generating keys.

    Tests take real, distinct keys from a pool instead: the first key a test asks for is the
    pool's first, the second its second, and the pool grows when a test asks for more than any
    test before it. Within a test every realm and every rotation gets a key of its own; across
    tests the same keys come back, which is safe because each test's rows are gone by the next
    and a key's kid is its thumbprint (the per-process key caches map a kid to the same key).
    Processes a test starts (an app server, a worker) generate their own keys as in production.
    """
    from oidc import keys

    generate = keys.key_generate
    taken = itertools.count()

    def pooled():
        index = next(taken)
        while len(_KEY_POOL) <= index:
            _KEY_POOL.append(generate())
        return _KEY_POOL[index]

    monkeypatch.setattr(keys, "key_generate", pooled)


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


# The console roles of a view-only administrator: reads every page, changes nothing.
VIEWER_ROLES = list(permissions.VIEWER_ROLES)


def make_user(django_user_model, username: str, roles: list[str]):
    """A console user holding exactly ``roles`` (realm-management role names), password ADMIN_PASSWORD."""
    from django.contrib.auth.models import Permission

    from realms.permissions import codename

    user = django_user_model.objects.create_user(username=username, password=ADMIN_PASSWORD)
    perms = Permission.objects.filter(content_type__app_label="realms", codename__in=[codename(r) for r in roles])
    user.user_permissions.set(perms)
    return user


@pytest.fixture
def console_client(client, db, django_user_model):
    """``console_client(roles=[...])`` signs a new console user holding exactly those roles in
    on the test client and returns it: the one way tests sign in someone other than the
    bootstrap administrator (``admin_client``).

    ``username=`` names the user (events and tokens show it); ``client=`` signs in on another
    ``django.test.Client``, for a test that needs two people at once.
    """
    made = itertools.count()

    def sign_in(roles, *, username: str | None = None, client=client):
        client.force_login(make_user(django_user_model, username or f"console-user-{next(made)}", list(roles)))
        return client

    return sign_in


@pytest.fixture
def permission_matrix(console_client):
    """``permission_matrix(calls, anonymous=..., outsider=..., viewer=..., manager=..., manager_roles=[...])``:
    see tests/permissions.py."""
    return functools.partial(permissions.assert_permission_matrix, console_client)


@pytest.fixture
def viewer_user(db, django_user_model):
    return make_user(django_user_model, "viewer", VIEWER_ROLES)


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000}, reduced_motion="reduce")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_sign_in(page, username: str = "admin", password: str = ADMIN_PASSWORD, *, start: str = "/"):
    """Sign in through the login form, as a person does; returns on realm master's console."""
    page.goto(start)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/console/master/**")
    return page


@pytest.fixture
def console_page(page, admin_user, master):
    """A browser page signed in as the bootstrap administrator, on realm master."""
    return browser_sign_in(page)
