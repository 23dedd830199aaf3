"""Production settings for the benchmark: plain http on 127.0.0.1 against the sns_bench database.

The environment is pointed at the bench database and Redis db (BENCH_DATABASE_URL and
BENCH_REDIS_URL override them, never a developer's DATABASE_URL), so production's own checks pass;
only what plain http and the benchmark's static root need is changed here.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-insecure-key")
os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sns_bench")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
# No mail server on a benchmark machine: reminders are printed, as asked for explicitly.
os.environ.setdefault("DJANGO_ALLOW_CONSOLE_EMAIL", "1")

from sns_training.settings.production import *  # noqa: E402, F401, F403
from sns_training.settings.production import BASE_DIR  # noqa: E402

# Production marks the cookies Secure; the benchmark logs in over plain http.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_SSL_REDIRECT = False
# collectstatic output for the manifest storage, kept beside the other bench output.
STATIC_ROOT = BASE_DIR / "bench" / "results" / "static"

# BENCH_SESSIONS=redis-only measures the set-up before decision 0035 (sessions in Redis only, no
# circuit breaker) against today's (database sessions behind the resilient Redis cache).
if os.environ.get("BENCH_SESSIONS") == "redis-only":
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"  # noqa: F405
