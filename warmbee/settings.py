"""WarmBee settings.

Configuration comes only from environment variables (``WARMBEE_*``); every one is listed with
its default in ``docs/operations.md``. Two profiles:

* ``embedded`` (default): SQLite in ``WARMBEE_DATA_DIR``, database-backed cache and task queue,
  keys generated once into the data directory. What ``make run`` starts.
* ``production``: every secret must come from the environment, HTTPS-only cookies with the
  ``__Host-`` prefix, HSTS, MFA required for staff. ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"WARMBEE_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"WARMBEE_{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"WARMBEE_{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


PROFILE = env("PROFILE", "embedded")
if PROFILE not in {"embedded", "production"}:
    raise ImproperlyConfigured("WARMBEE_PROFILE must be 'embedded' or 'production'")
PRODUCTION = PROFILE == "production"

DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()


def secret_from_env_or_file(name: str, filename: str) -> str:
    """A secret from ``WARMBEE_<name>``; on the embedded tier, generated once into the data dir.

    The production profile refuses to start without the variable, so a key never silently
    changes between servers.
    """
    value = env(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"WARMBEE_{name} must be set in the production profile")
    keys_dir = DATA_DIR / "keys"
    path = keys_dir / filename
    if not path.exists() and not env("DATABASE_URL") and (DATA_DIR / "warmbee.sqlite3").exists():
        # A database without its keys: the audit chain and encrypted fields would be unreadable.
        raise ImproperlyConfigured(
            f"{path} is missing but the database exists: restore the keys with the database "
            "(docs/operations.md, backup and restore)"
        )
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = secret_from_env_or_file("SECRET_KEY", "secret_key")
# Keys for the audit chain and for personal-data encryption live outside the database.
AUDIT_KEY = secret_from_env_or_file("AUDIT_KEY", "audit_key")
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in (env("FIELD_ENCRYPTION_KEYS") or "").split(",") if k.strip()
] or [secret_from_env_or_file("FIELD_ENCRYPTION_KEY", "field_key")]
BLIND_INDEX_KEY = secret_from_env_or_file("BLIND_INDEX_KEY", "blind_index_key")

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if not PRODUCTION else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # First, so its createsuperuser/changepassword replace Django's (no known passwords, R8).
    "warmbee.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "warmbee.core",
    "warmbee.regions",
    "warmbee.audit",
    "warmbee.notify",
    "warmbee.privacy",
    "warmbee.orgs",
    "warmbee.workers",
    "warmbee.stations",
    "warmbee.civic",
    "warmbee.points",
    "warmbee.casework",
    "warmbee.aid",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "warmbee.core.middleware.RequestContextMiddleware",
    "warmbee.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "warmbee.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "warmbee.accounts.middleware.SessionPolicyMiddleware",
    "warmbee.accounts.middleware.AdminNetworkMiddleware",
    "warmbee.core.middleware.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "warmbee.urls"
WSGI_APPLICATION = "warmbee.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "warmbee.core.context_processors.site",
            ],
        },
    }
]

# --- Database --------------------------------------------------------------------------------
# SQLite is the embedded default; a URL such as postgres://user@host/db selects PostgreSQL.
SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 20000)
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS};"
    "PRAGMA foreign_keys=ON"
)

_database_url = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'warmbee.sqlite3'}"
_db = dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with writers queued on a file lock (warmbee/core/sqlite/base.py).
    _db["ENGINE"] = "warmbee.core.sqlite"
    _db["CONN_MAX_AGE"] = 0 if _db["NAME"] == ":memory:" else _db["CONN_MAX_AGE"]
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        "init_command": SQLITE_PRAGMAS,
    }
    # Tests run on an in-memory database, one per process (pytest-xdist workers included).
    _db["TEST"] = {"NAME": ":memory:"}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
else:
    raise ImproperlyConfigured("WARMBEE_DATABASE_URL must point to SQLite or PostgreSQL")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Refuse to run on unsafe durability settings (R42); see warmbee.core.durability.
DURABILITY_CHECK = env_bool("DURABILITY_CHECK", True)

# --- Cache, sessions, tasks ------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "warmbee",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Shared by every process of the embedded tier (web server and task worker).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "warmbee_cache",
        }
    }

# Where rate-limit windows are counted (core.ratelimit, ADR 0018): Redis when there is one,
# else a table of the database, counted in the caller's transaction.
RATELIMIT_STORE = env("RATELIMIT_STORE", "cache" if REDIS_URL else "database")
if RATELIMIT_STORE not in ("cache", "database"):
    raise ImproperlyConfigured(
        f"WARMBEE_RATELIMIT_STORE must be cache or database, not {RATELIMIT_STORE!r}"
    )

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_SAVE_EVERY_REQUEST = False
# Staff sessions end after this much idle time (R12); workers keep the absolute lifetime only.
STAFF_IDLE_TIMEOUT_SECONDS = env_int("STAFF_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = SESSION_COOKIE_AGE
# Sensitive actions need a login or re-authentication this recent (R13).
REAUTH_MAX_AGE_SECONDS = env_int("REAUTH_MINUTES", 5) * 60
# Staff accounts idle this long are disabled by the daily job (R8).
STAFF_DISABLE_AFTER_DAYS = env_int("STAFF_DISABLE_AFTER_DAYS", 90)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if env_bool("TASKS_IMMEDIATE", False):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "warmbee.accounts.auth.PhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Password policy profile (R9): "asvs" (length and block-lists) or "mlps" (adds character
# classes and expiry).
PASSWORD_POLICY = env("PASSWORD_POLICY", "asvs")
if PASSWORD_POLICY not in {"asvs", "mlps"}:
    raise ImproperlyConfigured("WARMBEE_PASSWORD_POLICY must be 'asvs' or 'mlps'")
PASSWORD_EXPIRY_DAYS = env_int("PASSWORD_EXPIRY_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "warmbee.accounts.passwords.PolicyValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

# Lockout without user enumeration (R10): 5 failures within 15 minutes lock that phone number
# for 15 minutes; a separate per-IP throttle lives in accounts.services.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCK_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "phone"
AXES_USERNAME_CALLABLE = "warmbee.accounts.auth.axes_username"
AXES_CLIENT_IP_CALLABLE = "warmbee.core.net.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "warmbee.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["username", "phone", "ip_address"]
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 50)
# axes.W006 asks for per-IP lockout too; couriers share carrier NAT addresses, so the per-IP
# throttle is a separate, higher limit in accounts.services.login_attempt.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# MFA for staff (R11): "required" in production, "optional" on the embedded tier by default.
STAFF_MFA = env("STAFF_MFA", "required" if PRODUCTION else "optional")
if STAFF_MFA not in {"required", "optional"}:
    raise ImproperlyConfigured("WARMBEE_STAFF_MFA must be 'required' or 'optional'")
OTP_TOTP_ISSUER = env("OTP_ISSUER", "WarmBee 暖蜂")

# Staff console and Django admin only from these networks (R15), and client IPs only from
# trusted proxies' X-Forwarded-For.
ADMIN_ALLOWED_CIDRS = env_list("ADMIN_ALLOWED_CIDRS", "0.0.0.0/0,::/0")
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["warmbee.core.formats"]

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media-not-served-directly/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
BACKUP_DIR = Path(env("BACKUP_DIR", str(DATA_DIR / "backups")))

# --- Security headers (R46) ------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
else:
    SESSION_COOKIE_NAME = "warmbee_session"
    CSRF_COOKIE_NAME = "warmbee_csrf"

# --- Logging: structured, no personal data (R19) ---------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "warmbee.core.logging.ScrubPersonalData"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["scrub"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# --- WarmBee ---------------------------------------------------------------------------------
SITE_NAME = env("SITE_NAME", "暖蜂 WarmBee")
# The region a deployment serves; the home page and demo data start here.
HOME_REGION = env("HOME_REGION", "230600")
DEMO_CREDENTIALS_FILE = Path(env("DEMO_CREDENTIALS_FILE", str(DATA_DIR / "demo-credentials.txt")))
# Fail-closed data layer (R2): evaluating a scoped queryset without a scope raises.
SCOPE_STRICT = env_bool("SCOPE_STRICT", DEBUG)
ADMIN_APPS = ("regions", "stations", "privacy", "django_tasks_db")
CSRF_FAILURE_VIEW = "warmbee.core.views.csrf_failure"

# --- Maps, uploads and stations ----------------------------------------------------------------
# Base map tiles: "osm" (development), "tianditu" (production default in China, needs a key),
# "amap" (GCJ-02; markers are converted at the edge), or "none".
MAP_TILES = env("MAP_TILES", "osm")
MAP_TILE_KEY = env("MAP_TILE_KEY", "")
# Image uploads (R32): bytes and decoded pixels.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 40_000_000)
# A worker's repeated scans at one station within this many minutes count as one check-in.
STATION_CHECKIN_INTERVAL_MINUTES = env_int("STATION_CHECKIN_INTERVAL_MINUTES", 120)
# Minutes the check-in page's signed pass lets its button check in through the API without the
# session (ADR 0017); disabling an account stops new passes at once, old ones expire by this.
STATION_CHECKIN_PASS_MINUTES = env_int("STATION_CHECKIN_PASS_MINUTES", 10)
# Live occupancy counts the check-ins of the last this-many minutes.
STATION_OCCUPANCY_WINDOW_MINUTES = env_int("STATION_OCCUPANCY_WINDOW_MINUTES", 60)
# How often each process looks for station changes to refresh its in-memory finder index.
FINDER_REFRESH_SECONDS = env_int("FINDER_REFRESH_SECONDS", 2)
# Encode every public station's answer fragment in a background thread after each index build.
FINDER_WARM_FRAGMENTS = env_bool("FINDER_WARM_FRAGMENTS", True)

# --- registry ---
# Full mobile or ID number reveals per officer per hour (R23).
REVEAL_LIMIT_PER_HOUR = env_int("REVEAL_LIMIT_PER_HOUR", 20)

# --- Background imports (core/import_jobs.py, R41) -----------------------------------------------
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
#: Files up to this size are imported during the upload request; larger ones by the worker.
IMPORT_INLINE_BYTES = env_int("IMPORT_INLINE_BYTES", 256 * 1024)
#: A running job whose heartbeat is older than this is taken to have lost its worker.
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 120)
IMPORT_MAX_ATTEMPTS = env_int("IMPORT_MAX_ATTEMPTS", 5)
IMPORT_RESUME_HOURS = env_int("IMPORT_RESUME_HOURS", 24)
IMPORT_MAX_REPORTED_ERRORS = env_int("IMPORT_MAX_REPORTED_ERRORS", 5000)
# Public coverage figures below this are shown as "<k" (R30).
SMALL_COUNT_K = env_int("SMALL_COUNT_K", 5)

# --- notifications and one-time codes ---
SMS_BACKEND = env("SMS_BACKEND", "warmbee.notify.sms.ConsoleBackend")
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_PER_PHONE_DAY = env_int("OTP_PER_PHONE_DAY", 10)
OTP_PER_IP_HOUR = env_int("OTP_PER_IP_HOUR", 30)
OTP_GLOBAL_PER_MINUTE = env_int("OTP_GLOBAL_PER_MINUTE", 300)
# Days staff have to answer a correction or deletion request (R27).
DATA_REQUEST_DAYS = env_int("DATA_REQUEST_DAYS", 15)
# Hours an approved full personal-data export can be downloaded before it is deleted (R29).
EXPORT_TTL_HOURS = env_int("EXPORT_TTL_HOURS", 24)

# --- grid areas, inbox, deadlines, schedule (civic-base) -------------------------------------
# How often (at most) each process checks whether grid areas changed (regions/grids.py).
GRID_REFRESH_SECONDS = env_int("GRID_REFRESH_SECONDS", 5)
# The largest GeoJSON file the grid import accepts, in megabytes.
GRID_IMPORT_MAX_MB = env_int("GRID_IMPORT_MAX_MB", 20)
# Inbox messages per page on /me/inbox/.
INBOX_PAGE_SIZE = env_int("INBOX_PAGE_SIZE", 20)


# --- civic (snap-and-report) ---------------------------------------------------------------------
# Near-duplicates: same category, within this many metres and minutes (R35).
CIVIC_DUPLICATE_RADIUS_M = env_int("CIVIC_DUPLICATE_RADIUS_M", 50)
CIVIC_DUPLICATE_WINDOW_MINUTES = env_int("CIVIC_DUPLICATE_WINDOW_MINUTES", 60)
# Rate limits on report intake (anonymous per IP, per day per IP, signed-in, per API key).
CIVIC_RATE_ANON = {"limit": env_int("CIVIC_RATE_ANON", 10), "window": 600}
CIVIC_RATE_ANON_DAY = {"limit": env_int("CIVIC_RATE_ANON_DAY", 30), "window": 86400}
CIVIC_RATE_USER = {"limit": env_int("CIVIC_RATE_USER", 30), "window": 600}
CIVIC_RATE_API = {"limit": env_int("CIVIC_RATE_API", 600), "window": 600}
# A resolved report the reporter neither confirms nor reopens closes after this many days.
CIVIC_CONFIRM_DAYS = env_int("CIVIC_CONFIRM_DAYS", 7)
# Also text reporters and handlers (through the SMS backend) on state changes.
CIVIC_SMS = env_bool("CIVIC_SMS", False)


# --- points --------------------------------------------------------------------------------------
# A manual adjustment of more than this many points (either sign) needs a second officer (R7).
POINTS_ADJUST_APPROVAL_THRESHOLD = env_int("POINTS_ADJUST_APPROVAL_THRESHOLD", 500)
# Earned points expire this many days after they were earned (0: never); `expire_points` job.
POINTS_EXPIRY_DAYS = env_int("POINTS_EXPIRY_DAYS", 365)
# A redemption the host started waits this long for the worker's confirmation.
POINTS_REDEMPTION_CONFIRM_SECONDS = env_int("POINTS_REDEMPTION_CONFIRM_SECONDS", 300)
# Most items of one kind in one redemption.
POINTS_REDEMPTION_MAX_QUANTITY = env_int("POINTS_REDEMPTION_MAX_QUANTITY", 20)


# --- casework ------------------------------------------------------------------------------------
# Deadlines (ADR 0015): first response for urgent and normal requests, resolution; a desk may
# override any of them in CASEWORK_DESK_DEADLINES, e.g. {"legal_aid": {"resolution_days": 30}}.
CASEWORK_URGENT_RESPONSE_HOURS = env_int("CASEWORK_URGENT_RESPONSE_HOURS", 1)
CASEWORK_RESPONSE_HOURS = env_int("CASEWORK_RESPONSE_HOURS", 24)
CASEWORK_RESOLUTION_DAYS = env_int("CASEWORK_RESOLUTION_DAYS", 15)
CASEWORK_DESK_DEADLINES: dict = {}
# A closed case may be reopened (by the worker or its provider) for this many days.
CASEWORK_REOPEN_DAYS = env_int("CASEWORK_REOPEN_DAYS", 30)
# Where requests of the kinds that are not one of the six desks go first (routing rules).
CASEWORK_DEFAULT_DESK = "labour_relations"
# At most this many requests a worker may open a day (abuse guard).
CASEWORK_REQUESTS_PER_DAY = env_int("CASEWORK_REQUESTS_PER_DAY", 5)
# The system administrator maintains the crisis word list in the Django admin.
ADMIN_APPS = (*ADMIN_APPS, "casework")


# --- aid -----------------------------------------------------------------------------------------
# Each review step of an application is due within this many calendar days of reaching it;
# an overdue step is escalated once to the officers who may take it (core.deadlines).
AID_REVIEW_DAYS = env_int("AID_REVIEW_DAYS", 7)


# --- retention (R28, core/retention.py; the daily purge_expired job) ----------------------------
# Proposals for the deployer to set with their data-protection officer (RELIABILITY R28).
# A closed report's photos are deleted this many days after it closed.
RETENTION_REPORT_PHOTO_DAYS = env_int("RETENTION_REPORT_PHOTO_DAYS", 365)
# A rejected aid application (not appealed again) is deleted with its evidence after this long.
RETENTION_REJECTED_AID_DAYS = env_int("RETENTION_REJECTED_AID_DAYS", 365)
# The contents of a physical/mental-health help request are erased this long after it closed.
RETENTION_HEALTH_CASE_DAYS = env_int("RETENTION_HEALTH_CASE_DAYS", 3 * 365)
