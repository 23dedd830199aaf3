"""Test settings: fast hashing, local-memory cache, outbox e-mail; DATABASE_URL picks PostgreSQL."""

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
# As without Redis, whatever the environment says (tests/people/test_sessions_redis.py covers Redis).
SESSION_ENGINE = "people.sessions"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# No collectstatic before tests: WhiteNoise finds files through the finders instead of
# warning (an error under filterwarnings) that STATIC_ROOT does not exist.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The replica is a real second server only in tests/reports/test_replica.py, which installs it
# itself; DATABASE_REPLICA_URL in a developer's environment does not reach the suite.
DATABASES.pop("replica", None)  # noqa: F405
DATABASE_ROUTERS = []
