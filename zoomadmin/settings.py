"""zoomadmin settings: everything comes from the environment (SPEC §3), with working defaults."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import dj_database_url

from zoomadmin.devenv import apply_dev_env

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# What a running scripts/run chose (the sandbox Zoom, its database), for the manage.py commands
# typed in another shell beside it: never over the environment, never with DJANGO_DEBUG=0
# (zoomadmin.devenv). DEV_ENV: the names it set.
DEV_ENV = sorted(apply_dev_env(BASE_DIR, debug=DEBUG))

_DEV_SECRET_KEY = "django-insecure-zoomadmin-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    # Once per start: the processes this one starts (runserver's reloaded child, the
    # cluster's workers, manage.py commands run from it) inherit the note that it was said.
    if not os.environ.get("ZOOMADMIN_DEV_KEY_WARNED"):
        warnings.warn(
            "DJANGO_SECRET_KEY is not set: using the development key.", RuntimeWarning, stacklevel=1
        )
        os.environ["ZOOMADMIN_DEV_KEY_WARNED"] = "1"
    SECRET_KEY = _DEV_SECRET_KEY
# Former secret keys, newest first: sessions and, without ZOOM_ENCRYPTION_KEYS, the stored tokens
# (encrypted with a key derived from the secret key) stay readable after DJANGO_SECRET_KEY changes.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "zoomadmin.apps.ZoomAdminSiteConfig",  # django.contrib.admin with zoomadmin's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_q",
    # The project (checks, commands) and its parts. Tenants come after allauth and django_q: its
    # admin replaces theirs, and it holds our subclass of allauth's Zoom provider (id "zoom").
    "zoomadmin",
    "zoomadmin.tenants",
    "zoomadmin.jobs",
    "zoomadmin.sync",
    "users",
    "meetings",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from STATIC_ROOT (collectstatic), before anything touches sessions or the DB.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "zoomadmin.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "zoomadmin.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads and the qcluster write to one file: wait for the lock instead of failing,
    # and let readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The lists' indexes hold the searched columns (INCLUDE) on PostgreSQL; on SQLite, which has no
# such indexes, they are created without them, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "zoomadmin.tenants.backends.PermissionBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", "") or BASE_DIR / "staticfiles")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", "") or BASE_DIR / "media")

# Archived recording files (admin action "Archive") go to the storage "zoom_archive": by default
# files under ZOOM_ARCHIVE_DIR (MEDIA_ROOT/zoom-archive), never served by a URL of their own;
# ZOOM_ARCHIVE_STORAGE names any Django storage backend instead, with its OPTIONS as JSON in
# ZOOM_ARCHIVE_STORAGE_OPTIONS (e.g. django-storages' S3 backend and its bucket).
ZOOM_ARCHIVE_DIR = os.environ.get("ZOOM_ARCHIVE_DIR", "") or str(MEDIA_ROOT / "zoom-archive")
ZOOM_ARCHIVE_STORAGE = os.environ.get("ZOOM_ARCHIVE_STORAGE", "")
ZOOM_ARCHIVE_STORAGE_OPTIONS = json.loads(os.environ.get("ZOOM_ARCHIVE_STORAGE_OPTIONS") or "{}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production, whitenoise serves collectstatic's output under content-hashed names (cached
    # for ever by browsers) with compressed copies; in development, the app folders as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "zoomadmin.staticfiles.ManifestStaticFilesStorage"
    },
    "zoom_archive": (
        {"BACKEND": ZOOM_ARCHIVE_STORAGE, "OPTIONS": ZOOM_ARCHIVE_STORAGE_OPTIONS}
        if ZOOM_ARCHIVE_STORAGE
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": ZOOM_ARCHIVE_DIR},
        }
    ),
}

SITE_ID = 1
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/admin/"

# --- Security (checked by `manage.py check --deploy` when DJANGO_DEBUG=0) ---
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Error pages and reports hide tokens and secrets, in DEBUG too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "zoomadmin.reporting.ExceptionReporterFilter"
# Health probes speak plain HTTP to the process; a redirect to HTTPS would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- Zoom ---
ZOOM_CLIENT_ID = os.environ.get("ZOOM_CLIENT_ID", "")
ZOOM_CLIENT_SECRET = os.environ.get("ZOOM_CLIENT_SECRET", "")
# An action's options page posts one field per selected record: an account's 20,000 users
# must fit (Django's default of 1,000 would refuse "select all" on any real account).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50_000

ZOOM_WEBHOOK_SECRET_TOKEN = os.environ.get("ZOOM_WEBHOOK_SECRET_TOKEN", "")
# Several Zoom apps, or the old and the new token while rotating: comma-separated, all accepted.
ZOOM_WEBHOOK_SECRET_TOKENS = [
    token.strip() for token in ZOOM_WEBHOOK_SECRET_TOKEN.split(",") if token.strip()
]
# Zoom's event notifications are small; anything larger is refused before it is read.
ZOOM_WEBHOOK_MAX_BYTES = int(os.environ.get("ZOOM_WEBHOOK_MAX_BYTES", str(512 * 1024)))
ZOOM_API_BASE_URL = os.environ.get("ZOOM_API_BASE_URL", "https://api.zoom.us/v2").rstrip("/")
ZOOM_OAUTH_BASE_URL = os.environ.get("ZOOM_OAUTH_BASE_URL", "https://zoom.us").rstrip("/")
ZOOM_SYNC_INTERVAL_MINUTES = int(os.environ.get("ZOOM_SYNC_INTERVAL_MINUTES", "60"))
# A tenant just connected (or re-connected) gets a sync at once, not at the next scheduled one.
ZOOM_SYNC_ON_CONNECT = env_bool("ZOOM_SYNC_ON_CONNECT", True)
# A full sync (every detail) once the last complete one is this old; the scheduled runs between
# are reconciles (listings, and the details of what is new or changed).
ZOOM_FULL_SYNC_HOURS = float(os.environ.get("ZOOM_FULL_SYNC_HOURS", "24"))
# The share of each tenant's per-category limits (by its plan) that this app may use: Zoom's
# limits are per account, shared with the customer's other apps.
ZOOM_RATE_SHARE = float(os.environ.get("ZOOM_RATE_SHARE", "0.8"))
ZOOM_HTTP_TIMEOUT_SECONDS = float(os.environ.get("ZOOM_HTTP_TIMEOUT_SECONDS", "30"))
ZOOM_SYNC_RECORDINGS_MONTHS = int(os.environ.get("ZOOM_SYNC_RECORDINGS_MONTHS", "6"))
# Requests one tenant's sync keeps in flight; 0: as many as its budget can use (see sync.runs).
ZOOM_SYNC_CONCURRENCY = int(os.environ.get("ZOOM_SYNC_CONCURRENCY", "0"))
# A running sync that has not written its heartbeat for this long belongs to a dead worker.
ZOOM_SYNC_STALE_SECONDS = int(os.environ.get("ZOOM_SYNC_STALE_SECONDS", "300"))
# Fernet keys (comma-separated, newest first) for tokens and secrets at rest; the default is
# derived from SECRET_KEY so development needs nothing.
ZOOM_ENCRYPTION_KEYS = env_list("ZOOM_ENCRYPTION_KEYS", "")

# --- django-allauth ---
SOCIALACCOUNT_STORE_TOKENS = True
SOCIALACCOUNT_ADAPTER = "zoomadmin.tenants.adapter.SocialAccountAdapter"
# Nobody signs up or signs in through /accounts/: Zoom only connects tenants.
ACCOUNT_ADAPTER = "zoomadmin.tenants.adapter.AccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_PROVIDERS: dict = {"zoom": {"SCOPE": []}}
if ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET:
    SOCIALACCOUNT_PROVIDERS["zoom"]["APPS"] = [
        {"client_id": ZOOM_CLIENT_ID, "secret": ZOOM_CLIENT_SECRET, "key": ""}
    ]

# --- django-q2 ---
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER: dict = {
    "name": "zoomadmin",
    "workers": int(os.environ.get("ZOOMADMIN_Q_WORKERS", "2")),
    # A task may run for up to an hour (a full sync of a large account); a task not
    # acknowledged after `retry` seconds is handed out again, so retry must exceed timeout.
    "timeout": 3600,
    "retry": 3720,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    "label": "Background tasks",
}
# A sync task begins no user's subtree after this long and leaves the rest to a next task, so
# that none comes near the cluster's timeout (a 10,000-user account takes several).
ZOOM_SYNC_TASK_SECONDS = float(
    os.environ.get("ZOOM_SYNC_TASK_SECONDS", str(Q_CLUSTER["timeout"] * 0.8))
)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# One line per event on stderr: everything goes to the root's handler once. Django's own
# handlers of the "django" logger (a second console, e-mail to ADMINS) are replaced by nothing,
# so its records are not printed twice; a refused request (4xx) is logged without a traceback
# (zoomadmin.logs); runserver's access log leaves the lines of 4xx/5xx to django.request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_error_without_traceback": {"()": "zoomadmin.logs.ClientErrorWithoutTraceback"},
        "request_line_of_django_answer": {"()": "zoomadmin.logs.RequestLineOfDjangoAnswer"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_error_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {
            "handlers": [],
            "filters": ["request_line_of_django_answer"],
            "level": "INFO",
            "propagate": True,
        },
        "django.db.backends": {"level": "INFO"},
    },
}
