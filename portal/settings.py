"""Settings for the seller portal, read from the environment (django-environ).

The embedded defaults need no `.env` at all: SQLite, the django-q2 ORM broker, the Graph
sandbox mounted and demo mode on. Production (DEBUG off) refuses to start without its
secrets. Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    return value


if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
    # A stable development key derived from the dev secret, so the demo needs no .env.
    _dev_fernet = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[_dev_fernet])
else:
    SECRET_KEY = _required("SECRET_KEY")
    if SECRET_KEY == _DEV_SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is the development default; set a real one.")
    FIELD_ENCRYPTION_KEYS = [k for k in _required("FIELD_ENCRYPTION_KEY").split(",") if k]
    ALLOWED_HOSTS = [h for h in _required("ALLOWED_HOSTS").split(",") if h]

# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEYS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "kernel",
    "portal",
    "graph",
    "shops",
    "catalog",
    "orders",
    "promotions",
    "ads",
    "finance",
    "metatools",
]

GRAPH_SANDBOX_ENABLED = env.bool("GRAPH_SANDBOX_ENABLED", default=DEBUG)
if GRAPH_SANDBOX_ENABLED:
    INSTALLED_APPS.append("meta_sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker) share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The tenant model, named for the lower layers (kernel, graph) that must not import the shops app.
TENANT_MODEL = "shops.Shop"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
#: One date and one date-time format per language (portal/formats/): the same kind of value looks the same everywhere.
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_URL", default="")
    else "django.core.mail.backends.console.EmailBackend"
)
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

# --- Jobs (django-q2) -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    # A task is killed after `timeout`; it is handed out again only after `retry`, which must be
    # longer, or the same work would run twice in parallel.
    "timeout": 300,
    "retry": 420,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# --- Cache ----------------------------------------------------------------------------------
# Redis when it is there (production): one cache for every web and worker process, so a shop's
# cached figures (kernel.shopcache) are forgotten everywhere when the seller or a job changes
# the shop, and rate-limit windows are counted once. Without it (the demo, SQLite) each process
# has its own and a worker's change reaches the web process's figures within their minute.
# Keys carry the database's name by default, so deployments or test runs that share a Redis
# server never read each other's values (CACHE_KEY_PREFIX to set another).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default=f"portal:{Path(str(DATABASES['default']['NAME'])).name}"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Meta / Graph -------------------------------------------------------------------------
META_APP_ID = env.str("META_APP_ID", default="1234567890" if DEBUG else "")
META_APP_SECRET = env.str("META_APP_SECRET", default="sandbox-app-secret" if DEBUG else "")
META_WEBHOOK_VERIFY_TOKEN = env.str("META_WEBHOOK_VERIFY_TOKEN", default="sandbox-verify-token" if DEBUG else "")
GRAPH_API_VERSION = env.str("GRAPH_API_VERSION", default="v26.0")
GRAPH_ORDERS_API_VERSION = env.str("GRAPH_ORDERS_API_VERSION", default="v25.0")
# Where the portal is reachable from itself; the sandbox lives under it at /graph-sandbox.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
GRAPH_BASE_URL = env.str(
    "GRAPH_BASE_URL",
    default=f"{PORTAL_BASE_URL}/graph-sandbox" if GRAPH_SANDBOX_ENABLED else "https://graph.facebook.com",
)
# Meta's login/consent dialogs (FBE) live on www.facebook.com; the sandbox serves its own copy.
META_DIALOG_BASE_URL = env.str(
    "META_DIALOG_BASE_URL",
    default=f"{PORTAL_BASE_URL}/graph-sandbox/www" if GRAPH_SANDBOX_ENABLED else "https://www.facebook.com",
)
GRAPH_CONNECT_TIMEOUT = env.float("GRAPH_CONNECT_TIMEOUT", default=5.0)
GRAPH_READ_TIMEOUT = env.float("GRAPH_READ_TIMEOUT", default=30.0)
GRAPH_CALL_RETENTION_DAYS = env.int("GRAPH_CALL_RETENTION_DAYS", default=14)
# Retries of reads and idempotency-keyed writes: attempts, backoff base and cap (seconds), and the
# longest rate-limit wait slept through inside a task (longer waits reschedule the task).
GRAPH_MAX_ATTEMPTS = env.int("GRAPH_MAX_ATTEMPTS", default=4)
GRAPH_BACKOFF_BASE = env.float("GRAPH_BACKOFF_BASE", default=0.5)
GRAPH_BACKOFF_MAX = env.float("GRAPH_BACKOFF_MAX", default=30.0)
GRAPH_MAX_WAIT = env.float("GRAPH_MAX_WAIT", default=60.0)

DEMO_MODE = env.bool("DEMO_MODE", default=DEBUG)

# --- Security (production) ----------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "kernel.redaction.RedactSecretsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
