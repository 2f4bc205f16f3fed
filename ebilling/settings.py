"""eBilling settings, all read from the environment.

DATABASE_URL defaults to an SQLite file in the project folder so a fresh
machine runs with nothing installed; production and CI use PostgreSQL.
"""

import datetime
import importlib.util
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from ebilling.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

# The fallback key is only fit for a laptop. `check --deploy` flags it, and
# the README's deploy section sets SECRET_KEY for production.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-local-development-key-change-me")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First, so that its createsuperuser command replaces Django's own.
    "ebilling",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "simple_history",
    "axes",
    "sites",
    "packages",
    "regions",
    "customers",
    "portal",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ebilling.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ebilling.urls"

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
                "django.template.context_processors.i18n",
                "ebilling.context_processors.access",
            ],
        },
    },
]

WSGI_APPLICATION = "ebilling.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to the same file: wait for
    # the other's lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # Tests use a file, not Django's shared in-memory database, so that
    # concurrent writers wait for the lock as they do in production instead
    # of failing at once; the process id keeps parallel runs apart.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"ebilling-test-{os.getpid()}.sqlite3")
    }
else:
    # A second connection to the same database, in autocommit, used only to
    # write an import's progress while its save runs in one long
    # transaction on "default". SQLite has no such alias: the save holds its
    # only write lock, so the bar stands still until the save commits.
    DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
IMPORT_PROGRESS_DATABASE = "progress" if "progress" in DATABASES else None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Django's validators, three of them with the app's help texts, and a check
# that a customer's portal password contains neither their ID nor their phone.
# The similarity check speaks of a portal customer's own data.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "portal.password_validation.CustomerAttributeSimilarityValidator"},
    {"NAME": "ebilling.password_validation.MinimumLengthValidator"},
    {"NAME": "ebilling.password_validation.CommonPasswordValidator"},
    {"NAME": "ebilling.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.password_validation.CustomerIdentifierValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet from the django-leaflet package, served as /static/leaflet/…. The
# app is not in INSTALLED_APPS because its admin module imports GeoDjango,
# which needs the GDAL library.
LEAFLET_STATIC_DIR = Path(importlib.util.find_spec("leaflet").origin).parent / "static" / "leaflet"
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", LEAFLET_STATIC_DIR)]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Upload limits. A 100,000-row template workbook is about 10 MB, so 25 MB
# holds about 250,000 rows; put a proxy body limit just above it.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 300_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 100)
IMPORT_RETENTION_DAYS = env_int("IMPORT_RETENTION_DAYS", 30)

# Customer portal. An invitation or password reset link works once, for
# this many days. PORTAL_BASE_URL starts the links that `invite_customer`
# prints; the staff page builds them from the address the admin uses.
PORTAL_INVITATION_DAYS = env_int("PORTAL_INVITATION_DAYS", 7)
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# A validating or importing batch whose worker has not reported progress for
# this many seconds is taken as lost (worker killed or host down) and marked
# failed, so it can be retried. Workers report at least every few seconds
# on PostgreSQL; on SQLite nothing is reported while the save's transaction
# runs, so keep this above the longest save.
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 300)
# An import that waits this many seconds for a forked child process without
# getting any of its result kills the child and does its part itself (see
# customers/importing/forked.py). Estimate: a working child waits at most
# about 5 s, for its half of the region matching of 300,000 rows
# (IMPORT_MAX_ROWS) at about 31 µs a row on a 2-vCPU AMD EPYC. So 120 s
# leaves room for a machine 20 times slower, and stays below
# IMPORT_STALE_SECONDS, so the import goes on before its batch is taken as lost.
IMPORT_CHILD_TIMEOUT_SECONDS = env_int("IMPORT_CHILD_TIMEOUT_SECONDS", 120)

# Customer list exports of more customers than this are written by the task
# worker instead of the request. Writing 5,000 customers to an .xlsx took
# about 1.8 s in the request, well under gunicorn's default 30 s timeout.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)
# Days a file written by the task worker is kept before purge_import_files
# deletes it. Its record stays, so the export history still lists it.
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Map tiles are the only resource the browser fetches from another origin.
REGIONS_TILE_URL = env_str("REGIONS_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
_tile_origin = "{0.scheme}://{0.netloc}".format(urlsplit(REGIONS_TILE_URL))

# Every script and style sheet is a static file of the app, so the policy
# allows no inline code, no eval and no third-party scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", _tile_origin],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login lockout (django-axes). The first backend counts failed
# authenticate() calls per username and client address, for the staff and
# the portal login apart (see audit.login.lockout_username), and rejects
# further attempts until the cool-off ends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Before ModelBackend: a failed portal login stops there (see its docstring).
    "portal.backends.CustomerBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "audit.login.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "audit.login.lockout_response"
AXES_CLIENT_IP_CALLABLE = "audit.login.client_ip_address"
# Usernames may be phone numbers or customer IDs, so logs get a digest instead.
AXES_CLIENT_STR_CALLABLE = "audit.login.client_description"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_nik": {"()": "audit.log_filters.MaskNikFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_nik"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
