"""Django settings, built from dailypapers.config (the one place settings are read)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import dj_database_url

from dailypapers import config

CONFIG = config.load()
HOME: Path = CONFIG["DAILYPAPERS_HOME"]
BASE_DIR = Path(__file__).resolve().parent


def _secret_key() -> str:
    """The configured key, else the data dir's key file, else a random key for this process.

    Nothing is written at import: `dailypapers serve` creates the key file before its
    workers start, and `digest`/`worker` before they sign links (dailypapers/secretkey.py), and refuses to run with DEBUG off unless
    DAILYPAPERS_SECRET_KEY is set.
    """
    if CONFIG["DAILYPAPERS_SECRET_KEY"]:
        return CONFIG["DAILYPAPERS_SECRET_KEY"]
    try:
        return SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        return secrets.token_urlsafe(50)


SECRET_KEY_FILE = HOME / "secret_key"
SECRET_KEY = _secret_key()
SECRET_KEY_FROM_ENV = bool(CONFIG["DAILYPAPERS_SECRET_KEY"])
DEBUG = CONFIG["DAILYPAPERS_DEBUG"]
ALLOWED_HOSTS = CONFIG["DAILYPAPERS_ALLOWED_HOSTS"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dailypapers.store",
    "dailypapers.cli",
    "dailypapers.digest",
    "dailypapers.search",
    "dailypapers.community",
    "dailypapers.web",
    "dailypapers.library",
    "dailypapers.groups",
    "dailypapers.notify",
    "dailypapers.ratelimit",
    "ninja",  # serves the OpenAPI docs' scripts from our static files instead of a CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dailypapers.web.head.HeadAsGetMiddleware",  # HEAD wherever GET works; outside the rest, so they see a GET
    # Before sessions, auth or any view read the database: a NUL or other control character is 400.
    "dailypapers.web.guards.ControlCharactersMiddleware",
    "dailypapers.web.staticfiles.StaticFilesMiddleware",  # WhiteNoise
    "dailypapers.web.dbtimeout.StatementTimeoutMiddleware",  # PostgreSQL: no request's SQL outlives it
    # Pages go out gzipped: a day of 50 cards with Hugging Face's summaries is ~140 KiB of HTML,
    # ~25 KiB on the wire (CSRF tokens are masked per request, which is Django's BREACH defence).
    "django.middleware.gzip.GZipMiddleware",
    "dailypapers.web.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dailypapers.web.limits.LimitsMiddleware",  # RateLimited -> 429, PageOutOfRange -> 400 (styled)
]

# Every password check counts against DAILYPAPERS_LOGIN_RATE (web/limits.py), /admin/login/ included.
AUTHENTICATION_BACKENDS = ["dailypapers.web.limits.RateLimitedModelBackend"]

ROOT_URLCONF = "dailypapers.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dailypapers.web.context.site",
            ],
        },
    },
]

WSGI_APPLICATION = "dailypapers.wsgi.application"


def _database() -> dict:
    url = CONFIG["DATABASE_URL"]
    if url:
        db = dj_database_url.parse(url, conn_max_age=60)
        if db["ENGINE"] == "django.db.backends.sqlite3":
            db["OPTIONS"] = _sqlite_options()
        return db
    HOME.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(HOME / "dailypapers.sqlite3"),
        "OPTIONS": _sqlite_options(),
        # Kept open between requests, as with DATABASE_URL: opening one (connect, PRAGMAs,
        # Django's SQL functions) cost ~0.5 ms of a ~5 ms uncached page.
        "CONN_MAX_AGE": 60,
    }


def _sqlite_options() -> dict:
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
    # so two writers queue on the busy timeout instead of failing mid-transaction.
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;",
    }


DATABASES = {"default": _database()}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a real file, not shared-cache memory: concurrency then behaves as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(HOME / "test_dailypapers.sqlite3")}
REPLICA_PIN_SECONDS = CONFIG["DAILYPAPERS_REPLICA_PIN_SECONDS"]
if CONFIG["DATABASE_REPLICA_URL"]:
    # A hot standby for lag-tolerant reads (store/routing.py decides which; tests mirror the primary).
    DATABASES["replica"] = dj_database_url.parse(CONFIG["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["dailypapers.store.routing.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "dailypapers.web.replica.ReplicaReadsMiddleware",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Sign-up, reset and change all run these (Django's forms call validate_password).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
# WhiteNoise serves static files from the gunicorn workers (no CDN, no separate server):
# collectstatic writes hashed names (cached for a year, immutable) and gzip copies.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "dailypapers.web.staticfiles.HashedStaticFilesStorage"},
}
# Also serve straight from the apps: tests and `runserver` never collect (see web/staticfiles.py).
WHITENOISE_USE_FINDERS = True

# Redis shared by every web host when DAILYPAPERS_CACHE_URL is set; else a database table for
# what every worker must share and per-process memory for anonymous pages. Rate-limit counters
# are not kept in a cache (RATELIMIT_STORE).
if CONFIG["DAILYPAPERS_CACHE_URL"]:
    CACHES = {
        name: {
            "BACKEND": "dailypapers.cache.FailSoftRedisCache",
            "LOCATION": CONFIG["DAILYPAPERS_CACHE_URL"],
            "KEY_PREFIX": prefix,
        }
        for name, prefix in (("default", "dp"), ("pages", "dp-pages"))
    }
    # Sessions live in the database and are read through Redis; Redis away means database reads.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "dailypapers_cache"},
        # Rendered pages for anonymous visitors: per process on purpose (a few seconds' staleness is fine).
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dailypapers-pages"},
    }
PAGE_CACHE_SECONDS = CONFIG["DAILYPAPERS_PAGE_CACHE_SECONDS"]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Cookies: never readable from scripts; Secure whenever DEBUG is off unless explicitly disabled.
SECURE_COOKIES = CONFIG["DAILYPAPERS_SECURE_COOKIES"] if CONFIG["DAILYPAPERS_SECURE_COOKIES"] is not None else not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True  # our scripts read the token from the form, not the cookie
# HSTS only where cookies are Secure, i.e. the site is meant to be HTTPS-only (SecurityMiddleware
# sends it on HTTPS responses; behind a proxy, DAILYPAPERS_PROXY_SSL_HEADER says which those are).
SECURE_HSTS_SECONDS = CONFIG["DAILYPAPERS_HSTS_SECONDS"] if SECURE_COOKIES else 0
SECURE_PROXY_SSL_HEADER = CONFIG["DAILYPAPERS_PROXY_SSL_HEADER"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Per-machine search indexes, derived from the database (dailypapers.search.indexer).
SEARCH_INDEX_DIR = HOME / "index"
SEARCH_MODEL_DIR = (
    Path(CONFIG["DAILYPAPERS_MODEL_DIR"]).expanduser()
    if CONFIG["DAILYPAPERS_MODEL_DIR"]
    else Path(sys.prefix) / "share" / "dailypapers" / "models"
)
SEARCH_REFRESH_SECONDS = CONFIG["DAILYPAPERS_SEARCH_REFRESH_SECONDS"]
SEARCH_SHARDS = CONFIG["DAILYPAPERS_SEARCH_SHARDS"]
TRENDING_HALF_LIFE_HOURS = CONFIG["DAILYPAPERS_TRENDING_HALF_LIFE_HOURS"]
TRENDING_HF_WEIGHT = CONFIG["DAILYPAPERS_TRENDING_HF_WEIGHT"]
LOGIN_RATE = CONFIG["DAILYPAPERS_LOGIN_RATE"]
MAIL_RATE = CONFIG["DAILYPAPERS_MAIL_RATE"]
WRITE_RATE = CONFIG["DAILYPAPERS_WRITE_RATE"]
# Only web requests get it (web/dbtimeout.py): the worker's long imports and the CLI run unbounded.
WEB_STATEMENT_TIMEOUT_MS = CONFIG["DAILYPAPERS_WEB_STATEMENT_TIMEOUT_MS"]
LIBRARY_RATE = CONFIG["DAILYPAPERS_LIBRARY_RATE"]
NOTIFY_SUMMARY_MINUTES = CONFIG["DAILYPAPERS_NOTIFY_SUMMARY_MINUTES"]
IMPORT_RATE = CONFIG["DAILYPAPERS_IMPORT_RATE"]
API_READ_RATE = CONFIG["DAILYPAPERS_API_READ_RATE"]
# Where the limiter counts (dailypapers/ratelimit/stores.py): its own table, which nothing evicts,
# or Redis for several web hosts (the table while Redis is away).
RATELIMIT_STORE = (
    "dailypapers.ratelimit.stores.RedisStore"
    if CONFIG["DAILYPAPERS_CACHE_URL"]
    else "dailypapers.ratelimit.stores.DatabaseStore"
)
RATELIMIT_REDIS_URL = CONFIG["DAILYPAPERS_CACHE_URL"]

EMAIL_BACKEND = CONFIG["DAILYPAPERS_EMAIL_BACKEND"]
EMAIL_HOST = CONFIG["DAILYPAPERS_EMAIL_HOST"]
EMAIL_PORT = CONFIG["DAILYPAPERS_EMAIL_PORT"]
EMAIL_HOST_USER = CONFIG["DAILYPAPERS_EMAIL_USER"]
EMAIL_HOST_PASSWORD = CONFIG["DAILYPAPERS_EMAIL_PASSWORD"]
EMAIL_USE_TLS = CONFIG["DAILYPAPERS_EMAIL_STARTTLS"]
EMAIL_USE_SSL = CONFIG["DAILYPAPERS_EMAIL_SSL"]
EMAIL_TIMEOUT = CONFIG["DAILYPAPERS_EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = SERVER_EMAIL = CONFIG["DAILYPAPERS_EMAIL_FROM"]
# Every absolute link starts here: DAILYPAPERS_BASE_URL, else the address `serve` runs on (config.base_url).
BASE_URL = config.base_url(CONFIG)

# Errors are never lost: every 500 (django.request, with its traceback) and our own warnings go to
# stderr and to a rotating file in DAILYPAPERS_HOME (with DEBUG off Django would only mail them to
# ADMINS, which is empty). The file is opened at the first record, not here.
LOG_FILE = {"": HOME / "logs" / "dailypapers.log", "off": None}.get(
    CONFIG["DAILYPAPERS_LOG_FILE"].strip(), Path(CONFIG["DAILYPAPERS_LOG_FILE"].strip() or ".").expanduser()
)
ACCESS_LOG = {"": str(HOME / "logs" / "access.log"), "off": None}.get(
    CONFIG["DAILYPAPERS_ACCESS_LOG"].strip(), CONFIG["DAILYPAPERS_ACCESS_LOG"].strip()
)
_LOG_HANDLERS = ["console", "file"] if LOG_FILE else ["console"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},  # stderr
        **(
            {
                "file": {
                    "class": "dailypapers.logfile.RotatingHomeFile",
                    "filename": str(LOG_FILE),
                    "formatter": "plain",
                    "level": "WARNING",
                }
            }
            if LOG_FILE
            else {}
        ),
    },
    "loggers": {
        "dailypapers": {"handlers": _LOG_HANDLERS, "level": CONFIG["DAILYPAPERS_LOG_LEVEL"].upper()},
        "django.request": {"handlers": _LOG_HANDLERS, "level": "ERROR", "propagate": False},
        "django.security": {"handlers": _LOG_HANDLERS, "level": "WARNING", "propagate": False},
        # bibtexparser warns once per unreadable block: a 1 MB malformed upload wrote 44 MB of log. The
        # import reports those blocks to the reader itself (bounded), so only its errors are logged.
        "bibtexparser": {"handlers": _LOG_HANDLERS, "level": "ERROR", "propagate": False},
    },
}
