"""PST Desk settings: every value comes from the environment, with defaults for one office on a laptop.

The embedded default needs no other service: SQLite in WAL mode under DATA_DIR, an in-memory channel layer and
cache, and a file-backed (SQLite) task queue. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis for scale-out.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pstdesk.lib.env import database_from_url, env_bool, env_int, env_list, env_secret, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
# Every file this process creates is private to its user: the SQLite database and its WAL, the task queue file,
# uploads, mail written to DATA_DIR/outbox-mail, the generated secret key (the service runs as its own user).
os.umask(0o077)
DATA_DIR = Path(env_str("DATA_DIR", str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Demo accounts and the WhatsApp simulator wiring exist only when DEMO is set (make run does); never in production.
DEMO = env_bool("DEMO", False)
# The demo WhatsApp ids (the simulator's) and the 127.0.0.1 mailbox are seeded only in the demo, and under the test
# suite, whose fixtures use them.
SEED_DEMO_CHANNELS = env_bool("SEED_DEMO_CHANNELS", DEMO or "pytest" in sys.modules)


def _secret_key() -> str:
    key = env_secret("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("Unexpected value SECRET_KEY: use at least 32 characters")
        return key
    # No key given: keep one per data folder, so sessions and signed links survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address of this service, used in links sent by e-mail and WhatsApp.
PUBLIC_URL = env_str("PUBLIC_URL", "http://127.0.0.1:" + env_str("PORT", "8000")).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "huey.contrib.djhuey",
    "ninja",  # its bundled Swagger UI files: /api/v1/docs is served from this service, never from a CDN
    "pstdesk.audit",
    "pstdesk.offices",
    "pstdesk.accounts",
    "pstdesk.guestbook",
    "pstdesk.consultations",
    "pstdesk.channels.apps.ChannelsConfig",
    "pstdesk.channels.web.apps.WebChannelConfig",
    "pstdesk.channels.whatsapp.apps.WhatsAppChannelConfig",
    "pstdesk.channels.email.apps.EmailChannelConfig",
    "pstdesk.ratings",
    "pstdesk.transparency",
    "pstdesk.complaints",
    "pstdesk.reports",
    "pstdesk.runtime",
    "pstdesk.supervision",
    "pstdesk.bpsapi",
    "pstdesk.library",
    "pstdesk.knowledge",
]

# Every middleware runs on the event loop under ASGI (no sync-only one: each would cost thread hops on every
# request); Django's own through `pstdesk.lib.middleware`, which hops to a thread only to read or write the database.
# Static files never enter this chain: `pstdesk.lib.static.StaticFilesASGI` answers them in front of Django.
MIDDLEWARE = [
    "pstdesk.lib.head.HeadAsGetMiddleware",  # outermost: HEAD answers wherever GET does, with GET's headers
    "pstdesk.lib.middleware.SecurityMiddleware",
    "pstdesk.lib.security.ContentSecurityPolicyMiddleware",
    "pstdesk.lib.middleware.SessionMiddleware",
    "pstdesk.lib.language.LanguageMiddleware",
    "pstdesk.lib.middleware.CommonMiddleware",
    "pstdesk.lib.middleware.CsrfViewMiddleware",
    "pstdesk.lib.middleware.AuthenticationMiddleware",
    "pstdesk.lib.middleware.MessageMiddleware",
    "pstdesk.lib.middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pstdesk.urls"
ASGI_APPLICATION = "pstdesk.asgi.application"
WSGI_APPLICATION = "pstdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/console/"
# Login throttling of the console and the admin (accounts.throttle): failures per user name and per client address
# before both are refused for LOGIN_LOCKOUT_SECONDS after the last failure.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
# Staff passwords: at least 10 characters, not like the user's name or e-mail, not a common or all-digit password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = database_from_url("DATABASE_URL", DATABASE_URL)
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "pstdesk.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock up front, so two writers
    # queue for it (busy timeout) instead of failing with "database is locked" on a lock upgrade.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db.pop("CONN_HEALTH_CHECKS", None)
    _db["CONN_MAX_AGE"] = 0
else:
    # Under ASGI every sync view runs on a short-lived thread: persistent per-thread connections would pile up
    # until PostgreSQL refuses more ("too many clients"). A pool per process takes each connection back at the
    # end of its request instead.
    _db["CONN_MAX_AGE"] = 0
    # The pool checks a connection before handing it out (psycopg_pool's check_connection): one cut by a
    # PostgreSQL restart or fail-over while idle in the pool is replaced, instead of failing the next request.
    _db["CONN_HEALTH_CHECKS"] = True
    _db["OPTIONS"] = {
        **_db.get("OPTIONS", {}),  # e.g. sslmode from the URL's query string
        "pool": {"min_size": 1, "max_size": env_int("DATABASE_POOL_SIZE", 20, minimum=2), "timeout": 30},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, task queue, cache -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"Unexpected value REDIS_URL={REDIS_URL!r}: use redis://host:port/db")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "pstdesk"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": env_int("WORKER_THREADS", 4, minimum=1), "worker_type": "thread"},
    }
else:
    # One process: the in-process hub, whose cost per event does not grow with the open sockets (runtime/hub.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "pstdesk.runtime.hub.InProcessHub"}}
    # In memory: the embedded profile serves web, WebSockets and task workers in one process (`serve`), so the
    # rate-limit counters and the WhatsApp pacing buckets are all counted in that process. A file cache cost a
    # file write and rename per rate-limit increment on every chat message.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pstdesk"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "pstdesk",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
        "immediate": False,
        "consumer": {"workers": env_int("WORKER_THREADS", 4, minimum=1), "worker_type": "thread"},
    }

# Under pytest, queued tasks run at once in the caller (huey "immediate" mode) unless TASKS_IMMEDIATE=false.
HUEY["immediate"] = env_bool("TASKS_IMMEDIATE", "pytest" in sys.modules)

# --- files, static, i18n ---------------------------------------------------------------------------------------
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"  # never served publicly: attachments go through an access-checked view
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served by WhiteNoise's file index in front of Django (`pstdesk.lib.static`), from STATIC_ROOT
# and, without a collectstatic step, straight from the apps' static folders.
WHITENOISE_USE_FINDERS = True

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Makassar"

# --- limits ----------------------------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
MESSAGE_MAX_CHARS = env_int("MESSAGE_MAX_CHARS", 4096, minimum=100)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Office documents are zip archives: limits on what one attachment may unpack to (archive bombs).
ATTACHMENT_MAX_UNPACKED_BYTES = env_int("ATTACHMENT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_RATIO = env_int("ATTACHMENT_MAX_RATIO", 100, minimum=2)

# --- supervision (docs/supervision.md) ----------------------------------------------------------------------------
ESCALATION_WORKING_DAYS = env_int("ESCALATION_WORKING_DAYS", 2, minimum=1)
REVIEW_SAMPLE_PER_OFFICER = env_int("REVIEW_SAMPLE_PER_OFFICER", 2, minimum=1)
# The hour (office time, 0–23) of the daily e-mail digest of new SLA breaches to each office's supervisors.
BREACH_DIGEST_HOUR = env_int("BREACH_DIGEST_HOUR", 7, minimum=0)
if BREACH_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"Unexpected value BREACH_DIGEST_HOUR={BREACH_DIGEST_HOUR}: use an hour 0-23")

# --- e-mail (outgoing mail of the service itself: verification codes, transcripts, reports) ---------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PST Desk <pst@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(DATA_DIR / "outbox-mail")

# --- WhatsApp Cloud API ----------------------------------------------------------------------------------------
# The demo talks to the local simulator (`pstdesk run_whatsapp_simulator`, started by `serve` when DEMO is set) with
# well-known demo secrets; a real deployment sets all four.
WHATSAPP_SIMULATOR_PORT = env_int("WHATSAPP_SIMULATOR_PORT", 8025, minimum=1)
WHATSAPP_APP_SECRET = env_secret("WHATSAPP_APP_SECRET", "demo-app-secret" if DEMO else "")
WHATSAPP_VERIFY_TOKEN = env_secret("WHATSAPP_VERIFY_TOKEN", "demo-verify-token" if DEMO else "")
WHATSAPP_ACCESS_TOKEN = env_secret("WHATSAPP_ACCESS_TOKEN", "demo-access-token" if DEMO else "")
WHATSAPP_API_BASE = env_str(
    "WHATSAPP_API_BASE",
    f"http://127.0.0.1:{WHATSAPP_SIMULATOR_PORT}" if DEMO else "https://graph.facebook.com",
).rstrip("/")
WHATSAPP_API_VERSION = env_str("WHATSAPP_API_VERSION", "25.0")

# --- BPS Web API (webapi.bps.go.id) ------------------------------------------------------------------------------
# The demo talks to the local simulator (`pstdesk.bpsapi.simulator`, started by `serve` when DEMO is set). The key
# is a secret: never logged (URLs are redacted) and never put in a page.
BPS_API_SIMULATOR_PORT = env_int("BPS_API_SIMULATOR_PORT", 8026, minimum=1)
BPS_API_KEY = env_secret("BPS_API_KEY", "demo-bps-key" if DEMO else "")
BPS_API_BASE = env_str(
    "BPS_API_BASE",
    f"http://127.0.0.1:{BPS_API_SIMULATOR_PORT}/v1/api" if DEMO else "https://webapi.bps.go.id/v1/api",
).rstrip("/")
BPS_API_TIMEOUT_MS = env_int("BPS_API_TIMEOUT_MS", 5000, minimum=100)
BPS_API_CACHE_SECONDS = env_int("BPS_API_CACHE_SECONDS", 6 * 3600, minimum=0)

# --- soft-copy library -----------------------------------------------------------------------------------------
LIBRARY_MAX_BYTES = env_int("LIBRARY_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
LIBRARY_MAX_PAGES = env_int("LIBRARY_MAX_PAGES", 2000, minimum=1)
LIBRARY_LINK_DAYS = env_int("LIBRARY_LINK_DAYS", 7, minimum=1)
# A stamped copy up to this size also travels as an attachment (WhatsApp document, e-mail, widget file).
LIBRARY_ATTACH_MAX_BYTES = env_int("LIBRARY_ATTACH_MAX_BYTES", 5 * 1024 * 1024, minimum=0)

# --- logging ---------------------------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
    raise ImproperlyConfigured(f"Unexpected value LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING or ERROR")
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"Unexpected value LOG_FORMAT={LOG_FORMAT!r}: use text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pstdesk.lib.logs.JsonFormatter"},
    },
    # Secrets in query strings (the WhatsApp verify token, signed links) never reach a log line.
    "filters": {"redact_query": {"()": "pstdesk.lib.logs.RedactQueryFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact_query"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}, "huey": {"level": "WARNING"}},
}

# --- HTTP security ---------------------------------------------------------------------------------------------
# Reverse proxies in front of the server (load balancer, nginx): how many of them append to X-Forwarded-For. The
# client address of rate limits is taken that many hops from the right (`pstdesk.lib.proxies.client_ip`), and
# the proxies' X-Forwarded-Proto says whether the request came over HTTPS. 0: no proxy, both headers ignored.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS: cookies only over HTTPS, and browsers told to use HTTPS only (HSTS) for HSTS_SECONDS.
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes inside the network speak plain HTTP
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Debug pages (DEBUG=true only) never show a connection URL or a secret (see pstdesk.lib.security).
DEFAULT_EXCEPTION_REPORTER_FILTER = "pstdesk.lib.security.ExceptionReporterFilter"

# --- staff two-factor authentication (accounts.twofactor; django-otp) ------------------------------------------
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
# OTPMiddleware says whether a session passed the second step; TwoFactorMiddleware sends a session that owes it
# (its office requires it of admins) to the second step or to enrolment.
MIDDLEWARE.insert(
    MIDDLEWARE.index("pstdesk.lib.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "pstdesk.accounts.middleware.TwoFactorMiddleware"
)
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "PST Desk")
