"""Production: gunicorn + WhiteNoise behind a proxy, PostgreSQL and Redis; refuses to start unconfigured."""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403

for _name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production.")

DEBUG = False
# Without Redis each worker has its own cache: a published change would not reach the others.
COURSES_TREE_CACHE = bool(REDIS_URL)  # noqa: F405
# TLS ends at the proxy, which must set X-Forwarded-Proto itself (overwriting what a client sent);
# plain HTTP is redirected to HTTPS here too, except the load balancer's health check.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
# The site lives on a host of its own (sns.city.example.lg.jp): its subdomains are HTTPS too.
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
# Preloading is decided for a whole registrable domain (the city's), not by one application on a
# subdomain of it, and is hard to undo: off unless the city asks (docs/decisions/0017).
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_HSTS_PRELOAD", "") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if not SECURE_SSL_REDIRECT:
    # Only where the proxy redirects plain HTTP itself (README, Production).
    SILENCED_SYSTEM_CHECKS.append("security.W008")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Certificate ZIPs (personal data): a directory outside MEDIA_ROOT that no web server serves.
PRIVATE_ROOT = os.environ.get("DJANGO_PRIVATE_ROOT", str(PRIVATE_ROOT))  # noqa: F405
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_ROOT}},
}
if os.environ.get("DJANGO_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["DJANGO_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("DJANGO_EMAIL_USE_TLS", "1") == "1"
elif os.environ.get("DJANGO_ALLOW_CONSOLE_EMAIL") != "1":
    # Reminders and password resets printed to a log reach nobody (and leak reset links there).
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND is {EMAIL_BACKEND} in production, which delivers no mail: set DJANGO_EMAIL_HOST "  # noqa: F405
        "(and DJANGO_EMAIL_PORT, DJANGO_EMAIL_HOST_USER, DJANGO_EMAIL_HOST_PASSWORD), "
        "or DJANGO_ALLOW_CONSOLE_EMAIL=1 to print mail to the log on purpose."
    )
# Background tasks (training reminders) are stored in the database and run by
# `manage.py run_worker` (db_worker with leases and retries on database errors, decision 0034);
# django-tasks 0.12 ships this backend as the django-tasks-db package (installed in base).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# X-Forwarded-For is believed only from these peers (log-in limits, people.adapters.client_ip);
# by default a proxy on the same machine. Not allauth's ALLAUTH_TRUSTED_PROXY_COUNT, which
# believes the header whoever sends it.
if not os.environ.get("DJANGO_TRUSTED_PROXIES"):
    TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
LOGGING["root"]["level"] = "INFO"  # noqa: F405
