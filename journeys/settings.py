"""Settings from environment variables, with defaults that run with no servers at all.

Embedded defaults: SQLite under var/, Celery on kombu's filesystem transport, the SFMC simulator.
Production: DEBUG=False, DB_ENGINE=postgres, CELERY_BROKER_URL=redis://..., a real SECRET_KEY.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

# Lets typed generics such as ModelAdmin[Model] work at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
DEV_SFMC_SECRET_KEY = "ZGV2LW9ubHktZmVybmV0LWtleS1ub3QtZm9yLXByb2Q="


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "True"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return _items(value)


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def published_values(name: str) -> set[str]:
    """The values .env.example gives `name`: published (they only show the format), so production
    refuses them. Read from the file itself: there is no second copy to forget when it changes."""
    example = BASE_DIR / ".env.example"
    lines = example.read_text().splitlines() if example.is_file() else []
    found = (line.partition("=") for line in lines if not line.lstrip().startswith("#"))
    return {item for key, _, value in found if key.strip() == name for item in _items(value)}


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY in {DEV_SECRET_KEY, *published_values("SECRET_KEY")}:
    raise ImproperlyConfigured(
        "Set SECRET_KEY: the development key and .env.example's are refused when DEBUG=False"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
VAR_DIR = Path(os.environ.get("VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "journeys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lockout's address is the client's, not the TLS proxy's (journeys/client_address.py): set
# TRUSTED_PROXY_COUNT to the number of proxies in front, each appending to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "journeys.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = True

# Only our own scripts and styles run: htmx and the canvas script are served from 'self', with a
# nonce for the few tags django-htmx renders; no inline handlers, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "journeys.urls"
WSGI_APPLICATION = "journeys.wsgi.application"

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
                "csp.context_processors.nonce",
                "journeys.views.notifications.unread_count",
            ],
        },
    },
]

if os.environ.get("DB_ENGINE", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
            "PORT": env_int("DB_PORT", 5432),
            "NAME": os.environ.get("DB_NAME", "journeys"),
            "USER": os.environ.get("DB_USER", "postgres"),
            "PASSWORD": os.environ.get("DB_PASSWORD", ""),
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 0),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DB_NAME", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
            },
            # A file, not Django's default in-memory test database: browser tests run a live
            # server and a Celery worker beside the test, and in a shared in-memory cache two
            # writers get "table is locked" at once (no busy timeout applies there). On a file,
            # WAL lets them read while one writes, and the busy timeout queues the writers.
            "TEST": {"NAME": str(VAR_DIR / "test-db.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "journeys:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
if not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# Security headers; the HTTPS-only ones are on whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "journeys@localhost")
# Where users reach the product: the links of notifications (emails and the inbox) start here.
DEV_SITE_URL = "http://127.0.0.1:8000"
SITE_URL = os.environ.get("SITE_URL", DEV_SITE_URL).rstrip("/")

# Error pages and e-mails hide secret-named locals, POST fields and Fernet tokens too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "journeys.error_reports.SecretsReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Celery: JSON only, late acks (the push is guarded by a claim on its row), bounded time.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # kombu's own filesystem transport can hand a reader a half-written message and lose it
    # (kombu#1551): filesystem:// runs journeys/broker.py, the same transport made safe.
    CELERY_BROKER_TRANSPORT = "journeys.broker:Transport"
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # An idle worker looks for messages this often (seconds): the wait a push can add.
        "polling_interval": 0.05,
        # Worker remote-control files, which kombu would otherwise write into the working dir.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker renews the lease of the push or publish it runs this often; four missed beats and
# the status says the worker stopped, and beat re-enqueues it (as it does a lost message).
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 2.0)
RECOVER_EVERY_SECONDS = env_float("RECOVER_EVERY_SECONDS", 10.0)
CELERY_BEAT_SCHEDULE = {
    "recover-stalled-pushes": {
        "task": "journeys.tasks.recover_stalled_pushes",
        "schedule": RECOVER_EVERY_SECONDS,
    },
    "recover-stalled-publishes": {
        "task": "journeys.tasks.recover_stalled_publishes",
        "schedule": RECOVER_EVERY_SECONDS,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The largest file accepted by any upload, a journey JSON file or a sheet of contacts (the largest
# real journey seen is ~150 KiB). Bounded while it streams (journeys/uploads.py): a request whose
# Content-Length is over UPLOAD_REQUEST_MAX_BYTES (the file and the form's other fields) is
# refused before its file is read, and a file is read no further than the limit.
JOURNEY_UPLOAD_MAX_BYTES = env_int("JOURNEY_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
UPLOAD_REQUEST_MAX_BYTES = JOURNEY_UPLOAD_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = JOURNEY_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "journeys.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# SFMC: process-wide remote settings. Credentials live on Connection rows.
# Fernet keys for secrets at rest, newest first; production refuses to start without them.
SFMC_SECRET_KEYS = env_list("SFMC_SECRET_KEYS", [])
if not SFMC_SECRET_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("Set SFMC_SECRET_KEYS (Fernet keys) when DEBUG=False")
    SFMC_SECRET_KEYS = [DEV_SFMC_SECRET_KEY]
if not DEBUG and published_values("SFMC_SECRET_KEYS") & set(SFMC_SECRET_KEYS):
    raise ImproperlyConfigured(
        "Set SFMC_SECRET_KEYS: the key in .env.example only shows the format; it is refused "
        "when DEBUG=False"
    )
SFMC_CONNECT_TIMEOUT = env_float("SFMC_CONNECT_TIMEOUT", 3.05)
SFMC_READ_TIMEOUT = env_float("SFMC_READ_TIMEOUT", 30.0)
SFMC_MAX_RETRIES = env_int("SFMC_MAX_RETRIES", 4)
# A page that calls SFMC while someone waits gives up after this long, retries included ("SFMC
# is slow; try again"), so a slow SFMC cannot hold a web worker; background work keeps the above.
SFMC_INTERACTIVE_DEADLINE_SECONDS = env_float("SFMC_INTERACTIVE_DEADLINE_SECONDS", 8.0)
# The longest journey name sent to SFMC. No source states SFMC's limit (its key's is 200,
# confirmed: journeys/lengths.py), so 200 is a choice; the database keeps at most 400.
SFMC_JOURNEY_NAME_MAX_LENGTH = env_int("SFMC_JOURNEY_NAME_MAX_LENGTH", 200)
# Opening a draft, its review or approving it checks SFMC's latest version in the background
# when the last check is older than this.
SFMC_DRIFT_FRESHNESS_SECONDS = env_int("SFMC_DRIFT_FRESHNESS_SECONDS", 60)
SFMC_ALLOWED_HOST_SUFFIXES = env_list(
    "SFMC_ALLOWED_HOST_SUFFIXES",
    [
        ".auth.marketingcloudapis.com",
        ".rest.marketingcloudapis.com",
        ".soap.marketingcloudapis.com",
    ],
)
# The simulator is a development and test aid; it can never be enabled with DEBUG off.
SFMC_SIMULATOR_ENABLED = env_bool("SFMC_SIMULATOR_ENABLED", DEBUG) and DEBUG
SFMC_SIMULATOR_URL = os.environ.get("SFMC_SIMULATOR_URL", "http://127.0.0.1:8765")
# What the simulator's token answers as rest/soap_instance_url under `make run` (empty: its own
# address, which the product's demo connection needs). For SFMC tools that want tenant URLs.
SFMC_SIMULATOR_REST_INSTANCE_URL = os.environ.get("SFMC_SIMULATOR_REST_INSTANCE_URL", "")
SFMC_SIMULATOR_SOAP_INSTANCE_URL = os.environ.get("SFMC_SIMULATOR_SOAP_INSTANCE_URL", "")
# The simulator's business units under `make run`, "MID=Name,MID=Name" with the parent first (empty:
# its default, Northwind 510000123 and its child Northwind Outlet 510000456).
SFMC_SIMULATOR_BUSINESS_UNITS = os.environ.get("SFMC_SIMULATOR_BUSINESS_UNITS", "")

# What one journey and one user may write (services/limits.py; the README's security section
# says why these numbers). SFMC documents no limit on activities (it recommends at most 100) and
# up to 20 paths and the Remainder on a decision split; the largest real journey we hold has 39
# activities, 147 KiB, nesting 12 and 5 paths; the benchmarks measure 500 and 1,000 activities.
JOURNEY_MAX_ACTIVITIES = env_int("JOURNEY_MAX_ACTIVITIES", 1000)
JOURNEY_MAX_DOCUMENT_BYTES = env_int("JOURNEY_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)
JOURNEY_MAX_NESTING = env_int("JOURNEY_MAX_NESTING", 32)
JOURNEY_MAX_OUTCOMES = env_int("JOURNEY_MAX_OUTCOMES", 21)
# Writes per user in a window of JOURNEY_WRITE_WINDOW_SECONDS: revisions and document bytes.
JOURNEY_WRITE_WINDOW_SECONDS = env_int("JOURNEY_WRITE_WINDOW_SECONDS", 60)
JOURNEY_REVISIONS_PER_USER_PER_WINDOW = env_int("JOURNEY_REVISIONS_PER_USER_PER_WINDOW", 60)
JOURNEY_BYTES_PER_USER_PER_WINDOW = env_int("JOURNEY_BYTES_PER_USER_PER_WINDOW", 50 * 1024 * 1024)
# The most revisions one draft keeps; beyond it a save is refused (nothing is thinned).
JOURNEY_MAX_REVISIONS_PER_DRAFT = env_int("JOURNEY_MAX_REVISIONS_PER_DRAFT", 1000)
