"""Settings for icv, read from ICV_* environment variables.

Every variable is listed, with its default, in .env.example. The defaults let a
fresh clone run: SQLite in ./data, DEBUG only under `runserver`, e-mail to the
console. Production sets ICV_SECRET_KEY, ICV_ALLOWED_HOSTS, ICV_DATABASE_URL and
ICV_EMAIL_URL, and then `manage.py check --deploy` is clean.
"""

import datetime
import os
import sys
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from icv.media_storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """A string setting; `NAME_FILE` (a path, as Docker secrets give) wins over `NAME`."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Tests and the development server get safe local defaults; anything else is production.
TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
RUNNING_DEVSERVER = sys.argv[1:2] == ["runserver"]

DEBUG = env_bool("ICV_DEBUG", RUNNING_DEVSERVER)

SECRET_KEY = env_str("ICV_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "Set ICV_SECRET_KEY (or ICV_SECRET_KEY_FILE) to a long random string, "
            "or ICV_DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ICV_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ICV_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",  # the filters a page and its API list share (visits/filters.py)
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "visits",
    "api",
]

MIDDLEWARE = [
    # First: every later middleware's and view's log lines carry the request's id.
    "icv.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files keep their max-age), above the rest: it sees every other
    # response, error pages, two-factor redirects and the API included.
    "icv.middleware.CacheControlMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Every error under /api/ in the API's shape, an oversized body refused before it is read.
    "icv.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Each page in the reader's language: the language cookie (set at sign-in from the account's
    # choice, and by the switch), else the browser's Accept-Language (docs/translations.md).
    "icv.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "icv.middleware.TwoFactorMiddleware",
    "icv.middleware.IdleSessionMiddleware",
    "icv.middleware.AuditAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "icv.middleware.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A NotPermitted or NotFound a page's view lets pass is its 403 or 404 page (visits.forms).
    "icv.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "icv.urls"
WSGI_APPLICATION = "icv.wsgi.application"

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
                "visits.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite in a git-ignored folder by default; postgres://user:pass@host:port/name in production.
DATA_DIR = Path(env_str("ICV_DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("ICV_DATABASE_URL", f"sqlite:///{DATA_DIR / 'icv.sqlite3'}"),
        conn_max_age=env_int("ICV_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a visit is being saved; the busy timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Audit trail --------------------------------------------------------------------------------
# Each entry is signed (HMAC-SHA256) with this key, kept outside the database, so someone who can
# write the database cannot rewrite the trail and sign it again. Empty: a public development key
# is used, which is fine for development and tests; `check --deploy` fails on it.
ICV_AUDIT_KEY = env_str("ICV_AUDIT_KEY")
# Keys used before the current one, oldest first, so entries they signed still verify after a
# change of key. Comma-separated (keys cannot contain commas).
ICV_AUDIT_OLD_KEYS = env_list("ICV_AUDIT_OLD_KEYS")
# Where `verify_audit_chain` keeps its signed checkpoint (how many entries it found intact, and
# the last one's hash): how deleting the newest entries, or all of them, is noticed. Put it where
# neither the database's user nor the web app can write. Tests keep none unless they set one.
ICV_AUDIT_CHECKPOINT: Path | None = Path(
    env_str("ICV_AUDIT_CHECKPOINT") or DATA_DIR / "audit-checkpoint.json"
)
if TESTING and not env_str("ICV_AUDIT_CHECKPOINT"):
    ICV_AUDIT_CHECKPOINT = None

# --- Authentication -----------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests log in hundreds of times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated failed sign-ins lock the username from that address (django-axes); a success resets
# the count, and the lock lifts after the cool-off or `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ICV_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("ICV_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address as our own proxies saw it (ICV_TRUSTED_PROXIES, below), never a client's
# X-Forwarded-For; the audit trail uses the same function.
AXES_CLIENT_IP_CALLABLE = "icv.middleware.client_address"
AXES_VERBOSE = False
# Managers, PCC readers and force leads must use two-factor (a code from an authenticator app);
# anyone may. Off only for the local demo (bin/serve), never in production.
ICV_TWO_FACTOR_REQUIRED = env_bool("ICV_TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = "Custody visiting"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Phones are shared and get left on tables: a session ends after this many idle minutes.
SESSION_COOKIE_AGE = env_int("ICV_SESSION_IDLE_MINUTES", 120) * 60
DEMO_PASSWORD = env_str("ICV_DEMO_PASSWORD", "demo")

# --- Cache and sessions (shared by every process) ------------------------------------------------
# The API's throttles, the failed-token throttle included, count in the cache, so it must be
# one for all processes and machines, or each limit multiplies by their number.
# db://TABLE (the default, db://icv_cache): a table in the database, made by `migrate`;
# redis://host:6379/0 (rediss:// for TLS): Redis, for larger deployments;
# locmem://: this process only, for development.
# Sign-in lockouts do not use it: django-axes keeps them in the database.


def cache_from_url(url: str) -> dict:
    """One CACHES entry from ICV_CACHE_URL; a clear error for anything else."""
    scheme, _sep, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "db":
        return {
            "BACKEND": "icv.cache.DatabaseCache",  # Django's, with a set in one statement
            "LOCATION": rest.strip("/") or "icv_cache",
            # Throttle counters for every user and address; past this many rows, the expired
            # ones and then a third of the rest are deleted.
            "OPTIONS": {"MAX_ENTRIES": 20000, "CULL_FREQUENCY": 3},
        }
    if scheme in ("redis", "rediss"):
        location = f"{scheme}://{rest}"
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    # Only the scheme is named: the rest of the URL may hold a password.
    raise ImproperlyConfigured(
        "ICV_CACHE_URL must start with db://, redis://, rediss:// or locmem://, "
        f"not {scheme[:20]!r}://"
    )


# Tests keep each process's own memory (the conftest clears it between tests), so query counts
# stay the app's own; tests/test_shared_cache.py runs real servers on the database cache.
CACHES = {
    "default": cache_from_url(
        env_str("ICV_CACHE_URL") or ("locmem://" if TESTING else "db://icv_cache")
    )
}
# Sessions live in the database, whatever the cache: they hold the sign-in and its two-factor
# step, which must not vanish when a cache is flushed or culled, and with the default cache
# being the database, cached_db would only add queries. The scheduler clears expired ones.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Internationalisation -----------------------------------------------------------------------
# English and Welsh (the Welsh Language Standards: a volunteer may do everything in Welsh).
# Each language's name in itself, as a chooser shows it.
# The catalogue: locale/cy/ (docs/translations.md).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("ICV_MEDIA_ROOT", str(DATA_DIR / "media")))
# --- Media storage (issue 18) -------------------------------------------------------------------
# Local disk (MEDIA_ROOT) by default; an S3-compatible bucket, private, when
# ICV_MEDIA_STORAGE_URL (or ICV_MEDIA_STORAGE_URL_FILE) names one: icv/media_storage.py.
ICV_MEDIA_STORAGE_URL = env_str("ICV_MEDIA_STORAGE_URL")
STORAGES = {
    "default": media_storage(ICV_MEDIA_STORAGE_URL),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "icv.static_storage.MinifiedCompressedManifestStaticFilesStorage"
    },
}

# --- E-mail -------------------------------------------------------------------------------------
# smtp://user:pass@host:587/?tls=True in production; console:// prints messages (the default).
_email = dj_email_url.parse(env_str("ICV_EMAIL_URL", "console://"))
if "EMAIL_BACKEND" not in _email:
    raise ImproperlyConfigured(
        "ICV_EMAIL_URL must start with smtp://, smtps://, console://, file://, memory:// or "
        "dummy://."
    )
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# A mail server that does not answer must not hold a worker for ever (?timeout=N to change).
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
DEFAULT_FROM_EMAIL = env_str("ICV_DEFAULT_FROM_EMAIL", "icv@localhost")
# The address people use to reach the site, for links in e-mails.
SITE_URL = env_str("ICV_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Task queue (e-mail off the request) --------------------------------------------------------
# django-tasks, the backport of Django 6's tasks framework. "database" (the default): tasks wait
# in this database for `manage.py db_worker`. "immediate": each runs at once, in the process
# that enqueues it, after the transaction commits (a setup without a worker; the test suite).
# docs/architecture.md, "Work off the request".
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = env_str("ICV_TASKS_BACKEND", "immediate" if TESTING else "database")
if _tasks_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured("ICV_TASKS_BACKEND must be “database” or “immediate”.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_tasks_backend]}}

# --- HTTPS and security headers -----------------------------------------------------------------
HTTPS = env_bool("ICV_HTTPS", not (DEBUG or TESTING))
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("ICV_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Two separate things about proxies in front of the app. ICV_BEHIND_PROXY: a proxy terminates
# TLS and says so in X-Forwarded-Proto (it must overwrite a client's), so HTTPS is recognised.
BEHIND_PROXY = env_bool("ICV_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ICV_TRUSTED_PROXIES: how many proxies of ours each add an address to X-Forwarded-For; the
# client is the address that many from the right (icv.middleware.client_address). 0: the header
# is ignored and the socket's address is used. Behind one nginx or load balancer: 1.
TRUSTED_PROXIES = env_int("ICV_TRUSTED_PROXIES", 0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"ICV_TRUSTED_PROXIES must be 0 or more, not {TRUSTED_PROXIES}")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
# The language cookie: what LocaleMiddleware reads, so that no page asks the database for the
# person's language (set at sign-in from their account, and by the language switch).
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
X_FRAME_OPTIONS = "DENY"
# /healthz must answer a load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# No inline script anywhere: scripts and styles come from our own origin only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Request size -------------------------------------------------------------------------------
# A request's body, uploaded files aside, is at most this big (Django's default, stated): forms
# and the API's JSON alike. A whole visit report with every answer and a signature is well under
# 1 MB. Over it: 413 `too_large` under /api/ (refused from the Content-Length, before anything
# reads the body), 400 on a page. Photos are files: visits.images limits them (10 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
# Two API routes carry photos and may be larger, by their route's name (still refused from the
# Content-Length, icv.middleware.body_limit): one photo (visits.images takes up to 10 MB), and
# a whole report from a phone with up to 10 photos of 5 MB each in base64 (a third larger).
API_LARGE_BODIES = {
    "visit-photos": 11 * 1024 * 1024,
    "visit-report": 72 * 1024 * 1024,
}
# The API refuses JSON nested deeper than this (400 `invalid`); a whole report is 4 deep.
API_MAX_JSON_NESTING = 64

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # A personal token first, so a request without credentials is answered 401 with
    # WWW-Authenticate; the browser's session (with its CSRF token) for the PWA.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON: one encoding to document and to validate. The one file upload (a photo) says so on
    # its own route (multipart/form-data).
    # Within the size and nesting limits above (api/exceptions.py).
    "DEFAULT_PARSER_CLASSES": ["api.exceptions.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    # Throttles count by address: the same proxy count as the lockout. Unset, DRF would count by
    # the whole X-Forwarded-For as the client sent it.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("ICV_API_RATE_ANON", "30/minute"),
        "user": env_str("ICV_API_RATE_USER", "600/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Independent custody visiting API",
    "DESCRIPTION": "Visits, issues and summaries of an independent custody visiting scheme. "
    "Errors always have the shape {code, detail, fields}.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our own static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VisitStatusEnum": "visits.models.Visit.Status",
        "IssueStatusEnum": "visits.models.Issue.Status",
        "TimeBandEnum": "visits.models.TimeBand",
        "VisitorStatusEnum": "visits.models.VisitorStatus",
        "ChecklistStatusEnum": "visits.models.ChecklistVersion.Status",
        "RotaSlotStatusEnum": "visits.models.RotaSlot.Status",
        "RotaPeriodStatusEnum": "visits.models.RotaPeriod.Status",
        "ReceiptOutcomeEnum": "visits.services.phone_reports.OUTCOMES",
        "VisitOutcomeEnum": "visits.models.Visit.Outcome",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_errors",
    ],
}

# --- Logging and error reports (issue 18) --------------------------------------------------------
# One line per event on stdout, with the request's id (icv.logging): JSON for a log collector in
# production, text for a person in development. ICV_LOG_LEVEL is the app's loggers' level; other
# libraries stay at WARNING. Nothing logs request bodies, query strings or who is signed in.
from icv.logging import init_sentry, logging_config  # noqa: E402

ICV_LOG_FORMAT = env_str("ICV_LOG_FORMAT", "text" if DEBUG or TESTING else "json")
ICV_LOG_LEVEL = env_str("ICV_LOG_LEVEL", "INFO").upper()
LOGGING = logging_config(log_format=ICV_LOG_FORMAT, level=ICV_LOG_LEVEL)
# Errors (with their request id as a tag, and nothing personal: icv.logging.scrub_event) go to
# Sentry or a compatible service when a DSN is set; nothing is sent when it is not.
ICV_SENTRY_DSN = env_str("ICV_SENTRY_DSN")
# The release deployed (a version or commit): tags error reports, and keys cached summary figures
# so a new release's figures replace the old one's at once.
ICV_RELEASE = env_str("ICV_RELEASE")
SENTRY_ENABLED = init_sentry(
    dsn=ICV_SENTRY_DSN,
    environment=env_str("ICV_SENTRY_ENVIRONMENT", "production"),
    release=ICV_RELEASE,
)

# --- Health check (issue 18) ---------------------------------------------------------------------
# /healthz is cheap, for load balancers. /healthz?deep also checks the task queue, unsent e-mail
# and media storage; when this token is set it must be given (`Authorization: Bearer <token>` or
# ?token=), so the deep checks cannot be used to load the app from outside.
ICV_HEALTHZ_TOKEN = env_str("ICV_HEALTHZ_TOKEN")

# --- The rota solver (issue 19) ----------------------------------------------------------------
# The exact solver's budget per scheme-quarter, in CP-SAT's deterministic seconds (so a plan does
# not depend on the machine's load); the greedy plan stands if nothing better is found in time.
# 0 keeps the greedy plan. Default 3 s (bench/rota.py: the national run within 60 s on 2 cores);
# tests use 1 s so the suite stays quick.
_rota_limit = env_str("ICV_ROTA_TIME_LIMIT_SECONDS", "1" if TESTING else "3")
try:
    ICV_ROTA_TIME_LIMIT_SECONDS = float(_rota_limit)
except ValueError:
    raise ImproperlyConfigured(
        f"ICV_ROTA_TIME_LIMIT_SECONDS must be a number of seconds, not {_rota_limit!r}"
    ) from None
if not 0 <= ICV_ROTA_TIME_LIMIT_SECONDS <= 600:
    raise ImproperlyConfigured("ICV_ROTA_TIME_LIMIT_SECONDS must be from 0 to 600 seconds.")

# --- Recruitment (issue 22) ----------------------------------------------------------------------
# Applications that did not end in an appointment are deleted this many months after they closed
# (declined, withdrawn, not taken forward), by the nightly retention job.
APPLICATION_RETENTION_MONTHS = env_int("ICV_APPLICATION_RETENTION_MONTHS", 12)
# The public application form: sends per client address per hour (counted in the shared cache).
APPLICATIONS_PER_HOUR = env_int("ICV_APPLICATIONS_PER_HOUR", 5)
