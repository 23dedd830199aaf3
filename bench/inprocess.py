"""In-process measurements against the bench database through Django's test Client: the SQL a
request makes (CaptureQueriesContext) and, with --profile, where its time goes."""

from __future__ import annotations

import cProfile
import io
import pstats
import time

from bench.loadgen import Target

HOST = "127.0.0.1"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}  # logged by Django, not run through execute


def _client(target: Target):
    from django.test import Client

    from people.models import User

    if target.pool is not None:
        # As a browser posts the form: CSRF checked (cookie, form token, Origin), no force_login.
        return Client(enforce_csrf_checks=True, HTTP_HOST=HOST, headers={"Origin": f"http://{HOST}"})
    client = Client(HTTP_HOST=HOST)
    if target.user_pk is not None:
        client.force_login(User.objects.get(pk=target.user_pk))
    return client


def _send(client, target: Target):
    if target.pool is not None:
        return _send_prepared(client, target)
    response = client.generic(target.method, target.path, data=target.body, content_type=target.content_type)
    if response.status_code != target.expected_status:
        raise RuntimeError(f"{target.name}: in-process request answered {response.status_code}")
    return response


def _send_prepared(client, target: Target):
    """The next prepared request (another person, session and attempt), with its own cookies."""
    from http.cookies import SimpleCookie

    prepared = target.pool.take(1)[0]
    client.cookies = SimpleCookie(prepared.cookie)
    response = client.generic(target.method, prepared.path, data=prepared.body, content_type=target.content_type)
    if response.status_code != target.expected_status or response.get("Location") != prepared.path:
        raise RuntimeError(
            f"{target.name}: in-process {prepared.path} answered {response.status_code} {response.get('Location')!r}"
        )
    return response


def queries(target: Target) -> list[str]:
    """SQL of one request after a first one has warmed caches (site root paths, session).

    Collected with CaptureQueriesContext and cross-checked with an execute wrapper, which the
    test client's reset_queries on request_started cannot clear. The statements are returned, and
    after them the BEGIN/COMMIT of each transaction, which only CaptureQueriesContext logs.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(target)
    _send(client, target)
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    connection.ensure_connection()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
        _send(client, target)
    logged = [q["sql"] for q in captured.captured_queries]
    transactions = [sql for sql in logged if sql in TRANSACTION_CONTROL]
    if len(logged) - len(transactions) != len(seen):
        raise RuntimeError(f"{target.name}: {len(logged)} captured queries but {len(seen)} executed")
    return seen + transactions


def mean_ms(target: Target, *, requests: int = 200) -> float:
    client = _client(target)
    _send(client, target)
    started = time.perf_counter()
    for _ in range(requests):
        _send(client, target)
    return (time.perf_counter() - started) * 1000 / requests


def profile(target: Target, *, requests: int = 200, limit: int = 30) -> str:
    client = _client(target)
    _send(client, target)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        _send(client, target)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()
