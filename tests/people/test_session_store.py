"""people.sessions (decision 0048): a save that only moves the idle-timeout stamp goes to the cache
and leaves the database row alone while the row is less than DB_REFRESH_SECONDS old; every other
save, a session read back from the database and an older row write it, so the row is never far
behind and a lost cache logs nobody out."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.urls import reverse

from people.sessions import DB_REFRESH_SECONDS, DB_SAVED_KEY, SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_settings(settings):
    settings.SESSION_ENGINE = "people.sessions"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions"}}
    caches["default"].clear()
    yield
    caches["default"].clear()


def _row(key: str) -> dict:
    return SessionStore().decode(Session.objects.get(session_key=key).session_data)


def _logged_in_store(stamp_age: int = 0) -> SessionStore:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store["_last_seen"] = int(time.time()) - 120
    store.save(must_create=True)
    if stamp_age:  # the row as written `stamp_age` seconds ago
        store[DB_SAVED_KEY] = int(time.time()) - stamp_age
        Session.objects.filter(session_key=store.session_key).update(session_data=store.encode(dict(store.items())))
        caches["default"].set(store.cache_key, dict(store.items()), 1800)
    return SessionStore(store.session_key)


def test_a_touch_of_the_idle_stamp_writes_only_the_cache(store_settings, django_assert_num_queries):
    store = _logged_in_store()
    before = _row(store.session_key)

    store["_last_seen"] = int(time.time())
    with django_assert_num_queries(0):
        store.save()

    assert _row(store.session_key) == before  # the row is untouched
    assert SessionStore(store.session_key)["_last_seen"] == store["_last_seen"]  # the cache has it


def test_any_other_change_writes_the_row(store_settings, django_assert_num_queries):
    store = _logged_in_store()
    store["_last_seen"] = int(time.time())
    store["quiz"] = [1, 2]

    store.save()

    row = _row(store.session_key)
    assert (row["quiz"], row["_last_seen"]) == ([1, 2], store["_last_seen"])


def test_a_change_inside_a_list_is_seen(store_settings):
    store = _logged_in_store()
    store["basket"] = ["a"]
    store.save()
    store = SessionStore(store.session_key)

    store["basket"].append("b")  # mutated in place, as code marking `modified` by hand does
    store["_last_seen"] = int(time.time())
    store.save()

    assert _row(store.session_key)["basket"] == ["a", "b"]


def test_a_row_older_than_the_refresh_interval_is_written_again(store_settings):
    store = _logged_in_store(stamp_age=DB_REFRESH_SECONDS + 5)
    store["_last_seen"] = now = int(time.time())

    store.save()

    row = _row(store.session_key)
    assert row["_last_seen"] == now and row[DB_SAVED_KEY] >= now


def test_a_session_read_from_the_database_writes_the_row_on_its_next_touch(store_settings):
    store = _logged_in_store()
    caches["default"].clear()  # Redis restarted or flushed
    store = SessionStore(store.session_key)
    store["_last_seen"] = now = int(time.time())

    store.save()

    assert _row(store.session_key)["_last_seen"] == now


def test_touches_within_the_interval_keep_a_person_logged_in_after_the_cache_is_lost(store_settings, client, employee):
    client.force_login(employee.user)
    key = client.cookies["sessionid"].value
    session = client.session
    session["_last_seen"] = int(time.time()) - 120
    session.save()  # stamps only: the cache
    assert client.get(reverse("courses:mypage")).status_code == 200  # refreshes the stamp, cache only

    caches["default"].clear()
    response = client.get(reverse("courses:mypage"))

    assert response.status_code == 200  # the row still holds the log-in
    assert Session.objects.filter(session_key=key).exists()
