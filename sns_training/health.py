"""Readiness (/readyz/) and the 503 page for outages of the database or Redis.

/healthz/ answers while the process lives; /readyz/ answers 200 only while the database and (when
REDIS_URL is set) Redis answer, so a load balancer stops sending people to a worker that cannot
serve them. An outage met while serving a page gives a Japanese 503 with Retry-After, not a 500.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

# Seconds a browser or proxy should wait before trying again.
RETRY_AFTER = 30


def outage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a backing service is down (not a bug): the database's operational and
    interface errors, and Redis connection errors and timeouts (django-redis raises the client's own)."""
    from django.db import InterfaceError, OperationalError

    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        pass
    else:
        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    return tuple(errors)


def _database_ok(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connections[alias].close_if_unusable_or_obsolete()
        return f"error: {type(exc).__name__}"
    return "ok"


def _redis_ok() -> str:
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except outage_errors() as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@never_cache
def readyz(request):
    """Readiness probe: SELECT 1 on the database, PING to Redis when REDIS_URL is set (its client's
    socket timeouts are 0.5 s, settings.base); 503 when either fails."""
    checks = {"database": _database_ok("default")}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ok()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"ready": ready, **checks}, status=200 if ready else 503)


def service_unavailable(request) -> HttpResponse:
    """The Japanese 503 page: rendered without the request's context processors (they would
    ask the database or Redis for the user again)."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request):
    """handler500: an outage of the database or Redis, wherever it surfaced (a view, a
    middleware, the session), answers 503 with Retry-After; anything else is the 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, outage_errors()):
        return service_unavailable(request)
    return HttpResponse(render_to_string("500.html"), status=500)
