"""Settings a person would notice: production refuses to start half-configured, and the site
speaks Japanese on Japan time."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone, translation

REQUIRED = {
    "DJANGO_SECRET_KEY": "a-long-production-secret-key-for-the-test",
    "DJANGO_ALLOWED_HOSTS": "sns.example.jp",
    "DATABASE_URL": "postgres://sns@db.example.jp:5432/sns",
}
# Production also needs a mail server (or an explicit DJANGO_ALLOW_CONSOLE_EMAIL=1).
CONFIGURED = {**REQUIRED, "DJANGO_EMAIL_HOST": "mail.example.jp"}
PROBE = (
    "import sns_training.settings.production as s; "
    "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'])"
)


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_with_a_clean_environment():
    result = _import_production({})

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set in production." in result.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_names_the_missing_variable(missing):
    result = _import_production({k: v for k, v in REQUIRED.items() if k != missing})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set in production." in result.stderr


def test_production_starts_when_configured_and_is_locked_down():
    result = _import_production(CONFIGURED)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "['sns.example.jp']",
        "django.db.backends.postgresql",
    ]


def _session_engine(env: dict[str, str]) -> str:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    probe = "import sns_training.settings.production as s; print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sessions_live_in_the_database_with_redis_in_front_when_there_is_one():
    """Decision 0035 (replacing 0016's Redis-only sessions): a Redis restart logs nobody out."""
    assert _session_engine({**CONFIGURED, "REDIS_URL": "redis://cache.example.jp:6379/0"}) == (
        "people.sessions sns_training.cache.ResilientRedisCache"
    )
    assert _session_engine(CONFIGURED) == ("people.sessions django.core.cache.backends.locmem.LocMemCache")


def test_the_site_is_japanese_on_japan_time():
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ
    # 15:30 UTC on 31 March is already 1 April, the first day of the 年度, in Japan.
    moment = datetime.datetime(2025, 3, 31, 15, 30, tzinfo=datetime.UTC)
    assert timezone.localtime(moment).date() == datetime.date(2025, 4, 1)
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Password") == "パスワード"


def test_sessions_end_after_30_idle_minutes():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_IDLE_TIMEOUT
    assert "people.middleware.IdleSessionTimeoutMiddleware" in settings.MIDDLEWARE


def test_gunicorn_runs_one_sync_worker_more_than_the_cores(monkeypatch):
    """gunicorn.conf.py, read by `gunicorn sns_training.wsgi` from the project directory."""
    import multiprocessing
    import runpy

    config = settings.BASE_DIR / "gunicorn.conf.py"
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(config))["workers"] == multiprocessing.cpu_count() + 1
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert runpy.run_path(str(config))["workers"] == 5
