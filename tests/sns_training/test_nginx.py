"""Slow clients cannot take the site down (decision 0035): Debian's nginx with the shipped
deploy/nginx/sns-training.conf in front of gunicorn (production settings, sync workers), both on
free ports, and a bounded slow-client drill (bench/slowclients.py) while another user keeps asking."""

from __future__ import annotations

import re
import shutil

import pytest
from django.conf import settings

from bench import slowclients

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None and not slowclients.Path(slowclients.NGINX).exists(),
    reason="needs nginx (scripts/system-deps.sh test)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("front")
    gunicorn_port = slowclients.free_port()
    gunicorn = nginx = None
    try:
        gunicorn = slowclients.start_gunicorn(workdir, gunicorn_port)
        nginx, front = slowclients.start_nginx(workdir / "nginx", gunicorn_port)
        yield gunicorn_port, front
    finally:
        slowclients.stop(nginx)
        slowclients.stop(gunicorn)


def test_fifty_slow_clients_through_nginx_leave_other_users_answered_within_a_second(site):
    _gunicorn_port, front = site
    result = slowclients.drill(label="nginx", port=front.https_port, tls=True, slow=50, seconds=6)
    print(result.line())

    assert result.slow_opened == 50  # nginx accepted every slow connection and held them
    assert result.errors == 0
    assert result.answered >= 18  # one answer every 0.1 s asked for, on a shared 2-core machine
    assert result.percentile(95) < 1.0, result.line()


def test_the_same_drill_without_nginx_silences_gunicorn(site):
    """What the front end is for: six slow connections hold gunicorn's three sync workers."""
    gunicorn_port, _front = site
    result = slowclients.drill(label="gunicorn", port=gunicorn_port, tls=False, slow=6, seconds=4, probe_timeout=2)
    print(result.line())

    assert result.errors > 0 and result.answered <= 1
    slowclients.wait_for_answer(gunicorn_port, tls=False, timeout=60)  # and it recovers


def test_https_headers_static_files_and_redirects(site):
    _gunicorn_port, front = site

    status, headers, body = slowclients.fetch(front.https_port, "/healthz/", tls=True)
    assert (status, body) == (200, b"ok")
    # Django saw HTTPS (X-Forwarded-Proto set by nginx), so it sent its own HSTS (decision 0017).
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Server" not in headers or "nginx/" not in headers["Server"]

    status, headers, body = slowclients.fetch(front.https_port, "/static/css/drill.css", tls=True)
    assert status == 200 and body == b"body { color: #111; }\n"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in headers["Cache-Control"]

    # Documents and anything else under /media/ only through Django's permission-checked views.
    assert slowclients.fetch(front.https_port, "/media/documents/a.pdf", tls=True)[0] == 404

    status, headers, _body = slowclients.fetch(front.http_port, "/mypage/?a=1", tls=False)
    assert status == 301 and headers["Location"] == "https://sns.example.jp/mypage/?a=1"
    assert slowclients.fetch(front.http_port, "/healthz/", tls=False)[0] == 200  # the load balancer's probe


def test_a_body_over_the_upload_limit_is_refused_before_gunicorn(site):
    _gunicorn_port, front = site
    status, _headers, _body = slowclients.fetch(
        front.https_port,
        "/admin/",
        tls=True,
        method="POST",
        headers={"Content-Length": str(12 * 1024 * 1024), "Content-Type": "application/octet-stream"},
    )
    assert status == 413


def test_the_body_limit_matches_the_upload_limits_in_settings():
    text = slowclients.SHIPPED_CONF.read_text()
    (megabytes,) = re.findall(r"^client_max_body_size (\d+)m;", text, re.M)
    from people.roster.reading import max_bytes

    largest = max(max_bytes(), getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
    limit = int(megabytes) * 1024 * 1024
    # Room for the largest upload and its multipart envelope, and not much more.
    assert largest < limit <= largest + 1024 * 1024
