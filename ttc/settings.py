"""Settings for the TechTegenCorona platform, read from the environment only.

With nothing set the platform runs locally: SQLite under var/, DEBUG on and a
generated secret kept in var/. TTC_ENV=production demands the real values.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ttc.lib.env import (
    EnvError,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TTC_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

TTC_ENV = env_choice("TTC_ENV", "development", {"development", "production"})
PRODUCTION = TTC_ENV == "production"


def _require(name: str) -> str:
    value = env_str(name)
    if not value:
        raise EnvError(f"{name} must be set when TTC_ENV=production")
    return value


def _local_secret_key() -> str:
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = _require("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise EnvError("SECRET_KEY must be at least 50 characters of real randomness")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", []) or [_require("ALLOWED_HOSTS")]
    DATABASE_URL = _require("DATABASE_URL")
    DEBUG = env_bool("DEBUG", False)
    if DEBUG:
        raise EnvError("DEBUG must be off when TTC_ENV=production: it shows settings and code")
    # Links in e-mail point here: a wrong or plain-http address sends people's
    # verification and reset links somewhere else, or over the wire unencrypted.
    SITE_URL = _require("SITE_URL").rstrip("/")
    _site = urlsplit(SITE_URL)
    if _site.scheme != "https" or not _site.hostname:
        raise EnvError(
            f"SITE_URL must be an https:// address when TTC_ENV=production, not {SITE_URL!r}"
        )
else:
    SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DATABASE_URL = env_str("DATABASE_URL")
    DEBUG = env_bool("DEBUG", True)
    SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "crontask",
    "ttc.core",
    "ttc.accounts",
    "ttc.members",
    "ttc.announcements",
    "ttc.helprequests",
    "ttc.documents",
    "ttc.knowledge",
    "ttc.incidents",
    "ttc.api",
    "ttc.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ttc.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After MessageMiddleware: it tells the person why they were sent to set-up.
    "ttc.accounts.middleware.RequireMfaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "ttc.urls"
WSGI_APPLICATION = "ttc.wsgi.application"

# Form widgets may use the project's templates (grouped checkboxes as fieldsets).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ttc" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ttc.core.context_processors.navigation",
            ],
        },
    }
]

# Database: SQLite under var/ unless DATABASE_URL names another.
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "ttc.sqlite3"),
            # IMMEDIATE makes concurrent writers wait instead of failing halfway.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ttc_cache",
        }
    }

# Background work through Django's tasks API, stored in the database so that no
# extra server is needed on one machine.
TASKS = {
    "default": {
        "BACKEND": env_str("TTC_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
CRONTASK = {"REDIS_URL": REDIS_URL or None}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: e-mail is the log-in, verified before use.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[TTC] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "10/h/ip",
    "reset_password": "5/h/ip,3/h/key",
}
ACCOUNT_ADAPTER = "ttc.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_NOTIFICATIONS = True
MFA_ADAPTER = "ttc.accounts.adapter.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "TechTegenCorona"
# One 30-second step either way, as RFC 6238 advises for phones whose clocks drift.
MFA_TOTP_TOLERANCE = 1

# Internationalisation: Dutch first, English alongside.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "ttc" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "ttc" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded documents (tax statements). Never served as static files: views
# check access and send them. Several app servers need a shared directory.
MEDIA_ROOT = Path(env_str("TTC_MEDIA_ROOT") or VAR_DIR / "media")

# E-mail: SMTP in production; in development a database outbox that the
# coordinator reads at /outbox/, so verification links work without a server.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "ttc.core.mail.OutboxBackend",
)
TTC_EMAIL_OUTBOX = _EMAIL_BACKEND == "ttc.core.mail.OutboxBackend"
if PRODUCTION and TTC_EMAIL_OUTBOX:
    raise EnvError(
        "EMAIL_BACKEND must not be the development outbox (ttc.core.mail.OutboxBackend) "
        "when TTC_ENV=production: it shows every e-mail, with its links, at /outbox/"
    )
MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", PRODUCTION),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "TechTegenCorona <noreply@techtegencorona.nl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security baseline.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Trust X-Forwarded-Proto only behind a proxy that sets it (and strips what a
# client sends): otherwise anyone could make a plain-http request look secure.
TTC_BEHIND_PROXY = env_bool("TTC_BEHIND_PROXY", False)
if TTC_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# Platform rules.
#: How many different coordinators must approve a membership application.
TTC_APPROVALS_REQUIRED = env_int("TTC_APPROVALS_REQUIRED", 2, minimum=2)
#: After this many days without compliance an approved membership expires.
TTC_NONCOMPLIANT_EXPIRY_DAYS = env_int("TTC_NONCOMPLIANT_EXPIRY_DAYS", 90, minimum=1)
# Fair matching: a company's matches in the last TTC_FAIRNESS_WINDOW_DAYS lower its
# score (by up to TTC_FAIRNESS_WEIGHT), and TTC_FAIRNESS_CAP matches in the window
# is the most any company receives.
TTC_FAIRNESS_WINDOW_DAYS = env_int("TTC_FAIRNESS_WINDOW_DAYS", 90, minimum=7)
TTC_FAIRNESS_CAP = env_int("TTC_FAIRNESS_CAP", 10, minimum=1)
TTC_FAIRNESS_WEIGHT = env_float("TTC_FAIRNESS_WEIGHT", 0.30, minimum=0.0, maximum=1.0)
#: Working days a proposed member has to accept or decline.
TTC_PROPOSAL_WORKING_DAYS = env_int("TTC_PROPOSAL_WORKING_DAYS", 3, minimum=1)
#: Days without activity before a requester is asked whether help is still
#: needed, and again before the request closes unanswered.
TTC_STALE_REQUEST_DAYS = env_int("TTC_STALE_REQUEST_DAYS", 14, minimum=1)
#: API calls allowed per address (anonymous) and per person (signed in or by
#: token), as "number/period" with period s, m, h or d. Reads of confidential
#: content are audited one by one, so unbounded polling would flood the log.
TTC_API_RATE_ANONYMOUS = env_rate("TTC_API_RATE_ANONYMOUS", "60/m")
TTC_API_RATE_PERSON = env_rate("TTC_API_RATE_PERSON", "600/m")
# django-ninja identifies anonymous callers by address: trust one proxy hop of
# X-Forwarded-For only behind a proxy that sets it, or anyone could pick theirs.
NINJA_NUM_PROXIES = 1 if TTC_BEHIND_PROXY else 0
# Proposals to working documents: per address for visitors without an account
# (who also confirm their e-mail address), and per person when signed in.
TTC_PROPOSAL_RATE_VISITOR = env_rate("TTC_PROPOSAL_RATE_VISITOR", "5/h")
TTC_PROPOSAL_RATE_PERSON = env_rate("TTC_PROPOSAL_RATE_PERSON", "60/h")
TTC_API_TOKEN_PREFIX = "ttc_"  # noqa: S105 - a prefix, not a secret
#: Minutes from an incident's report until it must be acknowledged and until a
#: responder must have accepted, per severity (4 = patient care affected).
#: Override one with e.g. TTC_INCIDENT_ACKNOWLEDGE_4=10.
TTC_INCIDENT_DEADLINES = {
    severity: {
        "acknowledge": env_int(f"TTC_INCIDENT_ACKNOWLEDGE_{severity}", acknowledge, minimum=1),
        "responder": env_int(f"TTC_INCIDENT_RESPONDER_{severity}", responder, minimum=1),
    }
    for severity, acknowledge, responder in (
        (4, 15, 60),
        (3, 60, 4 * 60),
        (2, 4 * 60, 24 * 60),
        (1, 24 * 60, 3 * 24 * 60),
    )
}
#: The largest STIX bundle an import reads.
TTC_STIX_IMPORT_MAX_BYTES = env_int("TTC_STIX_IMPORT_MAX_BYTES", 5_000_000, minimum=10_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"apscheduler": {"level": "WARNING"}},
}
