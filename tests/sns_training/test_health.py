"""Honest health (issue 13): /healthz/ says the process lives, /readyz/ says the database and Redis
answer, and an outage of either gives people a Japanese 503 page with Retry-After, not a 500.
Outages are real: a port where nothing listens, a socket that accepts and never answers."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import connection
from django.test import Client

REDIS_URL = "redis://127.0.0.1:6379/13"


def _free_port() -> int:
    """A local port where nothing listens (bound for a moment by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_redis(settings, url: str) -> None:
    from sns_training.settings.base import CACHES  # noqa: F401 - the shape production uses

    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sns-health-test",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"


@pytest.fixture
def visitor():
    """A client that gets the page a person would get, not the exception."""
    return Client(raise_request_exception=False)


@pytest.fixture
def hung_redis():
    """A listening socket that accepts connections (the kernel's backlog) and never replies."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def _log_in(visitor):
    """A log-in: its failed-attempt limits and the new session both live in Redis."""
    return visitor.post("/accounts/login/", {"login": "000123", "password": "wrong-password-1"})


def _assert_japanese_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "ただいま利用できません" in response.content.decode()


@pytest.mark.django_db
def test_liveness_and_readiness_answer_when_all_is_up(client, settings):
    settings.REDIS_URL = ""
    assert client.get("/healthz/").content == b"ok"
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok"}


@pytest.mark.django_db
def test_readiness_pings_redis_when_it_is_configured(client, settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    _use_redis(settings, REDIS_URL)
    response = client.get("/readyz/")
    assert (response.status_code, response.json()) == (200, {"ready": True, "database": "ok", "redis": "ok"})


@pytest.mark.django_db
def test_readiness_fails_when_nothing_listens_on_the_redis_port(client, settings):
    _use_redis(settings, f"redis://127.0.0.1:{_free_port()}/0")
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "ok", "redis": "error: ConnectionError"}
    # Liveness stays up: the process itself is fine.
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_a_page_during_a_redis_outage_is_a_japanese_503(visitor, settings):
    _use_redis(settings, f"redis://127.0.0.1:{_free_port()}/0")
    _assert_japanese_503(_log_in(visitor))


@pytest.mark.django_db
def test_a_hung_redis_fails_readiness_and_pages_within_a_second(visitor, settings, hung_redis):
    _use_redis(settings, hung_redis)
    started = time.monotonic()
    response = visitor.get("/readyz/")
    readiness_took = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["redis"] == "error: TimeoutError"

    started = time.monotonic()
    page = _log_in(visitor)
    page_took = time.monotonic() - started
    _assert_japanese_503(page)
    assert readiness_took < 1.0, readiness_took
    assert page_took < 1.0, page_took


@pytest.fixture
def database_down(settings):
    """The default database's server gone: its connection closed, the address a dead port."""
    if connection.vendor != "postgresql":
        pytest.skip("moves the PostgreSQL connection to a dead port; run with DATABASE_URL=postgres://...")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
    connection.settings_dict.setdefault("OPTIONS", {})
    connection.settings_dict["OPTIONS"] = {**saved.get("OPTIONS", {}), "connect_timeout": 2}
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_fails_readiness_and_gives_a_japanese_503(visitor, settings, database_down):
    settings.REDIS_URL = ""
    response = visitor.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "error: OperationalError"}
    assert visitor.get("/healthz/").status_code == 200
    _assert_japanese_503(visitor.get("/"))


@pytest.fixture
def own_cluster():
    """A PostgreSQL cluster of the test's own (bench/pgcluster.py), which it may stop and start;
    the default connection points at it for the test's duration."""
    from bench import pgcluster

    if connection.vendor != "postgresql" or not pgcluster.available():
        pytest.skip("needs PostgreSQL (DATABASE_URL) and /usr/lib/postgresql/15/bin as root or postgres")
    with pgcluster.primary_only() as cluster:
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port), NAME="postgres", USER="postgres")
        connection.settings_dict["OPTIONS"] = {**saved.get("OPTIONS", {}), "connect_timeout": 2}
        try:
            yield cluster
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_stopped_and_restarted_database_server_is_reported_at_once_and_recovered_from(visitor, settings, own_cluster):
    """The server really stops (pg_ctl stop -m fast under an open, persistent connection): /readyz/
    says 503 within a second and pages are the Japanese 503; once it is started again the same
    worker answers 200 without a restart, within a few seconds."""
    settings.REDIS_URL = ""
    assert visitor.get("/readyz/").status_code == 200  # the persistent connection is open
    own_cluster.stop("fast")

    started = time.monotonic()
    response = visitor.get("/readyz/")
    took = time.monotonic() - started
    assert (response.status_code, response.json()["database"]) == (503, "error: OperationalError")
    assert took < 1.0, took
    _assert_japanese_503(visitor.get("/"))

    own_cluster.start()
    back = time.monotonic()
    while visitor.get("/readyz/").status_code != 200:
        assert time.monotonic() - back < 5.0, "not ready 5 s after the database came back"
        time.sleep(0.05)
