"""Redis as an accelerator, not a single point of failure (decision 0035).

`ResilientRedisCache` is the default cache when REDIS_URL is set. A Redis that is down, hung or
unreachable costs one request of this process at most one socket timeout (0.5 s, settings.base);
then the process stops asking Redis for `BREAKER_SECONDS` and every cache call answers at once as
a miss (reads) or a no-op (writes). Sessions live in the database behind this cache (`people.sessions`),
so nobody is logged out; the log-in failure counters live in the database (`ratelimit_cache`,
wired into allauth in `SnsTrainingConfig.ready`), so no lock-out is reset or lost.

A write or delete that failed leaves Redis with an old value (a hung Redis keeps its data): the
process remembers those keys (up to `DIRTY_LIMIT`) and deletes them before it uses Redis again.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import ConnectionProxy, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_ERRORS = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)


def _cause(error: BaseException) -> BaseException:
    return error.__cause__ or error


# How long a process leaves Redis alone after a failure before trying it again.
BREAKER_SECONDS = 5.0
# Keys whose write failed, kept per process to be deleted when Redis answers again (bounded: past
# this many, the rest expire by their own timeouts).
DIRTY_LIMIT = 10_000


class _Breaker:
    """Per-process state of one Redis location, shared by the threads of the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.dirty: set = set()

    def is_open(self) -> bool:
        return time.monotonic() < self.down_until

    def trip(self, error: BaseException) -> None:
        with self.lock:
            was_closed = not self.is_open()
            self.down_until = time.monotonic() + BREAKER_SECONDS
        if was_closed:
            logger.warning("Redis unavailable (%s); cache bypassed for %.0f s", error, BREAKER_SECONDS)

    def remember(self, keys) -> None:
        with self.lock:
            for key in keys:
                if len(self.dirty) >= DIRTY_LIMIT:
                    break
                self.dirty.add(key)


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker_for(location: str) -> _Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, _Breaker())


def reset_breakers() -> None:
    """Forget every outage (tests)."""
    with _breakers_lock:
        _breakers.clear()


def _guarded(name: str, fallback, *, writes: bool = False, keys_of=None):
    def method(self, *args, **kwargs):
        breaker = self._breaker
        if breaker.is_open():
            if writes:
                breaker.remember(keys_of(args, kwargs))
            return fallback(args, kwargs)
        try:
            if breaker.dirty:
                self._delete_dirty()
            return getattr(self.client, name)(*args, **kwargs)
        except _ERRORS as error:
            breaker.trip(_cause(error))
            if writes:
                breaker.remember(keys_of(args, kwargs))
            return fallback(args, kwargs)

    method.__name__ = name
    return method


def _first_key(args, kwargs):
    return [kwargs["key"] if "key" in kwargs else args[0]]


def _default(args, kwargs):
    if "default" in kwargs:
        return kwargs["default"]
    return args[1] if len(args) > 1 else None


class ResilientRedisCache(RedisCache):
    """django-redis with a circuit breaker: see the module docstring."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {}), "IGNORE_EXCEPTIONS": False}}
        super().__init__(server, params)
        self._breaker = _breaker_for(str(server))

    def _delete_dirty(self) -> None:
        with self._breaker.lock:
            keys = list(self._breaker.dirty)
        self.client.delete_many(keys)
        with self._breaker.lock:
            self._breaker.dirty.difference_update(keys)

    def get(self, key, default=None, version=None, client=None):
        breaker = self._breaker
        if breaker.is_open():
            return default
        try:
            if breaker.dirty:
                self._delete_dirty()
            return self.client.get(key, default=default, version=version, client=client)
        except _ERRORS as error:
            breaker.trip(_cause(error))
            return default

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout=timeout, version=version)
        return value

    get_many = _guarded("get_many", lambda args, kwargs: {})
    has_key = _guarded("has_key", lambda args, kwargs: False)
    set = _guarded("set", lambda args, kwargs: False, writes=True, keys_of=_first_key)
    add = _guarded("add", lambda args, kwargs: False, writes=True, keys_of=_first_key)
    touch = _guarded("touch", lambda args, kwargs: False, writes=True, keys_of=_first_key)
    delete = _guarded("delete", lambda args, kwargs: False, writes=True, keys_of=_first_key)
    set_many = _guarded(
        "set_many",
        lambda args, kwargs: list((kwargs.get("data") or args[0]).keys()),
        writes=True,
        keys_of=lambda args, kwargs: list((kwargs.get("data") or args[0]).keys()),
    )
    delete_many = _guarded(
        "delete_many",
        lambda args, kwargs: None,
        writes=True,
        keys_of=lambda args, kwargs: list(kwargs.get("keys") or args[0]),
    )


def ratelimit_cache():
    """The cache allauth keeps its rate-limit counters in: the database-backed `ratelimit` cache
    when settings define one (with REDIS_URL), else the default cache."""
    from django.conf import settings

    return caches["ratelimit" if "ratelimit" in settings.CACHES else "default"]


class _RateLimitCacheProxy(ConnectionProxy):
    """What allauth's rate limiting sees as `cache`: resolved per call, so settings overridden in
    a test (or a cache reset) are followed."""

    def __init__(self) -> None:
        """Nothing to store: ConnectionProxy's own __init__ would set attributes, which
        __setattr__ below hands to the cache itself."""

    def __getattr__(self, item):
        return getattr(ratelimit_cache(), item)

    def __setattr__(self, name, value):
        return setattr(ratelimit_cache(), name, value)

    def __delattr__(self, name):
        return delattr(ratelimit_cache(), name)

    def __contains__(self, key):
        return key in ratelimit_cache()


def route_allauth_rate_limits() -> None:
    """Point allauth's rate limiting (log-in, failed log-ins, setup codes, resets) at
    `ratelimit_cache()`: its module reads a global `cache` (allauth.core.internal.ratelimit)."""
    from allauth.core.internal import ratelimit

    ratelimit.cache = _RateLimitCacheProxy()
