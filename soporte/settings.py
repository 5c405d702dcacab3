"""Soporte's one settings file: every knob comes from the environment with a sane default.

Development (the default, `make run`) needs nothing installed: SQLite under VAR_DIR, an
in-process channel relay, mail printed to the console. Production (SOPORTE_MODE=production)
refuses to start with the development secret key.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from soporte.lib.siteurl import served_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "si", "sí"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


MODE = env_str("SOPORTE_MODE", "development")
if MODE not in {"development", "production"}:
    raise ImproperlyConfigured("SOPORTE_MODE must be 'development' or 'production'.")
PRODUCTION = MODE == "production"

DEVELOPMENT_SECRET_KEY = "soporte-development-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "Production mode refuses to start with the development SECRET_KEY: "
        "set SECRET_KEY to a random string of at least 32 characters."
    )

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people reach: notification e-mails link here. By default the address `soporte run`
# serves (HOST and PORT, as `make run` and `PORT=18801 make run` set them), so a desk started on
# another port never mails links to port 8000.
SERVED_HOST = env_str("HOST", "127.0.0.1")
SERVED_PORT = env_int("PORT", 8000)

SITE_URL = env_str("SITE_URL", "") or served_url(SERVED_HOST, SERVED_PORT)

VAR_DIR = Path(env_str("VAR_DIR", str(PROJECT_DIR / "var"))).resolve()
# The database, uploads and sockets live here; create it so `soporte migrate` works anywhere.
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "soporte.admin_site.SoporteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "channels",
    "ninja",
    "django_htmx",
    "template_partials",
    "soporte",
    "soporte.directory",
    "soporte.logbook",
    "soporte.tickets",
    "soporte.calls",
    "soporte.inventory",
    "soporte.workshop",
    "soporte.reports",
    "soporte.knowledge",
    "soporte.triage",
    "django_tasks",
    "django_tasks_db",
    "soporte.jobs",
    "soporte.apps.AxesConfig",  # django-axes, named in Spanish in the admin
    "csp",
    "soporte.once",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "soporte.middleware.DeskLanguageMiddleware",
    # Before CSRF, which reads the body: an oversized body is refused unread.
    "soporte.middleware.InputLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages and documents of a signed-in person are never stored by a browser or a proxy.
    "soporte.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "soporte.middleware.ErrorAnswersMiddleware",
    # After sessions, auth and messages: a repeated form is recognised per person and told so.
    "soporte.once.middleware.OnceMiddleware",
    # Last: turns a lockout django-axes noted during the request into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "soporte.urls"
WSGI_APPLICATION = "soporte.wsgi.application"
ASGI_APPLICATION = "soporte.asgi.application"

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
                "soporte.context_processors.desk",
            ],
        },
    },
    # The desk's hot pages (queues, a ticket's page): soporte/tickets/jinja.py says why.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "soporte.tickets.jinja.environment"},
    },
]

# Databases. SQLite by default: WAL so readers never wait for the writer, IMMEDIATE
# transactions so two writers queue on the lock instead of failing with "database is
# locked" half-way through, and synchronous=FULL so a commit is fsynced before Django
# returns: every acknowledged write survives a crash or power loss.
SQLITE_PATH = VAR_DIR / "soporte.sqlite3"
SQLITE_BUSY_TIMEOUT_S = env_int("SQLITE_BUSY_TIMEOUT", 20)
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=None, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_S,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Persistent connections: reopening SQLite and re-running the PRAGMAs per
            # request halves throughput (research/performance.md §2).
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT_S,
                # Reads through a memory map shared by every connection of the machine (no
                # read() call per page) and a 32 MB page cache per connection: a ticket's
                # page touches a few dozen random pages of a table of a million rows. The map
                # asks for 64 GB; SQLite caps it at its build's limit (2 GB for Python's),
                # so a database of a million tickets (1.9 GB) is read without a system call.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA mmap_size=68719476736; PRAGMA cache_size=-32768;"
                ),
            },
            # A file, not memory: concurrency tests need real locking between connections.
            # Per process, so two test runs on one machine never share a file.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "directory.User"
# Django's model backend, with the user's agent row read in the same query as the user.
# django-axes first: it refuses a locked account or address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "soporte.directory.backends.DeskBackend",
]
# Sign-in throttling (soporte/directory/signin.py): after AXES_FAILURE_LIMIT wrong passwords
# for one account, or from one address, sign-in waits AXES_COOLOFF_TIME; a right password
# resets the account's count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "soporte.directory.signin.lockout_response"
AXES_VERBOSE = False
# Behind a load balancer or reverse proxy: its addresses or networks (comma-separated, e.g.
# "10.0.0.0/8,127.0.0.1"). Only a request arriving from one of them has its X-Forwarded-For
# read for the client's address (soporte/lib/clientip.py); empty, REMOTE_ADDR is the address.
SOPORTE_TRUSTED_PROXIES = env_list("SOPORTE_TRUSTED_PROXIES", [])
AXES_CLIENT_IP_CALLABLE = "soporte.lib.clientip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3600  # one hour, single use (Django's token changes on login/password)

# Language and time: the UI speaks Spanish first; the desk's clock is its own time zone.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Español")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "America/Mexico_City")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"
# Uploaded files live outside the web root and are served only through access-checked views.
# Several web nodes share one directory (NFS, a mounted volume): set MEDIA_ROOT to it.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()

# Sizes of what a request may carry (soporte/lib/limits.py). A body past its limit is refused
# from its Content-Length, before a byte of it is read: 413, in the API's JSON error shape
# under /api/. Uploads: per file, per request, and per customer per day (the desk's own
# staff have no daily quota).
# 16 MB: the inventory's receipts carry their scanned document in base64 inside the JSON.
SOPORTE_API_BODY_MAX_BYTES = env_int("SOPORTE_API_BODY_MAX_BYTES", 16 * 2**20)
SOPORTE_UPLOAD_MAX_FILE_MB = env_int("SOPORTE_UPLOAD_MAX_FILE_MB", 20)
SOPORTE_UPLOAD_MAX_REQUEST_MB = env_int("SOPORTE_UPLOAD_MAX_REQUEST_MB", 60)
SOPORTE_UPLOAD_QUOTA_MB_PER_DAY = env_int("SOPORTE_UPLOAD_QUOTA_MB_PER_DAY", 200)
# Django's own ceilings, kept in step: a form body (not its files) and the files kept in memory
# before they spill to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = SOPORTE_API_BODY_MAX_BYTES
FILE_UPLOAD_HANDLERS = [
    "soporte.lib.limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Channels: Redis when REDIS_URL is given (several machines); otherwise the relay that
# `soporte run` starts on a local socket carries events between the server's workers.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # One prefix per desk: pub/sub channels are shared by every database of a Redis.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("SOPORTE_REDIS_PREFIX", "soporte")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "soporte.lib.relay.RelayChannelLayer"}}
# The cache (rate limits such as the signing password's lockout): Redis, shared by every node,
# when configured; otherwise each process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("SOPORTE_REDIS_PREFIX", "soporte"),
        }
    }
RELAY_SOCKET = env_str("SOPORTE_RELAY_SOCKET", "")
# Set by `soporte run`: the one process that commits CTI events for every web worker.
CTI_WRITER_SOCKET = env_str("SOPORTE_CTI_WRITER_SOCKET", "")

# Background jobs (soporte/lib/tasks.py): Django's task framework on its database backend, so
# jobs live in the same database as everything else: SQLite by default (no extra service),
# PostgreSQL when DATABASE_URL says so, where workers on any number of machines share them.
TASKS = {
    # "documents": PDF builds, on their own worker so mail and SLA jobs never wait behind one.
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "documents"]},
}
# A worker that has not beaten for this long has died: its jobs go back in the queue.
SOPORTE_JOB_LEASE_S = float(env_str("SOPORTE_JOB_LEASE_S", "30"))
# /readyz calls the queue "stalled" when a due job has waited longer than this.
SOPORTE_QUEUE_STALL_S = env_int("SOPORTE_QUEUE_STALL_S", 300)
SOPORTE_JOB_KEEP_DAYS = env_int("SOPORTE_JOB_KEEP_DAYS", 7)
SOPORTE_JOB_KEEP_FAILED_DAYS = env_int("SOPORTE_JOB_KEEP_FAILED_DAYS", 90)
# One-time form tokens and Idempotency-Key claims (soporte/once) are forgotten after this many
# hours: a retry later than that is a new request (clients retry within minutes).
SOPORTE_ONCE_KEEP_HOURS = env_int("SOPORTE_ONCE_KEEP_HOURS", 48)
# Modules with jobs beyond each app's tasks.py (the tests' sample jobs, a site's own jobs).
SOPORTE_EXTRA_TASK_MODULES = env_list("SOPORTE_EXTRA_TASK_MODULES", [])

# Mail: SMTP when EMAIL_HOST is set, the console otherwise.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Soporte <soporte@localhost>")

# Django's database sessions, read with one hand-written SELECT (directory/sessions.py).
SESSION_ENGINE = "soporte.directory.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A year, with subdomains and the preload flag, as browsers' preload lists ask (the flag
    # alone submits nothing; a desk whose subdomains still serve plain HTTP sets the two
    # variables to false).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every response: scripts only from our own static
# files (no inline script runs, no eval: the pages have none, htmx's eval is off); styles from
# our files plus inline style attributes (no script can come through them); websockets and
# htmx requests to our own origin; no frames, no plugins, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "soporte.lib.logfilters.RedactUrlSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    # The CTI token travels in the URL (Zammad's contract): redact it where URLs are logged.
    "loggers": {
        name: {"filters": ["redact"]} for name in ("django.request", "django.server", "granian")
    },
}

# Signing keys of the bitácora are encrypted with a key derived from this (SECRET_KEY if
# empty). Keep it stable: a new value makes the stored private keys unreadable.
LOGBOOK_KEY_SECRET = env_str("LOGBOOK_KEY_SECRET")
# RFC 3161 time-stamping of the bitácora's daily checkpoints (NOM-151 constancia): the TSA's
# URL and the PEM file of the CA certificate its tokens must chain to. Off when unset.
LOGBOOK_TSA_URL = env_str("LOGBOOK_TSA_URL")
LOGBOOK_TSA_CA = env_str("LOGBOOK_TSA_CA")
LOGBOOK_TSA_TIMEOUT_S = env_int("LOGBOOK_TSA_TIMEOUT_S", 10)
# The printed bitácora (soporte/logbook/printing.py), built by the worker's "documents" queue:
# builds queued or running per person and for the whole desk, the longest one render may take
# and its most pages, and how long a build nobody looks at any more goes on before it stops.
SOPORTE_PDF_BUILDS_PER_USER = env_int("SOPORTE_PDF_BUILDS_PER_USER", 2)
SOPORTE_PDF_QUEUE_MAX = env_int("SOPORTE_PDF_QUEUE_MAX", 20)
SOPORTE_PDF_RENDER_SECONDS = env_int("SOPORTE_PDF_RENDER_SECONDS", 30)
SOPORTE_PDF_MAX_PAGES = env_int("SOPORTE_PDF_MAX_PAGES", 500)
SOPORTE_PDF_ABANDON_SECONDS = env_int("SOPORTE_PDF_ABANDON_SECONDS", 20)
# Where finished PDFs wait for their download (empty: VAR_DIR/cache/pdf). With several
# machines, one directory every web node and worker shares, as MEDIA_ROOT.
SOPORTE_PDF_CACHE_DIR = env_str("SOPORTE_PDF_CACHE_DIR")

# E-mail intake (IMAP polling is on when IMAP_HOST is set).
IMAP_HOST = env_str("IMAP_HOST")
SOPORTE_MAIL_DOMAIN = env_str("SOPORTE_MAIL_DOMAIN", "soporte.local")
# The authserv-id the desk's own mail server writes in its Authentication-Results headers
# (soporte/tickets/mail/authresults.py). Set it and a message whose From: did not pass
# DKIM, SPF or DMARC aligned with its domain is quarantined; empty: no check.
SOPORTE_MAIL_AUTHSERV_ID = env_str("SOPORTE_MAIL_AUTHSERV_ID")

# The desk (the support team running this instance).
DESK_NAME = env_str("DESK_NAME", "Mesa de ayuda")
