"""The peer for the benchmark: django-oauth-toolkit's token endpoint in a minimal Django project.

Same server (gunicorn, same workers), same database engine (its own PostgreSQL database in the
same cluster, or its own SQLite file with the product's SQLite options), the default
``startproject`` middleware, client_credentials with ``hash_client_secret`` off.
"""

import os

import dj_database_url

SECRET_KEY = "bench-only-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.dot_urls"
WSGI_APPLICATION = "bench.dot_wsgi.application"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # As the product runs on SQLite (adminconsole/settings.py): WAL, immediate transactions, a
    # generous lock timeout (django-oauth-toolkit writes a token row per grant).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TEMPLATES = []
OAUTH2_PROVIDER = {"ACCESS_TOKEN_EXPIRE_SECONDS": 300}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
