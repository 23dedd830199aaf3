"""The production settings as an operator starts them: `check --deploy` clean, no mail silently
printed to a log, and cookies that stay on this site (docs/decisions/0017)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.sns_training.test_settings import CONFIGURED, REQUIRED


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "-W", "error", *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "sns_training.settings.production",
        # A secret as long and random as check --deploy (security.W009) wants.
        "DJANGO_SECRET_KEY": "q8Vx-3LrT0_ZkP9mWc2yNf7aHs4eJd1uBg6oXi5vQlRtYpE0nKw3MzCj8SbUhDa",
        "REDIS_URL": "redis://cache.example.jp:6379/0",
    }
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_check_deploy_reports_no_issue_under_the_documented_production_settings():
    result = _check_deploy(CONFIGURED)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_check_deploy_would_catch_a_weakened_setting():
    """The test above is not vacuous: turning HSTS off makes check --deploy fail."""
    result = _check_deploy({**CONFIGURED, "DJANGO_HSTS_SECONDS": "0"})

    assert result.returncode != 0
    assert "security.W004" in result.stderr


PROBE = (
    "import sns_training.settings.production as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
    "s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE, s.EMAIL_BACKEND, "
    "[str(n) for n in s.TRUSTED_PROXIES])"
)


def test_production_redirects_to_https_and_sends_hsts_for_subdomains():
    result = _run(["-c", PROBE], CONFIGURED)

    assert result.returncode == 0, result.stderr
    redirect, subdomains, preload, *_ = result.stdout.split()
    assert (redirect, subdomains, preload) == ("True", "True", "False")


def test_production_refuses_to_start_with_console_mail():
    result = _run(["-c", PROBE], REQUIRED)

    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_BACKEND is django.core.mail.backends.console.EmailBackend in production" in (
        result.stderr
    )
    assert "set DJANGO_EMAIL_HOST" in result.stderr
    assert "DJANGO_ALLOW_CONSOLE_EMAIL=1" in result.stderr


def test_production_prints_mail_to_the_log_only_when_asked_to():
    result = _run(["-c", PROBE], {**REQUIRED, "DJANGO_ALLOW_CONSOLE_EMAIL": "1"})

    assert result.returncode == 0, result.stderr
    assert "django.core.mail.backends.console.EmailBackend" in result.stdout


def test_production_sends_mail_by_smtp_when_a_mail_server_is_named():
    result = _run(["-c", PROBE], CONFIGURED)

    assert result.returncode == 0, result.stderr
    assert "django.core.mail.backends.smtp.EmailBackend" in result.stdout


@pytest.mark.parametrize(
    ("env", "proxies"),
    [
        ({}, "['127.0.0.1/32', '::1/128']"),
        ({"DJANGO_TRUSTED_PROXIES": "10.1.2.3, 192.0.2.0/24"}, "['10.1.2.3/32', '192.0.2.0/24']"),
    ],
)
def test_production_trusts_forwarded_addresses_from_the_local_proxy_or_the_named_ones(env, proxies):
    result = _run(["-c", PROBE], {**CONFIGURED, **env})

    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(proxies)


def test_a_mistyped_proxy_address_stops_the_start():
    result = _run(["-c", PROBE], {**CONFIGURED, "DJANGO_TRUSTED_PROXIES": "10.1.2.300"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_TRUSTED_PROXIES:" in result.stderr


def test_production_language_cookie_is_secure_http_only_and_same_site():
    result = _run(["-c", PROBE], CONFIGURED)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[3:6] == ["True", "True", "Lax"]


@pytest.mark.django_db
def test_choosing_english_sets_a_cookie_no_script_can_read_and_no_other_site_sends(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # as in production

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"
    header = response.headers["Set-Cookie"] if "Set-Cookie" in response.headers else cookie.output()
    assert "HttpOnly" in header and "Secure" in header and "SameSite=Lax" in header
