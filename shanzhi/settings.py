"""Django settings, all read from the environment in this one module.

See docs/operations.md for every variable. Bad values fail at start-up.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from shanzhi.env import ConfigurationError, env_bool, env_database_url, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SHANZHI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, uploads and collected static files live here

DEFAULT_SECRET_KEY = "shanzhi-insecure-development-key-change-me"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
PRODUCTION = env_bool("SHANZHI_PRODUCTION", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if PRODUCTION:
    if DEBUG:
        raise ConfigurationError("DEBUG must be off when SHANZHI_PRODUCTION is on")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigurationError("SECRET_KEY must be set to a random value of at least 50 characters")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shanzhi.core",
    "shanzhi.areas",
    "shanzhi.accounts",
    "shanzhi.people",
    "shanzhi.gridwork",
    "shanzhi.cases",
    "shanzhi.deliberation",
    "shanzhi.points",
    "shanzhi.dashboard",
    "shanzhi.imports",
    "shanzhi.field",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shanzhi.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shanzhi.core.middleware.RequestContextMiddleware",
    "shanzhi.accounts.middleware.SessionPolicyMiddleware",
    "shanzhi.accounts.middleware.LoginGateMiddleware",
    "shanzhi.accounts.middleware.ProductionGuardMiddleware",
]

ROOT_URLCONF = "shanzhi.urls"
WSGI_APPLICATION = "shanzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shanzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shanzhi.core.context_processors.shanzhi",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------
SQLITE_PATH = Path(env_str("SHANZHI_SQLITE_PATH", str(VAR_DIR / "shanzhi.sqlite3")))
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("SHANZHI_SQLITE_BUSY_TIMEOUT", 10, minimum=5, maximum=300)
# FULL: a commit the app has answered survives a power cut (docs/decisions/0006-sqlite-synchronous-full.md).
SQLITE_SYNCHRONOUS = env_str("SHANZHI_SQLITE_SYNCHRONOUS", "FULL").upper()
if SQLITE_SYNCHRONOUS not in ("FULL", "EXTRA", "NORMAL"):
    raise ConfigurationError(f"SHANZHI_SQLITE_SYNCHRONOUS={SQLITE_SYNCHRONOUS!r}: use FULL, EXTRA or NORMAL")
_database_url = env_database_url("DATABASE_URL")
# Name of the throw-away test database (a file in var/ on SQLite): parallel runs set their own.
TEST_DB_NAME = env_str("SHANZHI_TEST_DB_NAME", "test_shanzhi")
if _database_url and not _database_url.startswith("sqlite"):
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
else:
    if _database_url:
        SQLITE_PATH = Path(dj_database_url.parse(_database_url)["NAME"])
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    f"PRAGMA synchronous={SQLITE_SYNCHRONOUS};"
                    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000};"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(VAR_DIR / f"{TEST_DB_NAME}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["shanzhi.accounts.backends.ShanzhiBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "phone", "email")},
    },
    {"NAME": "shanzhi.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- language and time ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Each app keeps its own catalogue in <app>/locale (listed first, so makemessages files
# an app's strings there); shanzhi/locale holds the project-wide strings.
LOCALE_PATHS = [
    *sorted(p for p in (BASE_DIR / "shanzhi").glob("*/locale") if p.is_dir()),
    BASE_DIR / "shanzhi" / "locale",
]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files (front-end packages come from npm, copied by scripts/build_assets.py)
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "shanzhi" / "static"]
STATIC_ROOT = Path(env_str("SHANZHI_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves collected files from here
MEDIA_ROOT = Path(env_str("SHANZHI_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- sessions and security ---------------------------------------------------------
# Any session ends 12 hours after login, and after 30 minutes without a request
# (shanzhi.accounts.middleware.SessionPolicyMiddleware enforces both on the server).
SESSION_COOKIE_AGE = env_int("SHANZHI_SESSION_MAX_AGE", 12 * 3600, minimum=300, maximum=7 * 24 * 3600)
SHANZHI_SESSION_IDLE_SECONDS = env_int("SHANZHI_SESSION_IDLE", 30 * 60, minimum=60, maximum=SESSION_COOKIE_AGE)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Login policy (docs/security.md): an account locks for SHANZHI_LOGIN_LOCK_MINUTES after
# SHANZHI_LOGIN_MAX_FAILURES failed attempts in a row; one address is refused (429) after
# SHANZHI_LOGIN_IP_MAX_FAILURES failures within SHANZHI_LOGIN_IP_WINDOW seconds.
SHANZHI_LOGIN_MAX_FAILURES = env_int("SHANZHI_LOGIN_MAX_FAILURES", 5, minimum=3, maximum=20)
SHANZHI_LOGIN_LOCK_MINUTES = env_int("SHANZHI_LOGIN_LOCK_MINUTES", 15, minimum=1, maximum=24 * 60)
SHANZHI_LOGIN_IP_MAX_FAILURES = env_int("SHANZHI_LOGIN_IP_MAX_FAILURES", 20, minimum=5, maximum=1000)
SHANZHI_LOGIN_IP_WINDOW = env_int("SHANZHI_LOGIN_IP_WINDOW", 600, minimum=60, maximum=24 * 3600)
# Roles that must use a TOTP authenticator (every staff member may). On by default in
# production; the demo and the shared test personas log in with a password alone.
SHANZHI_OTP_REQUIRED_ROLES = env_list("SHANZHI_OTP_REQUIRED_ROLES", ["county_admin"] if PRODUCTION else [])
OTP_TOTP_ISSUER = env_str("SHANZHI_OTP_ISSUER", "善治")
# Audit rows are kept at least 180 days (MLPS level 3); `shanzhi audit purge` refuses younger rows.
SHANZHI_AUDIT_RETENTION_DAYS = env_int("SHANZHI_AUDIT_RETENTION_DAYS", 180, minimum=180)
# Content-Security-Policy (shanzhi.core.csp): scripts only from this server or with the
# request's nonce; inline style attributes stay allowed (templates use them for layout).
SHANZHI_CSP_REPORT_ONLY = env_bool("SHANZHI_CSP_REPORT_ONLY", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
# A form sent with an expired token gets a plain Chinese page (JSON with a code for the API).
CSRF_FAILURE_VIEW = "shanzhi.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Shanzhi ------------------------------------------------------------------------
# Key material for personal data at rest: 64 hex characters (32 bytes): the first 16
# bytes are the SM4 key, the rest the HMAC-SM3 key of the lookup hash. Without it a
# key is derived from SECRET_KEY, which is fine for the demo and refused in production.
# The key may instead be in a file (SHANZHI_FIELD_KEY_FILE, readable by the service
# only); retired keys that still open older values are in SHANZHI_FIELD_KEY_OLD
# (comma-separated) or SHANZHI_FIELD_KEY_OLD_FILE (one a line) until
# `shanzhi rotate_field_key` has re-sealed everything (docs/data-protection.md).
def _field_keys():
    from shanzhi.core.crypto import KeyMaterialError, parse_key_material, read_key_file, read_key_list_file

    try:
        current, retired = env_str("SHANZHI_FIELD_KEY", ""), []
        if current:
            current = parse_key_material(current, source="SHANZHI_FIELD_KEY")
        elif env_str("SHANZHI_FIELD_KEY_FILE", ""):
            current = read_key_file(env_str("SHANZHI_FIELD_KEY_FILE"))
        for part in env_list("SHANZHI_FIELD_KEY_OLD", []):
            retired.append(parse_key_material(part, source="SHANZHI_FIELD_KEY_OLD"))
        if env_str("SHANZHI_FIELD_KEY_OLD_FILE", ""):
            retired += read_key_list_file(env_str("SHANZHI_FIELD_KEY_OLD_FILE"))
    except KeyMaterialError as exc:
        raise ConfigurationError(str(exc)) from None
    return current, retired


SHANZHI_FIELD_KEY, SHANZHI_FIELD_KEY_OLD = _field_keys()
if not SHANZHI_FIELD_KEY and PRODUCTION:
    raise ConfigurationError("SHANZHI_FIELD_KEY or SHANZHI_FIELD_KEY_FILE must be set in production")

SHANZHI_COUNTY_NAME = env_str("SHANZHI_COUNTY_NAME", "虎林市")
SHANZHI_CASE_PREFIX = env_str("SHANZHI_CASE_PREFIX", "HL")
SHANZHI_API_TOKEN_DAYS = env_int("SHANZHI_API_TOKEN_DAYS", 30, minimum=1, maximum=365)
SHANZHI_PAGE_SIZE = env_int("SHANZHI_PAGE_SIZE", 20, minimum=5, maximum=200)
# Imports: the largest file a clerk may upload (MB) and how long uploaded files are kept (days).
SHANZHI_IMPORT_MAX_BYTES = env_int("SHANZHI_IMPORT_MAX_MB", 200, minimum=1, maximum=2048) * 1024 * 1024
SHANZHI_IMPORT_KEEP_DAYS = env_int("SHANZHI_IMPORT_KEEP_DAYS", 30, minimum=1, maximum=3650)

# Grid map (docs/guide/dashboard.md): polygons on a plain background by default; a county
# with its own tile server sets e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png (https
# only; its origin is added to the page's img-src).
SHANZHI_MAP_TILE_URL = env_str("SHANZHI_MAP_TILE_URL", "")
if SHANZHI_MAP_TILE_URL and not SHANZHI_MAP_TILE_URL.startswith(("https://", "http://127.0.0.1", "http://localhost")):
    raise ConfigurationError("SHANZHI_MAP_TILE_URL must be an https:// URL with {z}/{x}/{y}")
if SHANZHI_MAP_TILE_URL and not all(p in SHANZHI_MAP_TILE_URL for p in ("{z}", "{x}", "{y}")):
    raise ConfigurationError("SHANZHI_MAP_TILE_URL must contain {z}, {x} and {y}")
SHANZHI_MAP_TILE_ATTRIBUTION = env_str("SHANZHI_MAP_TILE_ATTRIBUTION", "")

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
