"""Django settings, all from the environment (see README "Configuration")."""

from __future__ import annotations

import datetime as dt

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from adminconsole.config import (
    BASE_DIR,
    VAR_DIR,
    debug,
    encryption_keys,
    env,
    env_bool,
    env_list,
    is_production,
    secret_key,
    trusted_proxies,
)
from realms.sensitive import CREDENTIAL_PARAMETERS

PRODUCTION = is_production()
SECRET_KEY = secret_key()
DEBUG = debug()
# Reverse proxies whose X-Forwarded-For is believed (realms.actor.client_ip); none by default.
TRUSTED_PROXIES = trusted_proxies()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when CONSOLE_ENV=production")
SECRET_ENCRYPTION_KEYS = encryption_keys()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "ninja",  # serves the Admin REST API's docs page with its bundled (offline) Swagger UI files
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "adminconsole",
    "realms",
    "clients",
    "oidc",
    "policies",
    "webhooks",
    "expiry",
    "users",
    "jobs",
]

MIDDLEWARE = [
    # The machine-to-machine OIDC endpoints (LEAN_PATHS) leave here for LEAN_MIDDLEWARE.
    "adminconsole.middleware.LeanEndpointsMiddleware",
    # Before anything reads them: X-Forwarded-Proto/-Host/-Port and Forwarded only from TRUSTED_PROXIES.
    "adminconsole.middleware.UntrustedForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "adminconsole.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their caching): no dynamic answer is ever stored.
    "adminconsole.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After CSRF, authentication, messages and htmx: a form sent twice writes once.
    "adminconsole.middleware.FormTokenMiddleware",
    # Each realm's client policies are loaded at most once per request.
    "policies.middleware.PolicyScopeMiddleware",
    # Last, as django-axes asks: turns a locked-out login attempt into the lockout response.
    "axes.middleware.AxesMiddleware",
]

# Token, introspection, JWKS, userinfo and discovery: JSON for clients without cookies. They keep
# every header and check of MIDDLEWARE (security headers, CSP, NUL refusal, no-store, frame
# options, the policy scope, django-axes for the password grant) and skip sessions, CSRF (the
# views are csrf-exempt), authentication, messages, htmx and static files.
LEAN_PATHS = (r"/realms/[^/]+/(?:protocol/openid-connect/(?:token|token/introspect|certs|userinfo)"
              r"|\.well-known/openid-configuration)")
LEAN_MIDDLEWARE = [
    "adminconsole.middleware.UntrustedForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "adminconsole.middleware.StaticCSPMiddleware",
    "adminconsole.middleware.RejectNulMiddleware",
    "adminconsole.middleware.NoStoreMiddleware",
    # Where the full chain's CommonMiddleware checks the Host against ALLOWED_HOSTS.
    "adminconsole.middleware.HostCheckMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "policies.middleware.PolicyScopeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "adminconsole.urls"
WSGI_APPLICATION = "adminconsole.wsgi.application"
ASGI_APPLICATION = "adminconsole.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "adminconsole.context_processors.console",
            ],
            # Its {% csrf_token %} also renders the form's one-time token (adminconsole.form_tokens).
            "builtins": ["adminconsole.templatetags.form_tokens"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the several gunicorn workers read while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # An unreachable server fails a request in seconds (a clean 503, adminconsole.errors), never hangs it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", int(env("DATABASE_CONNECT_TIMEOUT", "5")))
    # Every query here is short and indexed; JIT compilation would only add its own start-up time
    # (tens of ms) to the few whose cost estimate crosses jit_above_cost on a large table. An
    # ``options`` given in DATABASE_URL (``?options=...``) wins.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

# Seconds a worker may answer from its in-memory copy of a client's rows (oidc.client_cache),
# of a realm or of its client policies (oidc.caches), even if a change notification was lost.
CLIENT_CACHE_MAX_AGE = float(env("CLIENT_CACHE_MAX_AGE", "5"))
if not 0 <= CLIENT_CACHE_MAX_AGE < float("inf"):
    raise ImproperlyConfigured("CLIENT_CACHE_MAX_AGE must be 0 (no cache) or more seconds")

# Seconds a console form may stay open before it is sent (its one-time token expires); spent
# tokens are kept this long (adminconsole.form_tokens).
FORM_TOKEN_MAX_AGE = int(env("FORM_TOKEN_MAX_AGE", "86400"))
if FORM_TOKEN_MAX_AGE <= 0:
    raise ImproperlyConfigured("FORM_TOKEN_MAX_AGE must be a positive number of seconds")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's four standard validators, for every password a console user is given (including the
# bootstrap administrator's CONSOLE_ADMIN_PASSWORD).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Keycloak's API paths have no trailing slash; never redirect them.
APPEND_SLASH = False

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Security and audit (README "Security and audit").
# A strict Content-Security-Policy: our own files only, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# Console login throttling: django-axes keeps failed attempts in the database, so every worker
# and every instance sees the same count. 5 failures of one username from one address lock that
# pair out for 15 minutes.
AUTHENTICATION_BACKENDS = [
    "adminconsole.security.ConsoleAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(env("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The one client-address function (REMOTE_ADDR, or X-Forwarded-For only behind TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "realms.actor.client_ip"
# django-axes keeps the request's GET and POST data of failed sign-ins (the token endpoint's password
# grant included): it masks these names itself, and the handler masks every other credential name.
AXES_HANDLER = "adminconsole.security.ConsoleAxesHandler"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", *CREDENTIAL_PARAMETERS]
AXES_LOCKOUT_CALLABLE = "adminconsole.security.lockout_response"
AXES_VERBOSE = False
# Failed client authentications at the token and introspection endpoints (realms.throttle):
# the limit is per client and source address, the ceiling per client across all addresses.
CLIENT_AUTH_FAILURE_LIMIT = int(env("CLIENT_AUTH_FAILURE_LIMIT", "10"))
CLIENT_AUTH_CLIENT_CEILING = int(env("CLIENT_AUTH_CLIENT_CEILING", "1000"))
CLIENT_AUTH_FAILURE_WINDOW = int(env("CLIENT_AUTH_FAILURE_WINDOW", "300"))
CLIENT_AUTH_LOCKOUT_SECONDS = int(env("CLIENT_AUTH_LOCKOUT_SECONDS", "300"))
# Keycloak's "SSO Session Max": no login session (password grant) is refreshed after this many
# seconds, and none of its tokens outlives it (oidc.sessions).
SSO_SESSION_MAX_LIFESPAN = int(env("SSO_SESSION_MAX_LIFESPAN", "36000"))
# Secret rotation at a glance (clients.rotation): a rotated secret counts as still in use while it
# was used since the rotation and within this many seconds; quieter than that, it is safe to
# invalidate. 0 turns the window off (any use since the rotation counts, until it expires).
try:
    ROTATED_SECRET_QUIET_PERIOD = int(env("ROTATED_SECRET_QUIET_PERIOD", "86400"))
except ValueError:
    ROTATED_SECRET_QUIET_PERIOD = -1
if ROTATED_SECRET_QUIET_PERIOD < 0:
    raise ImproperlyConfigured("ROTATED_SECRET_QUIET_PERIOD must be a whole number of seconds, 0 or more")
# client_secret_jwt assertions: how far ahead exp may lie, and how far iat may be in the future.
CLIENT_ASSERTION_MAX_EXPIRATION = int(env("CLIENT_ASSERTION_MAX_EXPIRATION", "300"))
CLIENT_ASSERTION_CLOCK_SKEW = int(env("CLIENT_ASSERTION_CLOCK_SKEW", "10"))

# Background work (expiry sweep, webhook deliveries) goes through Django's task framework with
# its database backend: no broker, the same database as the console, pending work survives a
# restart. `manage.py db_worker` runs a worker; `make run` starts one next to the web server.
# Two queues: "default" (the expiry sweep, automatic rotation, jobs) and "webhooks" (deliveries,
# with their own worker so a slow receiver delays nothing else).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "webhooks"]}}
# Outgoing webhooks (webhooks.outbound): seconds one delivery attempt may wait for the receiver, and
# whether production mode may call loopback, private and other non-public addresses.
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "5"))
if not 0 < WEBHOOK_TIMEOUT <= 60:
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT must be more than 0 and at most 60 seconds")
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
# Seconds saving a webhook URL may wait for its host's DNS answer (production mode resolves it in
# the request): a host whose name servers never answer must not hold a web worker.
WEBHOOK_RESOLVE_TIMEOUT = float(env("WEBHOOK_RESOLVE_TIMEOUT", "3"))
if not 0 < WEBHOOK_RESOLVE_TIMEOUT <= 30:
    raise ImproperlyConfigured("WEBHOOK_RESOLVE_TIMEOUT must be more than 0 and at most 30 seconds")
# The secret-expiry sweep (expiry.tasks): how often it runs, and how many secrets it may rotate
# automatically in any minute (the rest wait for the next sweeps).
ROTATION_SWEEP_INTERVAL = int(env("ROTATION_SWEEP_INTERVAL", "60"))
ROTATION_MAX_PER_MINUTE = int(env("ROTATION_MAX_PER_MINUTE", "60"))
if ROTATION_SWEEP_INTERVAL < 1 or ROTATION_MAX_PER_MINUTE < 1:
    raise ImproperlyConfigured("ROTATION_SWEEP_INTERVAL and ROTATION_MAX_PER_MINUTE must be at least 1")
# Finished task results (webhook attempts, job chunks, sweeps) are kept this many seconds, then
# the sweep deletes them; queued and running ones are never touched.
try:
    TASK_RESULT_RETENTION = int(env("TASK_RESULT_RETENTION", str(7 * 86400)))
except ValueError:
    TASK_RESULT_RETENTION = -1
if TASK_RESULT_RETENTION < 0:
    raise ImproperlyConfigured("TASK_RESULT_RETENTION must be a whole number of seconds, 0 or more")

# Expiry emails go through Django's email framework: printed to the worker's output by default,
# sent by SMTP once EMAIL_HOST is set.
EMAIL_HOST = env("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(env("EMAIL_PORT", "587" if EMAIL_HOST else "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", bool(EMAIL_HOST))
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "oidc-admin-console@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
