"""Sessions as production keeps them when REDIS_URL is set (decision 0035: in the database, with
Redis in front): log-in, the idle timeout's refresh, the quiz submit and log-out against a real
Redis server. tests/sns_training/test_redis_outage.py restarts and hangs one."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse

from quizzes import services
from quizzes.models import QuizAttempt
from tests.factories import PASSWORD, ChapterPageFactory, GuidelinePageFactory, QuestionFactory
from tests.quizzes.conftest import form_data, submission

pytestmark = pytest.mark.django_db

# A database of its own on the machine's Redis, emptied by each test.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def redis_sessions(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # .ci/run starts Redis: in CI this test must run
        pytest.skip(f"no Redis at {REDIS_URL}")
    from sns_training.settings.base import redis_caches

    settings.CACHES = redis_caches(REDIS_URL)  # production's shape (decision 0035)
    settings.CACHES["default"]["KEY_PREFIX"] = "sns-test"
    settings.SESSION_ENGINE = "people.sessions"
    cache = caches["default"]
    cache.clear()
    yield cache.client.get_client()
    cache.clear()


def _session_keys(client) -> list[bytes]:
    return client.keys("*django.contrib.sessions.cache*")


def test_a_log_in_lives_in_redis_and_expires_there(client, redis_sessions, employee):
    response = client.post(reverse("account_login"), {"login": employee.user.email, "password": PASSWORD}, follow=False)

    assert response.status_code == 302
    (key,) = _session_keys(redis_sessions)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value in key.decode()
    assert 0 < redis_sessions.ttl(key) <= settings.SESSION_COOKIE_AGE
    assert client.get(reverse("courses:mypage")).status_code == 200


def test_the_idle_timeout_refreshes_and_ends_a_redis_session(client, redis_sessions, employee):
    client.force_login(employee.user)
    session = client.session
    session["_last_seen"] = int(time.time()) - 29 * 60
    session.save()

    assert client.get(reverse("courses:mypage")).status_code == 200
    assert client.session["_last_seen"] >= int(time.time()) - 5

    session = client.session
    session["_last_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 1
    session.save()
    response = client.get(reverse("courses:mypage"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_quiz_submit_and_log_out_with_the_session_in_redis(client, redis_sessions, employee, ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-test")
    chapter = ChapterPageFactory(parent=guideline, key="3", clause_count=3)
    for key in chapter.clause_keys():
        QuestionFactory(guideline=guideline, clause_key=key)
    client.force_login(employee.user)
    attempt = services.attempt_start(staff=employee, chapter=chapter)

    response = client.post(
        reverse("quizzes:attempt", args=[attempt.pk]), form_data(submission(attempt, right_keys={"3-1"}))
    )

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.state == QuizAttempt.State.GRADED
    assert len(_session_keys(redis_sessions)) == 1

    client.post(reverse("account_logout"))

    assert _session_keys(redis_sessions) == []
    assert client.get(reverse("courses:mypage")).status_code == 302
