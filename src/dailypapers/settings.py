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
    """The configured key, or a random one kept in the data dir for local use.

    `dailypapers serve` refuses to run with DEBUG off unless DAILYPAPERS_SECRET_KEY is set.
    """
    if CONFIG["DAILYPAPERS_SECRET_KEY"]:
        return CONFIG["DAILYPAPERS_SECRET_KEY"]
    key_file = HOME / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        HOME.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


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
    "dailypapers.web",
    "dailypapers.library",
    "ninja",  # serves the OpenAPI docs' scripts from our static files instead of a CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dailypapers.web.staticfiles.StaticFilesMiddleware",  # WhiteNoise
    "dailypapers.web.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
# WhiteNoise serves static files from the gunicorn workers (no CDN, no separate server).
# No manifest storage: KaTeX's CSS names font formats we do not all ship.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Also serve straight from the apps: tests and `runserver` never collect (see web/staticfiles.py).
WHITENOISE_USE_FINDERS = True

# Rate-limit counters must be shared by every gunicorn worker, so the cache is a database
# table (created by the web app's migrations), not the per-process memory default.
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
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Per-machine search indexes, derived from the database (dailypapers.search.indexer).
SEARCH_INDEX_DIR = HOME / "index"
SEARCH_MODEL_DIR = Path(CONFIG["DAILYPAPERS_MODEL_DIR"]).expanduser() if CONFIG["DAILYPAPERS_MODEL_DIR"] else Path(sys.prefix) / "share" / "dailypapers" / "models"
SEARCH_CATCH_UP_SECONDS = CONFIG["DAILYPAPERS_SEARCH_CATCH_UP_SECONDS"]
SEARCH_SHARDS = CONFIG["DAILYPAPERS_SEARCH_SHARDS"]
TRENDING_HALF_LIFE_HOURS = CONFIG["DAILYPAPERS_TRENDING_HALF_LIFE_HOURS"]
TRENDING_HF_WEIGHT = CONFIG["DAILYPAPERS_TRENDING_HF_WEIGHT"]
LOGIN_RATE = CONFIG["DAILYPAPERS_LOGIN_RATE"]
PASSWORD_RESET_RATE = CONFIG["DAILYPAPERS_PASSWORD_RESET_RATE"]
WRITE_RATE = CONFIG["DAILYPAPERS_WRITE_RATE"]

EMAIL_BACKEND = CONFIG["DAILYPAPERS_EMAIL_BACKEND"]
EMAIL_HOST = CONFIG["DAILYPAPERS_EMAIL_HOST"]
EMAIL_PORT = CONFIG["DAILYPAPERS_EMAIL_PORT"]
EMAIL_HOST_USER = CONFIG["DAILYPAPERS_EMAIL_USER"]
EMAIL_HOST_PASSWORD = CONFIG["DAILYPAPERS_EMAIL_PASSWORD"]
EMAIL_USE_TLS = CONFIG["DAILYPAPERS_EMAIL_STARTTLS"]
EMAIL_USE_SSL = CONFIG["DAILYPAPERS_EMAIL_SSL"]
EMAIL_TIMEOUT = CONFIG["DAILYPAPERS_EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = SERVER_EMAIL = CONFIG["DAILYPAPERS_EMAIL_FROM"]
BASE_URL = CONFIG["DAILYPAPERS_BASE_URL"].rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"dailypapers": {"handlers": ["console"], "level": CONFIG["DAILYPAPERS_LOG_LEVEL"].upper()}},
}
