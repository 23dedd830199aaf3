"""Sessions in the database behind the Redis cache, written to the database only when it matters
(settings.SESSION_ENGINE; decisions 0035 and 0048).

Django's `cached_db` writes the database row on every save. Here most saves are the idle-timeout
stamp alone (`IdleSessionTimeoutMiddleware` refreshes `_last_seen` at most once a minute), and on a
quiz submit that write was one more transaction and commit per request. A save that changes nothing
but those stamps goes to the cache only, as long as the row was written less than
`DB_REFRESH_SECONDS` ago; every other save, a session read from the database (a cache miss: Redis
restarted, flushed or down) and a stamp older than that writes the row as `cached_db` does.

So the row is never more than `DB_REFRESH_SECONDS` behind the cache: when Redis loses the session,
the person stays logged in and only the idle clock may run that much early.
"""

from __future__ import annotations

import json
import time

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from people.middleware import LAST_SEEN_KEY

# Same cache keys as cached_db, so switching engines keeps everyone's session.
KEY_PREFIX = CachedDBStore.cache_key_prefix
DB_SAVED_KEY = "_db_saved"
# Keys whose change alone does not need the database row (the stamps).
STAMP_KEYS = frozenset({LAST_SEEN_KEY, DB_SAVED_KEY})
# At most this far behind the cache; well inside SESSION_IDLE_TIMEOUT (30 min), so a row read back
# after a cache loss is still unexpired for anybody who was active in the last 20 minutes.
DB_REFRESH_SECONDS = 10 * 60


def _fingerprint(data: dict) -> str:
    """What the session holds apart from the stamps, compared as serialized (sessions are JSON)."""
    return json.dumps({k: v for k, v in data.items() if k not in STAMP_KEYS}, sort_keys=True, default=str)


class SessionStore(CachedDBStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._loaded_fingerprint: str | None = None  # set when loaded from the cache

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 — as cached_db: an unusable key is a miss
            data = None
        if data is None:
            data = super().load()  # the database row (cached_db puts it back into the cache)
            self._loaded_fingerprint = None  # the row may be behind: the next save writes it
        else:
            self._loaded_fingerprint = _fingerprint(data)
        return data

    def _stamps_only(self) -> bool:
        if self._loaded_fingerprint is None or self._session_key is None:
            return False
        saved = self._session.get(DB_SAVED_KEY)
        if not isinstance(saved, int) or time.time() - saved >= DB_REFRESH_SECONDS:
            return False
        return _fingerprint(self._session) == self._loaded_fingerprint

    def _cache_only(self) -> bool:
        """Put a stamps-only change into the cache; False when the row must be written instead."""
        if not self._stamps_only():
            return False
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:  # noqa: BLE001 — a cache that cannot take it: the row must
            return False
        return True

    def save(self, must_create=False):
        if not must_create and self._cache_only():
            return
        self._session[DB_SAVED_KEY] = int(time.time())
        super().save(must_create)
        self._loaded_fingerprint = _fingerprint(self._session)
