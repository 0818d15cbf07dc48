"""Settings for the BNF KPI application.

One module, driven by environment variables. Without any variable set it runs
locally on SQLite in debug mode; production values come only from the
environment (see README, "Configuratie").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from bnf.env import (
    env_bool,
    env_choice,
    env_float,
    env_hosts,
    env_import_path,
    env_int,
    env_json_object,
    env_origins,
    env_path,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY moet in productie (DJANGO_DEBUG=0) een eigen geheime sleutel "
        "van minstens 50 tekens zijn."
    )

ALLOWED_HOSTS = env_hosts("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_origins("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "kpis.apps.BnfAdminConfig",  # django.contrib.admin with our start page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kpis.apps.LoginProtectionConfig",  # django-axes
    "csp",
    "django_tables2",
    "import_export",
    "django_tasks",  # Django's tasks API (backport): long imports run in the background
    "django_tasks_db",  # its queue in the database; `manage.py db_worker` runs it
    # Audit trail: who changed what, when, and how (see kpis/core/audit.py and the README).
    "kpis.apps.AuditTrailConfig",  # django-auditlog
    "kpis",
    "projects",
    "subsidies",
    # Demo data and benchmarks (manage.py generate_demo_data, benchmark*): tools for
    # developers and operators; no page, model or request ever imports them.
    "kpis.dev",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Reads the network's identity (kpis.models.network) at most once per request.
    "kpis.middleware.NetworkMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Puts the user and the path ("admin", "import") on every audit log entry of a request.
    "kpis.core.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A write the database refused for a closed year: a Dutch page (409), not a 500.
    "kpis.middleware.YearPolicyRefusalMiddleware",
    "csp.middleware.CSPMiddleware",
    # Keep last: turns a locked-out login into the lockout page (templates/axes/).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bnf.urls"

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
                # {{ network }}: the network's identity (name, logo, colours, ...).
                "kpis.context_processors.network",
            ],
        },
    },
]

WSGI_APPLICATION = "bnf.wsgi.application"

database_url = env_url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    ("postgres", "postgresql", "sqlite"),  # the two databases the year policy's triggers know
    "postgres://gebruiker:wachtwoord@host:5432/bnf",
)
try:
    DATABASES = {
        "default": dj_database_url.parse(
            database_url,
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:  # its message does not repeat the URL (nor its password)
    raise ImproperlyConfigured(f"DATABASE_URL is onleesbaar: {error}") from None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The yearly figures, the chart data and the anonymous pages (kpis.core.page_cache) are
# cached under the database's data version (kpis.core.data_version), which triggers change on
# every committed write; so a per-process memory cache is always current.
# BNF_CACHE_URL=redis://host:6379/1 shares one cache between the workers (needs the
# `redis` extra): after a write one worker recomputes and the others wait for it (up to
# BNF_CACHE_LOCK_SECONDS). BNF_FIGURE_CACHE=false computes everything on every request;
# BNF_PAGE_CACHE=false keeps the figures cached but renders every page.
cache_url = env_url("BNF_CACHE_URL", None, ("redis", "rediss", "unix"), "redis://127.0.0.1:6379/1")
if cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": cache_url,
            "KEY_PREFIX": "bnf",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
BNF_FIGURE_CACHE = env_bool("BNF_FIGURE_CACHE", True)
BNF_FIGURE_CACHE_SECONDS = env_int("BNF_FIGURE_CACHE_SECONDS", 86400)
BNF_PAGE_CACHE = env_bool("BNF_PAGE_CACHE", True)
BNF_CACHE_LOCK_SECONDS = env_float("BNF_CACHE_LOCK_SECONDS", 10)

# Demo data lives in the top-level fixtures/ folder: `manage.py loaddata bnf_2021`.
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
# The product speaks Dutch to everyone, whatever the browser asks for.
LANGUAGES = [("nl", _("Nederlands"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# Dutch number formatting on screen (14.513, € 263.568); exports format their own numbers.
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

# Inlogpogingen (django-axes): the lock-out check runs before the password check.
AUTHENTICATION_BACKENDS = [
    "bnf.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After 5 failed logins for one username from one address, that combination is locked
# for an hour from the last counted failure; attempts during the lock do not extend it,
# and the right password during the lock is refused too. A success resets the count.
# Coordinators can lift a lock early in the admin ("Access attempts": delete the row)
# or with `manage.py axes_reset_username <naam>`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_VERBOSE = False  # no start-up banner on every manage.py command
AXES_COOLOFF_MESSAGE = _("Te veel mislukte inlogpogingen. Probeer het over een uur opnieuw.")
# The client address: REMOTE_ADDR, or behind BNF_PROXY_COUNT reverse proxies that each
# append to X-Forwarded-For, the entry our outermost proxy wrote (bnf.security.client_ip).
# Set it only when the app cannot be reached around the proxies, or clients can pick
# their own address; left at 0 behind a proxy, everyone shares the proxy's address.
BNF_PROXY_COUNT = env_int("BNF_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "bnf.security.client_ip"

# Content-Security-Policy (django-csp) on every response: only our own scripts, styles
# and images; no inline <script>, <style> or style="..." and no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Seconds the fast transport import waits for a table lock (PostgreSQL) before it gives
# up, writes nothing and asks to try again later; 0 waits without limit.
BNF_IMPORT_LOCK_TIMEOUT = env_float("BNF_IMPORT_LOCK_TIMEOUT", 30)

# Background jobs: Django's tasks API (the django-tasks backport, with its queue in the
# database: django-tasks-db). "database" stores each job for `manage.py db_worker` (the
# worker service, see README "Uitrollen"); "immediate" runs it at once in the process that
# asks for it (rundemo and the tests). Default: database in production, immediate in debug.
BNF_TASKS_BACKEND = env_choice(
    "BNF_TASKS_BACKEND", "immediate" if DEBUG else "database", ("database", "immediate")
)
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if BNF_TASKS_BACKEND == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}
# A fast transport import of more rows than this runs as a background job, with a progress
# page; smaller files are imported within the upload request.
BNF_IMPORT_JOB_ROWS = env_int("BNF_IMPORT_JOB_ROWS", 50000)
# Both importers (admin and transport) refuse a file over this many bytes before reading
# it (0: no limit), and an XLSX file with a part that unpacks to more than this (a
# decompression bomb) before openpyxl opens it. See kpis/core/cells.py.
BNF_IMPORT_MAX_BYTES = env_int("BNF_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
BNF_IMPORT_MAX_XLSX_PART_BYTES = env_int("BNF_IMPORT_MAX_XLSX_PART_BYTES", 100 * 1024 * 1024)
# Where an uploaded file waits for the worker (shared by the app and the worker).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Evidence files (kpis.Evidence): never under a public URL, downloaded through a view that
# checks permissions. By default a private directory; BNF_EVIDENCE_STORAGE_BACKEND and
# BNF_EVIDENCE_STORAGE_OPTIONS (JSON) pick another Django storage, such as S3 with
# django-storages (README, "Bewijsstukken"); BNF_EVIDENCE_STORAGE names the STORAGES alias.
BNF_EVIDENCE_ROOT = env_path("BNF_EVIDENCE_ROOT", BASE_DIR / "private" / "evidence")
BNF_EVIDENCE_MAX_BYTES = env_int("BNF_EVIDENCE_MAX_MB", 10, minimum=1) * 1024 * 1024
STORAGES["evidence"] = {
    "BACKEND": env_import_path(
        "BNF_EVIDENCE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env_json_object("BNF_EVIDENCE_STORAGE_OPTIONS") or {"location": BNF_EVIDENCE_ROOT},
}
BNF_EVIDENCE_STORAGE = env_choice("BNF_EVIDENCE_STORAGE", "evidence", tuple(STORAGES))

# E-mail: the reminders and the coordinators' monthly digest (`manage.py send_reminders`,
# kpis.reminders). Without EMAIL_BACKEND mails are printed on the console, never sent.
# Free text: the backend's dotted path, the server, the account and the sender.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS en EMAIL_USE_SSL sluiten elkaar uit: zet er hoogstens één aan "
        "(TLS: STARTTLS, meestal poort 587; SSL: meteen versleuteld, meestal poort 465)."
    )
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "BNF registratie <noreply@localhost>"
# An adviser who registered nothing for this many days gets a reminder (at most one per
# this many days). The links in the mails start with BNF_SITE_URL.
BNF_REMINDER_DAYS = env_int("BNF_REMINDER_DAYS", 14, minimum=1)
BNF_SITE_URL = env_url(
    "BNF_SITE_URL", "http://localhost:8000", ("http", "https"), "https://kpi.bnf.nl"
).rstrip("/")

IMPORT_EXPORT_USE_TRANSACTIONS = True
# Importing needs the add permission of the model, exporting its view permission (the
# package's default lets every staff member import into and export from every model).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Audit trail (django-auditlog): kpis.core.audit registers the models and fields. The
# correlation id of the entries of one request or command is made by kpis.core.audit,
# never read from a header a client could set.
AUDITLOG_CID_HEADER = None

DJANGO_TABLES2_TEMPLATE = "django_tables2/semantic.html"

# Production hardening: only active when DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only makes the domain eligible: it goes on browsers' preload list when someone
    # submits it (hstspreload.org, base domain only), which nobody does by accident.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "DJANGO_LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
        ).upper(),
    },
}
