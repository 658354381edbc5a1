"""Settings, read from environment variables.

Nothing is required for the embedded default (SQLite under ``var/``). Set
``DATABASE_URL`` (e.g. ``postgres://user@127.0.0.1:5432/db``) for PostgreSQL.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or a random key kept in var/secret_key (created once, mode 600)."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _seal_key() -> str:
    """The key of the sign-off seals (HMAC-SHA256 over what was signed): DJANGO_SEAL_KEY, or
    a random key kept in var/seal_key beside the secret key (created once, mode 600). It is
    never stored in the database, so whoever can write the database cannot recompute a seal.
    Back it up with the secret key: with another key every seal fails its check."""
    if key := os.environ.get("DJANGO_SEAL_KEY"):
        if len(key) < 32:
            raise ImproperlyConfigured("DJANGO_SEAL_KEY must be at least 32 characters long.")
        return key
    path = VAR_DIR / "seal_key"
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: processes
        # starting at once all end up reading the one key that was linked first.
        temp = VAR_DIR / f".seal_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text().strip()


# Production profile: DJANGO_SECURE=1 behind an HTTPS reverse proxy (see docs/operations.md).
SECURE = env_bool("DJANGO_SECURE", False)
DEBUG = env_bool("DJANGO_DEBUG", False)
if SECURE and DEBUG:
    raise ImproperlyConfigured("DJANGO_SECURE=1 (production) cannot run with DJANGO_DEBUG=1.")
SECRET_KEY = _secret_key()
SEAL_KEY = _seal_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "import_export",
    # CAS sign-in keeps each session's service ticket (single sign-out); its tables exist
    # whether CAS is configured or not.
    "django_cas_ng",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc served from the installed package (no CDN).
    "drf_spectacular_sidecar",
    "branches",
    "rubrics",
    "assessments",
    # After assessments: its `db_worker` (which survives a locked database) overrides this one.
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "branches.toolkit.middleware.RejectNulMiddleware",
    "branches.toolkit.middleware.IdleTimeoutMiddleware",
    # Before the password change: a privileged user proves the second factor first.
    "branches.second_factor.middleware.SecondFactorRequiredMiddleware",
    "branches.toolkit.middleware.PasswordChangeRequiredMiddleware",
    "branches.toolkit.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "branches.context_processors.navigation",
                "assessments.notices.context_processors.unread",
                "assessments.help.context_processors.page_help",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL is set.
if database_url := os.environ.get("DATABASE_URL"):
    try:
        default_db = dj_database_url.parse(database_url, conn_max_age=60)
    except Exception as exc:  # dj-database-url raises several kinds
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
else:
    default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "db.sqlite3"),
        # WAL: readers never wait for the writer. IMMEDIATE: a transaction takes the write
        # lock when it begins, so two writers queue instead of deadlocking on upgrade.
        # timeout: a writer waits up to SQLITE_TIMEOUT seconds for the lock (busy timeout)
        # instead of failing at once with "database is locked".
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_TIMEOUT", 20, minimum=1),
        },
        # A file, not :memory:, so the browser tests' live-server threads get connections
        # of their own instead of sharing one across threads.
        "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
    }
DATABASES = {"default": default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "branches.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password rules: see branches/passwords.py (8+ characters, 3 of 4 character classes,
# not the username, none of the last 5; changed at the next login after an administrator
# set it; expiry after PASSWORD_MAX_AGE_DAYS, 0 = never).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "branches.passwords.SimilarityValidator"},
    {"NAME": "branches.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "branches.passwords.CommonPasswordValidator"},
    {"NAME": "branches.passwords.NumericPasswordValidator"},
    {"NAME": "branches.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "branches.passwords.UsernameValidator"},
    {"NAME": "branches.passwords.HistoryValidator", "OPTIONS": {"size": 5}},
]
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: logged out after SESSION_IDLE_MINUTES without a request (default 30),
# and in any case when the browser closes or after 12 hours.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE or env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Lockout after repeated failures (django-axes), by username and client address together:
# failures from one address lock that username there only, so nobody elsewhere can lock a
# user (the administrator) out. The address is the one the audit trail records
# (REMOTE_ADDR), never a header the client writes.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "branches.toolkit.audit.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Single sign-on returns carry no typed username: a refused one counts under the 工号 the
# provider vouched for; one that names nobody is not counted (branches.directory.selectors).
AXES_USERNAME_CALLABLE = "branches.directory.selectors.lockout_username"
AXES_WHITELIST_CALLABLE = "branches.directory.selectors.lockout_exempt"

# -- Directory sign-in (docs/operations.md, "Signing in with the company's directory") ----
# Every way in ends at an existing account: a person is matched by 工号 (the username)
# to the account a 系统管理员 created or imported; nobody is created by signing in, and
# no role comes from the directory (a group's role is a proposal the 安全管理员 confirms).
LDAP_SERVER_URI = os.environ.get("LDAP_SERVER_URI", "").strip()
LDAP_ENABLED = bool(LDAP_SERVER_URI)
# The attribute of the person's entry that holds the 工号 (AD: employeeID).
LDAP_EMPLOYEE_NUMBER_ATTR = os.environ.get("LDAP_EMPLOYEE_NUMBER_ATTR", "employeeNumber").strip()


def _ldap_group_roles() -> dict[str, str]:
    """LDAP_GROUP_ROLES: JSON {"<group DN>": "<role>@<organization code>"}, e.g.
    {"cn=kaoping-reviewers,ou=groups,dc=example,dc=com": "reviewer@HX"}."""
    raw = os.environ.get("LDAP_GROUP_ROLES", "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"LDAP_GROUP_ROLES must be JSON: {exc}") from None
    if not isinstance(value, dict) or not all(
        isinstance(dn, str) and isinstance(target, str) and target.count("@") == 1
        for dn, target in value.items()
    ):
        raise ImproperlyConfigured(
            'LDAP_GROUP_ROLES must map group DNs to "role@organization code" strings, e.g. '
            '{"cn=reviewers,ou=groups,dc=example,dc=com": "reviewer@HX"}.'
        )
    return {dn.strip().lower(): target.strip() for dn, target in value.items()}


LDAP_GROUP_ROLES = _ldap_group_roles()

if LDAP_ENABLED:
    import ldap
    from django_auth_ldap.config import (
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        NestedActiveDirectoryGroupType,
        PosixGroupType,
    )

    if not os.environ.get("LDAP_USER_SEARCH_BASE"):
        raise ImproperlyConfigured("LDAP_SERVER_URI is set: set LDAP_USER_SEARCH_BASE too.")
    AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
    AUTH_LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
    AUTH_LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
    # The person types their 工号 or their directory login name.
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        os.environ["LDAP_USER_SEARCH_BASE"],
        ldap.SCOPE_SUBTREE,
        os.environ.get(
            "LDAP_USER_FILTER", f"(|(uid=%(user)s)({LDAP_EMPLOYEE_NUMBER_ATTR}=%(user)s))"
        ),
    )
    AUTH_LDAP_CONNECTION_OPTIONS = {
        ldap.OPT_NETWORK_TIMEOUT: env_int("LDAP_TIMEOUT_SECONDS", 5, minimum=1),
        ldap.OPT_TIMEOUT: env_int("LDAP_TIMEOUT_SECONDS", 5, minimum=1),
        ldap.OPT_REFERRALS: 0,  # AD answers with referrals a simple bind cannot follow
    }
    # Accounts are never created, changed or mirrored from the directory.
    AUTH_LDAP_NO_NEW_USERS = True
    AUTH_LDAP_ALWAYS_UPDATE_USER = False
    AUTH_LDAP_USER_ATTR_MAP: dict[str, str] = {}
    if group_base := os.environ.get("LDAP_GROUP_SEARCH_BASE", "").strip():
        group_types = {
            "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
            "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
            "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
            "activeDirectory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
        }
        kind = os.environ.get("LDAP_GROUP_TYPE", "groupOfNames")
        if kind not in group_types:
            raise ImproperlyConfigured(
                f"LDAP_GROUP_TYPE must be one of {', '.join(group_types)}, got {kind!r}"
            )
        group_type, group_filter = group_types[kind]
        AUTH_LDAP_GROUP_SEARCH = LDAPSearch(group_base, ldap.SCOPE_SUBTREE, group_filter)
        AUTH_LDAP_GROUP_TYPE = group_type()
    AUTHENTICATION_BACKENDS.append("branches.directory.backends.DirectoryBackend")

# OpenID Connect: on when OIDC_RP_CLIENT_ID is set (mozilla-django-oidc, code flow + PKCE).
OIDC_ENABLED = bool(os.environ.get("OIDC_RP_CLIENT_ID"))
OIDC_LABEL = os.environ.get("OIDC_LABEL", "统一身份认证登录").strip()[:30]
# The claim of the ID token or userinfo that holds the 工号.
OIDC_EMPLOYEE_NUMBER_CLAIM = os.environ.get("OIDC_EMPLOYEE_NUMBER_CLAIM", "employee_number")
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
LOGIN_REDIRECT_URL_FAILURE = "login"
# The provider's end-session endpoint: 退出登录 after an OpenID Connect sign-in also ends
# the provider's session there (the ID token kept in the session is its hint). Unset: the
# sign-out ends this system's session only.
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "").strip() or None
OIDC_STORE_ID_TOKEN = bool(OIDC_OP_LOGOUT_ENDPOINT)
if OIDC_ENABLED:
    _oidc_required = (
        "OIDC_RP_CLIENT_SECRET",
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    )
    if missing := [name for name in _oidc_required if not os.environ.get(name)]:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set: set {', '.join(missing)} too.")
    OIDC_RP_CLIENT_ID = os.environ["OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ["OIDC_RP_CLIENT_SECRET"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["OIDC_OP_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ["OIDC_OP_JWKS_ENDPOINT"]
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")
    AUTHENTICATION_BACKENDS.append("branches.directory.backends.OIDCBackend")

# CAS: on when CAS_SERVER_URL is set (django-cas-ng). The CAS user id is the 工号 unless
# CAS_EMPLOYEE_NUMBER_ATTRIBUTE names an attribute of the ticket's answer that holds it.
CAS_SERVER_URL = os.environ.get("CAS_SERVER_URL", "").strip() or None
CAS_ENABLED = bool(CAS_SERVER_URL)
CAS_LABEL = os.environ.get("CAS_LABEL", "统一身份认证登录（CAS）").strip()[:30]
CAS_VERSION = os.environ.get("CAS_VERSION", "3")
if CAS_VERSION not in {"1", "2", "3"}:
    raise ImproperlyConfigured(f"CAS_VERSION must be 1, 2 or 3, got {CAS_VERSION!r}")
CAS_USERNAME_ATTRIBUTE = os.environ.get("CAS_EMPLOYEE_NUMBER_ATTRIBUTE", "cas:user")
CAS_CREATE_USER = False
CAS_LOGIN_URL_NAME = "cas_login"
CAS_REDIRECT_URL = "home"
CAS_IGNORE_REFERER = True
CAS_LOGIN_MSG = None
CAS_LOGGED_MSG = None
CAS_RETRY_LOGIN = False
# Read by django-cas-ng's own logout view only: 退出登录 is branches.directory.views.sign_out.
CAS_LOGOUT_COMPLETELY = False
if CAS_ENABLED:
    AUTHENTICATION_BACKENDS.append("branches.directory.backends.CASBackend")

# Second factor (django-otp, TOTP with recovery codes) for the privileged roles: see
# branches/second_factor. Wrong codes are throttled per device: after n failures in a row
# the next attempt waits 2^(n-1) seconds.
OTP_TOTP_ISSUER = "党支部标准化考评"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it even when serving from finders
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed from the npm registry by `make install` (package.json); never copied by hand.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Development and tests serve straight from the finders: no collectstatic step needed.
# Production (`make serve`, the systemd units) sets DJANGO_STATIC_COLLECTED=1 and runs
# collectstatic: WhiteNoise then serves the hashed, pre-compressed (gzip and brotli) copies
# under STATIC_ROOT with far-future cache headers.
STATIC_COLLECTED = env_bool("DJANGO_STATIC_COLLECTED", False)


def _media_storage() -> dict:
    """Uploads and stored reports: var/media on this disk, or, when STORAGE_S3_BUCKET is set,
    a bucket on an S3-compatible store (MinIO on the intranet, or a cloud one) that several
    app servers share. Files are always served through views that check access, never by
    their storage URL."""
    bucket = os.environ.get("STORAGE_S3_BUCKET")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    style = os.environ.get("STORAGE_S3_ADDRESSING_STYLE", "path")
    if style not in {"path", "virtual", "auto"}:
        raise ImproperlyConfigured(
            f"STORAGE_S3_ADDRESSING_STYLE must be path, virtual or auto, got {style!r}"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("STORAGE_S3_REGION") or None,
            "access_key": os.environ.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("STORAGE_S3_PREFIX", ""),
            "addressing_style": style,
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own policy: private
            "file_overwrite": False,
        },
    }


STORAGES = {
    "default": _media_storage(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_COLLECTED
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED

# Uploaded evidence lives outside static files and is served only through views that check access.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Spreadsheet imports: refused before parsing past these bounds.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# 20,000 rows: a whole provincial tree in one file. Memory while importing grows with the
# rows of the file and the rows already stored (docs/operations.md, "The task worker").
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000, minimum=1)
# From this many rows on, the task worker checks and stores the file (progress bar).
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 1000, minimum=1)
IMPORT_MAX_UNZIPPED_BYTES = env_int("IMPORT_MAX_UNZIPPED_BYTES", 50 * 1024 * 1024, minimum=1024)

# The REST API (branches/api, assessments/api): service-account tokens only (created by
# the 安全管理员 on 接口令牌), JSON only, every list paginated, every token rate-limited.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
# Requests a token may make per minute (counted in the cache: per process unless CACHES
# points at a shared cache).
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600, minimum=1)
# Rows one sync request may carry (the tree, a roster).
API_MAX_SYNC_ROWS = env_int("API_MAX_SYNC_ROWS", 5000, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["branches.api.access.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["branches.api.access.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "branches.api.access.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["branches.api.access.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "branches.api.access.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "党支部标准化考评 API",
    "DESCRIPTION": "组织架构、考评活动、考评结果、整改清单和三会一课记录的读取，"
    "组织架构与党员名册的同步（按编码幂等）。令牌由安全管理员在“接口令牌”页面创建。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrgKindEnum": "branches.models.OrgKind",
        "MemberStatusEnum": "branches.models.MemberStatus",
        "CampaignStatusEnum": "assessments.models.CampaignStatus",
        "RectificationStatusEnum": "assessments.models.RectificationStatus",
        "RectificationKindEnum": "assessments.models.RectificationKind",
        "MeetingStatusEnum": "assessments.models.MeetingStatus",
        "MeetingKindEnum": "branches.meeting_kinds.KIND_CHOICES",
    },
}

# Reports as official documents (GB/T 9704 where it fits a report): the issuing
# organization printed in the 红头 and the 落款 (blank: the campaign's scope 党委), the
# 文号 prefix ("党考" gives 党考〔2026〕12号) and whether the red header is printed at all.
REPORT_ISSUER = os.environ.get("REPORT_ISSUER", "").strip()
REPORT_DOC_PREFIX = os.environ.get("REPORT_DOC_PREFIX", "党考").strip()
if len(REPORT_ISSUER) > 60 or len(REPORT_DOC_PREFIX) > 20:
    raise ImproperlyConfigured("REPORT_ISSUER must be ≤ 60 characters, REPORT_DOC_PREFIX ≤ 20")
REPORT_RED_HEADER = env_bool("REPORT_RED_HEADER", True)
# A signed sheet's report is issued and stored by the task worker right after signing, so
# a download and the zip of all reports read stored files (0: rendered at the first ask).
REPORTS_ON_SIGNING = env_bool("REPORTS_ON_SIGNING", True)
# The 版记 of GB/T 9704: who prints the document (印发机关; blank: the issuer) and who gets a
# copy (抄送机关; blank: no 抄送 line).
REPORT_PRINTED_BY = os.environ.get("REPORT_PRINTED_BY", "").strip()
REPORT_COPY_TO = os.environ.get("REPORT_COPY_TO", "").strip()
if len(REPORT_PRINTED_BY) > 60 or len(REPORT_COPY_TO) > 200:
    raise ImproperlyConfigured("REPORT_PRINTED_BY must be ≤ 60 characters, REPORT_COPY_TO ≤ 200")

TASKS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Each task worker writes a heartbeat every TASK_WORKER_HEARTBEAT_SECONDS; a task whose
# worker has not beaten for TASK_WORKER_LEASE_SECONDS is taken as orphaned (the worker
# died) and run once more, or marked failed if it was orphaned twice. The health check
# reports a worker whose last beat is older than the lease.
TASK_WORKER_HEARTBEAT_SECONDS = env_int("TASK_WORKER_HEARTBEAT_SECONDS", 5, minimum=1)
TASK_WORKER_LEASE_SECONDS = env_int("TASK_WORKER_LEASE_SECONDS", 30, minimum=2)
if TASK_WORKER_LEASE_SECONDS <= TASK_WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "TASK_WORKER_LEASE_SECONDS must be longer than TASK_WORKER_HEARTBEAT_SECONDS."
    )

# Reminder emails go to the console unless an SMTP server is configured; the production
# profile requires one.
if SECURE and not os.environ.get("EMAIL_HOST"):
    raise ImproperlyConfigured(
        "DJANGO_SECURE=1 requires EMAIL_HOST (an SMTP server for reminder emails); see "
        "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS in docs/operations.md."
    )
if email_host := os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": email_host,
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "kaoping@localhost")

# Messengers: notices also pushed to a 企业微信 group robot and/or a 钉钉 custom robot (blank:
# not used), by the task worker, retried with back-off (MESSENGER_RETRY_SECONDS doubled at
# each attempt) until MESSENGER_MAX_ATTEMPTS; see docs/operations.md.
MESSENGER_WECOM_WEBHOOK = os.environ.get("MESSENGER_WECOM_WEBHOOK", "").strip()
MESSENGER_DINGTALK_WEBHOOK = os.environ.get("MESSENGER_DINGTALK_WEBHOOK", "").strip()
MESSENGER_DINGTALK_SECRET = os.environ.get("MESSENGER_DINGTALK_SECRET", "").strip()
for _name in ("MESSENGER_WECOM_WEBHOOK", "MESSENGER_DINGTALK_WEBHOOK"):
    if (_url := globals()[_name]) and (
        not _url.startswith(("https://", "http://")) or len(_url) > 500
    ):
        raise ImproperlyConfigured(f"{_name} must be an http(s) URL of at most 500 characters")
MESSENGER_FORMAT = os.environ.get("MESSENGER_FORMAT", "text").strip() or "text"
if MESSENGER_FORMAT not in {"text", "markdown"}:
    raise ImproperlyConfigured(
        f"MESSENGER_FORMAT must be text or markdown, got {MESSENGER_FORMAT!r}"
    )
# The notice kinds pushed (blank: every kind), e.g. "reminder,overdue,returned".
MESSENGER_KINDS = env_list("MESSENGER_KINDS", "")
# Links in the messages point here (blank: the message carries no link).
MESSENGER_SITE_URL = os.environ.get("MESSENGER_SITE_URL", "").strip().rstrip("/")
MESSENGER_TIMEOUT_SECONDS = env_int("MESSENGER_TIMEOUT_SECONDS", 10, minimum=1)
MESSENGER_MAX_ATTEMPTS = env_int("MESSENGER_MAX_ATTEMPTS", 6, minimum=1)
MESSENGER_RETRY_SECONDS: float = env_int("MESSENGER_RETRY_SECONDS", 30, minimum=1)

# Behind nginx terminating TLS (config/deploy/nginx-kaoping.conf): trust its
# X-Forwarded-Proto so that request.is_secure() and CSRF origin checks see https.
# Only set this when the app is reachable solely through that proxy.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy in every profile (so tests catch an inline script): scripts and
# style sheets only from our own static files; no inline <script>, no on*="" handlers.
# Style *attributes* stay allowed (templates and the SVG charts use them); Bootstrap's
# CSS draws some icons as data: images.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

if SECURE:
    # Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto: trust it
    # for "is this request HTTPS?", so the redirect below does not loop.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 60 * 60, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "branches.toolkit.logs.RefusalFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["refusals"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Lockout is by username as the product requires (offices share one NAT address, so
# locking by IP would lock out a whole enterprise).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
