"""Settings shared by every environment; the environment is read here and in production."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "people",
    "identity",
    "courses",
    "quizzes",
    "reports",
    "training",
    # Disclosure, retention and erasure of personal data (decision 0040); nothing imports it.
    "privacy",
    "selfcheck",
    "sns_training",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    # The task table is installed everywhere (the worker tests run a real db_worker against the
    # test database); only production uses it as the backend (TASKS below, decision 0034).
    "django_tasks_db",
    "allauth",
    "allauth.account",
    # Single sign-on (identity/sso.py, docs/decisions/0024-sso.md).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    # Second factor and session tracking (identity/mfa.py, decision 0025).
    "allauth.mfa",
    "allauth.usersessions",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "sns_training.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sns_training.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "people.middleware.IdleSessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sns_training.middleware.RejectBadTextMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # SSO log-in forms may post on to the IdPs (CSP form-action); refused SAML replays are logged.
    "identity.middleware.SsoFormActionMiddleware",
    # Sessions listed in the database so a person or HR can end them (decision 0025).
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # Privileged users set up / pass a second factor before admin and HR pages (decision 0025).
    "identity.mfa.SecondFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Deny by default in the Wagtail admin (sns_training/admin_access.py).
    "sns_training.admin_access.AdminAccessMiddleware",
    # Access log (issue 12, identity/middleware.py): records refused admin/HR URLs; reads only the status.
    "identity.middleware.AccessRefusedMiddleware",
]

# Content-Security-Policy (sns_training.security, docs/decisions/0017): nothing from outside the
# site, and no inline script without this response's nonce. The Wagtail admin also needs inline
# style attributes (its templates and React components write them); the pages staff read do not.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce-{nonce}'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
CSP_ADMIN_PATH_PREFIX = "/admin/"
CONTENT_SECURITY_POLICY_ADMIN = {
    **CONTENT_SECURITY_POLICY,
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
}
# Browser features the site never uses are off for it and anything it frames.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
)

ROOT_URLCONF = "sns_training.urls"
WSGI_APPLICATION = "sns_training.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite by default so `make run` needs nothing; DATABASE_URL selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement a connection has run 5 times prepared:
    # PostgreSQL then plans the hot statements (the user, grading) once per connection, not on
    # every request (decision 0016). Needs direct connections, not a transaction-mode PgBouncer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
# A PostgreSQL streaming replica for the reports' reads (decision 0036, docs/scale-out.md): only
# report pages and downloads read from it (sns_training.db_router); without it nothing changes.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    # `manage.py test` would otherwise make a second test database (settings.test drops it anyway).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["sns_training.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default; REDIS_URL makes rate limits and sessions hold across workers.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The table of the `ratelimit` cache (created by sns_training's migration 0002).
RATELIMIT_CACHE_TABLE = "sns_ratelimit_cache"


def redis_caches(url: str) -> dict:
    """The caches with Redis at `url` (tests/sns_training/test_redis_outage.py uses them too)."""
    return {
        "default": {
            # django-redis keeps one client per process; Django's own backend builds one per call.
            # Redis is an accelerator, not a single point of failure (decision 0035): a hung or
            # unreachable Redis costs a process one 0.5 s timeout, then it is bypassed for 5 s.
            "BACKEND": "sns_training.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sns",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
        # allauth's rate-limit counters (failed log-ins, lock-outs, setup codes) in the database:
        # a Redis restart or outage resets no lock-out (sns_training.cache.ratelimit_cache).
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": RATELIMIT_CACHE_TABLE,
        },
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sns-training",
        }
    }

# The published page tree is cached for the reading path (courses.tree_cache). Only where every
# process shares the cache can one editor's publish reach them all at once.
COURSES_TREE_CACHE = True

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = ["people.backends.StaffAuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle sessions end after 30 minutes (people.middleware.IdleSessionTimeoutMiddleware). They live in
# the database with the cache (Redis when REDIS_URL) in front: a Redis restart or outage logs
# nobody out (decision 0035, which replaces the Redis-only sessions of decision 0016). Expired
# rows: `manage.py clearsessions` from cron.
SESSION_ENGINE = "people.sessions"
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
# The language choice (Django's set_language view) is a cookie like the others: no script reads
# it, it goes only to this site (Secure in production), and not on cross-site POSTs.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "courses:mypage"

# django-allauth: e-mail, or municipality + 職員番号 (people.forms.StaffLoginForm).
ACCOUNT_ADAPTER = "people.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "people.adapters.user_display"
ACCOUNT_FORMS = {
    "login": "people.forms.StaffLoginForm",
    # roles branch (decision 0027): reset mail only to a verified address from the roster or the IdP.
    "reset_password": "identity.account.RosterResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# A signed-in person without admin access whom Wagtail sends to the log-in page sees it (with
# Wagtail's "no permission" message) instead of being bounced back to the admin in a loop.
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# No mail to addresses the platform does not know (no spam relay, nothing to learn from it).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
# The proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated): the
# log-in limits key on the client address read through them (people.adapters.client_ip). A
# request from any other peer is keyed on that peer, whatever X-Forwarded-For it claims.
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(p.strip(), strict=False)
        for p in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",")
        if p.strip()
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {error}") from error
ACCOUNT_RATE_LIMITS = {
    # The 6th failure for one account within 5 minutes is refused. The per-IP part is
    # generous: a whole city hall shares one proxy address (docs/decisions/0004).
    "login_failed": "100/m/ip,5/5m/key",
    "login": "300/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- Single sign-on (branch sso; identity/sso.py, docs/identity/sso.md, decision 0024) ----------
# Providers come from identity.SsoProvider rows (one allauth app per row, built by the adapter),
# never from SocialApp rows or these settings. A social log-in only ever finds an existing,
# active staff member of the provider's municipality; nobody is created.
SOCIALACCOUNT_ADAPTER = "identity.sso.SsoSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
# The provider's log-in URL starts the flow on POST only (CSRF-protected buttons).
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("DJANGO_SSO_TIMEOUT", "10"))
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}

# --- identity: first-access letters (identity/setup_codes.py, docs/decisions/0026-letters.md) ---
# Wrong setup codes are limited like failed log-ins: the 6th failure for one 自治体 + 職員番号 within
# five minutes is refused, and a generous 100 a minute per address (a city hall shares one proxy).
ACCOUNT_RATE_LIMITS["setup_code_failed"] = "100/m/ip,5/5m/key"
# The public 修了証の確認 (reports/views/public.py): unknown codes one address may try in 10 minutes,
# so that 12-hex-digit codes cannot be guessed; a city hall's proxy still has room for typos.
REPORTS_VERIFY_FAILED_LIMIT = 30
# --- Second factor and sessions (allauth.mfa, allauth.usersessions; identity/mfa.py, decision 0025) ---
MFA_ADAPTER = "identity.mfa.MFAAdapter"
MFA_FORMS = {"add_webauthn": "identity.mfa_forms.AddWebAuthnForm"}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Passkeys are a second factor, not a way round the municipality's log-in methods (LoginPolicy).
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
# Addresses come from the roster and nobody signs up, so an unverified roster address is no reason
# to refuse enrolment (allauth's check protects open sign-up sites).
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = os.environ.get("DJANGO_MFA_TOTP_ISSUER", "")
# Browsers only allow WebAuthn over https (or http://localhost); set this for a plain-http test host.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = os.environ.get("DJANGO_MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "") == "1"
# Privileged users need a passed second factor for these paths (identity.mfa.SecondFactorMiddleware).
MFA_REQUIRED_PATH_PREFIXES = ["/admin/", "/staff/", "/reports/", "/department/"]
USERSESSIONS_TRACK_ACTIVITY = False

# Wagtail
WAGTAIL_SITE_NAME = "SNSガイドライン研修"
WAGTAILADMIN_BASE_URL = os.environ.get("DJANGO_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
# Password resets go through allauth only (its rate limits, its Japanese mail).
WAGTAIL_PASSWORD_RESET_ENABLED = False
# roles branch (decision 0027): e-mail is HR's (the roster), not the user's; the name panel is
# removed by identity.account.StaffAccountView.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Nothing is fetched from outside at run time (closed networks): Wagtail's default avatar, not Gravatar.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_PERMITTED_LANGUAGES = [("ja", "日本語"), ("en", "English")]
# No avatar from gravatar.com: nothing leaves the site (closed networks; who edits is nobody else's business).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
# The project's catalog first, then locale_admin: Japanese for the Wagtail admin strings whose ja
# catalog upstream leaves untranslated (docs/decisions/0020). Both win over the apps' catalogs.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_admin"]
TIME_ZONE = "Asia/Tokyo"
# The one date style (sns_training/dates.py, decision 0046) as Django's `ja` formats.
FORMAT_MODULE_PATH = ["sns_training.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
# Files with personal data (certificate ZIPs, reports.models.private_storage): never under MEDIA_ROOT,
# never served by URL; only scoped views stream them.
PRIVATE_ROOT = BASE_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_ROOT}},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "sns-training@example.jp")

# PDF certificates (reports/certificates.py) embed this font; Debian's fonts-noto-cjk installs it.
REPORTS_CERTIFICATE_FONT = os.environ.get(
    "DJANGO_CERTIFICATE_FONT", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
)

# Where the seed guidelines are read from (../shared/seeds beside the checkout).
SEEDS_DIR = Path(os.environ.get("SNS_SEEDS_DIR", BASE_DIR.parent / "shared" / "seeds"))

# Access log (issue 12, identity/): how long entries without a municipality (failed log-ins with
# an unknown name, platform admins' events) are kept before `manage.py purge_access_events`
# deletes them. Each municipality's own entries follow its LoginPolicy.access_log_retention_days.
IDENTITY_ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("DJANGO_ACCESS_LOG_RETENTION_DAYS", 3 * 365))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Directory log-in and the log-in page by municipality (issue 12, docs/decisions/0023) -------
# The directory backend only authenticates (directory account -> the roster's user); users are
# loaded per request by the staff backend, which stays first. The log-in form adds the method
# (password / directory) and writes every attempt to the access log.
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "identity.directory.MunicipalityDirectoryBackend"]
ACCOUNT_FORMS = {**ACCOUNT_FORMS, "login": "identity.forms.MunicipalityLoginForm"}

# --- Background worker (manage.py run_worker, docs/decisions/0034-worker-resilience.md) ---------
# A running task renews its lease every WORKER_HEARTBEAT_SECONDS; a lease not renewed for
# WORKER_LEASE_SECONDS means its worker died: the task is run again, at most WORKER_MAX_ATTEMPTS
# times in all, then marked failed. Database errors are retried with back-off up to this cap.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("DJANGO_WORKER_HEARTBEAT_SECONDS", "5"))
WORKER_LEASE_SECONDS = float(os.environ.get("DJANGO_WORKER_LEASE_SECONDS", "30"))
WORKER_MAX_ATTEMPTS = int(os.environ.get("DJANGO_WORKER_MAX_ATTEMPTS", "3"))
WORKER_BACKOFF_MAX_SECONDS = float(os.environ.get("DJANGO_WORKER_BACKOFF_MAX_SECONDS", "30"))
# A claimed reminder not sent and not renewed for this long was left by a run that died: the next
# run sends it (training/reminders.py).
REMINDER_CLAIM_STALE_SECONDS = int(os.environ.get("DJANGO_REMINDER_CLAIM_STALE_SECONDS", "120"))
