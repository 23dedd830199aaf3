"""Quiz submission for `make bench`: the real questions in sns_bench, and for each run a pool of
芦屋市 staff, each logged in (a session in the site's own engine, people.sessions), with a CSRF cookie and
one open attempt on the same chapter, and the POST that submits it with the correct answers.

An attempt is graded once, so every run starts from no attempts and builds the pool afresh;
the DB checks afterwards count the attempts each run graded."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

MUNICIPALITY = "芦屋市"
# The questions' random draw and choice order as attempt_start makes them, but seeded, so every
# run submits the same questions.
SEED = 2026
LAST_SEEN_AGO = 300  # the person opened the quiz 5 minutes ago: the submit refreshes _last_seen
BACKEND = "people.backends.StaffAuthenticationBackend"
BATCH = 2_000


@dataclass(frozen=True)
class Submit:
    """One prepared submit: a different person, session and open attempt for every request."""

    attempt_id: int
    user_pk: int
    path: str  # /quiz/attempt/<pk>/, also the Location every answer must carry
    cookie: str  # csrftoken=<secret>; sessionid=<key>
    body: bytes  # csrfmiddlewaretoken, then items=<pk> and item-<pk>=<choice> per question


class SubmitPool:
    """The prepared submits of one run. Each is handed out once; what a wrk run did not send comes
    back (give_back) and is still an open attempt, so later runs use it."""

    def __init__(self, submits: list[Submit], chapter_label: str):
        self.submits = submits
        self.chapter_label = chapter_label
        self._free = list(reversed(submits))
        self.handed_out = 0
        self.reserved = 0  # kept back from wrk runs for what comes after them (burst, in-process)

    def __len__(self) -> int:
        return len(self._free)

    def spare(self) -> int:
        return max(0, len(self._free) - self.reserved)

    def take(self, count: int) -> list[Submit]:
        if count > len(self._free):
            raise RuntimeError(
                f"the quiz pool has {len(self._free)} open attempts left, {count} needed: "
                "pass a larger --quiz-users (or fewer rounds)"
            )
        taken = [self._free.pop() for _ in range(count)]
        self.handed_out += count
        return taken

    def give_back(self, submits: list[Submit]) -> None:
        self._free.extend(reversed(submits))
        self.handed_out -= len(submits)


def questions_ensure(*, log=print) -> None:
    """The real questions (fixtures/questions/*.json) through the site's import service, once."""
    import json

    from django.conf import settings

    from quizzes.importing import questions_import_files
    from quizzes.models import ScenarioQuestion

    paths = sorted((Path(settings.BASE_DIR) / "fixtures" / "questions").glob("*.json"))
    ids = [q["id"] for path in paths for q in json.loads(path.read_text(encoding="utf-8"))["questions"]]
    present = ScenarioQuestion.objects.filter(external_id__in=ids, live=True).count()
    if present == len(ids):
        log(f"questions: present ({present})")
        return
    logging.disable(logging.INFO)  # production logs every publish at INFO
    try:
        created, unchanged = questions_import_files(paths=paths)
    finally:
        logging.disable(logging.NOTSET)
    log(f"questions: imported {created} ({unchanged} present)")


def quiz_chapter():
    """The 芦屋市 chapter whose quiz has the most questions (one per quizzed clause)."""
    from courses.models import ChapterPage, GuidelinePage
    from quizzes.models import ScenarioQuestion

    guideline = GuidelinePage.objects.live().get(municipality__name=MUNICIPALITY)
    chapters = list(ChapterPage.objects.child_of(guideline).live().order_by("path"))

    def quizzed(chapter) -> int:
        keys = chapter.clause_keys()
        return len(
            set(ScenarioQuestion.objects.live().for_clauses(guideline, keys).values_list("clause_key", flat=True))
        )

    return max(chapters, key=quizzed)


def reset() -> None:
    """No attempts, clause progress, grading log entries or sessions from earlier runs: every run
    grades into tables of the same size. Only ever sns_bench (data.database_ensure checks the name)."""
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.db import connection
    from django.utils.module_loading import import_string
    from wagtail.models import ModelLogEntry

    from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt

    if "bench" not in settings.DATABASES["default"]["NAME"]:
        raise RuntimeError("quiz reset refuses a database whose name lacks 'bench'")
    tables = [m._meta.db_table for m in (AttemptItem, QuizAttempt, ClauseProgress, Session)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    ModelLogEntry.objects.filter(action="quizzes.attempt_graded").delete()
    cache = caches[settings.SESSION_CACHE_ALIAS]
    if hasattr(cache, "delete_pattern"):  # django-redis, on the bench's own Redis db
        cache.delete_pattern(import_string(settings.SESSION_ENGINE + ".KEY_PREFIX") + "*")


def pool_create(*, users: int, exclude_user_pk: int | None = None) -> tuple[SubmitPool, dict[str, float]]:
    """`users` distinct active 芦屋市 employees, each with a session, a CSRF secret and one open
    attempt on quiz_chapter(), and the submit of its correct answers. Timings per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    reset()
    timings["quiz reset"] = time.perf_counter() - started

    chapter = quiz_chapter()
    staff = list(_pool_staff(chapter, exclude_user_pk).select_related("user").order_by("staff_number")[:users])
    if len(staff) < users:
        raise RuntimeError(f"only {len(staff)} active {MUNICIPALITY} employees for a quiz pool of {users}")

    started = time.perf_counter()
    cookies = _sessions_create([member.user for member in staff])
    timings["quiz sessions"] = time.perf_counter() - started

    started = time.perf_counter()
    attempts = _attempts_create(staff, chapter)
    _attempts_check(staff, chapter, attempts, exclude_user_pk)
    timings["quiz attempts"] = time.perf_counter() - started

    from django.urls import reverse

    submits = []
    for member, attempt in zip(staff, attempts, strict=True):
        cookie, form_token = cookies[member.user_id]
        fields = [("csrfmiddlewaretoken", form_token)]
        for item, correct in attempt["items"]:
            fields.append(("items", item))
            fields += [(f"item-{item}", choice) for choice in correct]
        submits.append(
            Submit(
                attempt_id=attempt["pk"],
                user_pk=member.user_id,
                path=reverse("quizzes:attempt", kwargs={"pk": attempt["pk"]}),
                cookie=cookie,
                body=urlencode(fields).encode(),
            )
        )
    label = f"{MUNICIPALITY} {chapter.number} {chapter.title} ({len(attempts[0]['items'])} questions)"
    return SubmitPool(submits, label), timings


def _pool_staff(chapter, exclude_user_pk: int | None):
    from people.models import StaffMember

    return StaffMember.objects.filter(
        municipality_id=chapter.guideline.municipality_id,
        role=StaffMember.Role.EMPLOYEE,
        is_active=True,
        user__is_active=True,
    ).exclude(user_id=exclude_user_pk)


def people_available(exclude_user_pk: int | None = None) -> int:
    """How many people a pool can have: one attempt each."""
    return _pool_staff(quiz_chapter(), exclude_user_pk).count()


def _sessions_create(users) -> dict[int, tuple[str, str]]:
    """Per user: (Cookie header, form token). Each session holds what a log-in through allauth
    writes, and is stored as the site's engine stores it, bulk-written: in the cache (Redis) for
    the cache engine; for the database engines (people.sessions, cached_db) also the row in
    django_session. people.sessions writes that row at most every 10 minutes of activity
    (`_db_saved`); before the quiz opened 5 minutes ago it was last written somewhere in the
    10 minutes before, so about half of the submits write it again. The CSRF secret is the
    csrftoken cookie; the form carries it masked, as
    {% csrf_token %} renders it."""
    from django.conf import settings
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.models import Session
    from django.core.cache import caches
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.utils.crypto import get_random_string
    from django.utils.module_loading import import_string

    engine = import_string(settings.SESSION_ENGINE + ".SessionStore")
    with_rows = hasattr(engine, "create_model_instance")  # db and cached_db
    from people.sessions import DB_REFRESH_SECONDS

    now = time.time()
    stagger = random.Random(SEED)
    rows, cached, result = [], {}, {}
    age = None
    for user in users:
        data = {
            "account_authentication_methods": [{"method": "password", "at": now - 600, "username": user.username}],
            "account_authentication_methods_user": str(user.pk),
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": BACKEND,
            "_auth_user_hash": user.get_session_auth_hash(),
            "can_access_admin": False,
            "_session_expiry": 0,  # ACCOUNT_SESSION_REMEMBER = False: ends with the browser
            "_last_seen": int(now) - LAST_SEEN_AGO,
        }
        if with_rows:
            data["_db_saved"] = int(now) - LAST_SEEN_AGO - stagger.randrange(DB_REFRESH_SECONDS)
        store = engine()
        store.update(data)  # a store without a key loads nothing
        store._session_key = get_random_string(32, VALID_KEY_CHARS)  # what create() does, minus its query
        if with_rows:
            rows.append(store.create_model_instance(data))
        age = store.get_expiry_age()
        cached[store.cache_key] = data
        request = HttpRequest()
        form_token = get_token(request)
        secret = request.META["CSRF_COOKIE"]
        cookie = f"{settings.CSRF_COOKIE_NAME}={secret}; {settings.SESSION_COOKIE_NAME}={store.session_key}"
        result[user.pk] = (cookie, form_token)
    Session.objects.bulk_create(rows, batch_size=BATCH)
    cache = caches[settings.SESSION_CACHE_ALIAS]
    keys = list(cached)
    for start in range(0, len(keys), BATCH):
        cache.set_many({k: cached[k] for k in keys[start : start + BATCH]}, timeout=age)
    # The engine reads back what it would have written itself.
    sample = engine(store.session_key)
    if sample.load() != cached[sample.cache_key]:
        raise RuntimeError("a bulk-written session does not read back through the session engine")
    if with_rows and sample.decode(rows[-1].session_data) != cached[sample.cache_key]:
        raise RuntimeError("a bulk-written session row does not decode through the session engine")
    return result


def _attempts_create(staff, chapter) -> list[dict]:
    """One open attempt per person, the rows quizzes.services.attempt_start writes for someone with
    no progress and no earlier attempt (the pool is reset first): one live question per clause of
    the chapter, drawn at random among the clause's questions, its choices shuffled. In bulk,
    because attempt_start takes about 8 ms each (6 queries under a row lock).
    Returns per attempt {"pk", "items": [(item pk, correct choice pks in shown order)]}."""
    from collections import defaultdict

    from django.db import connection, transaction

    from quizzes.models import AttemptItem, QuizAttempt, ScenarioQuestion
    from quizzes.services import attempt_items_build

    guideline = chapter.guideline
    keys = chapter.clause_keys()
    by_key = defaultdict(list)
    for question in ScenarioQuestion.objects.live().for_clauses(guideline, keys).prefetch_related("choices"):
        by_key[question.clause_key].append(question)
    rng = random.Random(SEED)
    drawn_per_person = [[rng.choice(by_key[key]) for key in keys if by_key.get(key)] for _ in staff]
    with transaction.atomic():
        attempts = QuizAttempt.objects.bulk_create(
            [
                QuizAttempt(staff=member, guideline=guideline, chapter=chapter, question_count=len(drawn))
                for member, drawn in zip(staff, drawn_per_person, strict=True)
            ],
            batch_size=BATCH,
        )
        items = [
            item
            for attempt, drawn in zip(attempts, drawn_per_person, strict=True)
            for item in attempt_items_build(attempt=attempt, questions=drawn, rng=rng)
        ]
        AttemptItem.objects.bulk_create(items, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {QuizAttempt._meta.db_table}, {AttemptItem._meta.db_table}")
    correct = {c.pk for questions in by_key.values() for q in questions for c in q.choices.all() if c.is_correct}
    result = []
    per_attempt = defaultdict(list)
    for item in items:
        per_attempt[item.attempt_id].append((item.pk, [pk for pk in item.choice_order if pk in correct]))
    for attempt in attempts:
        result.append({"pk": attempt.pk, "items": per_attempt[attempt.pk]})
    return result


def _shape(attempt) -> tuple:
    """What attempt_start decides about an attempt, apart from whom and which random draw."""
    items = list(attempt.items.select_related("question").prefetch_related("question__choices").order_by("position"))
    return (
        attempt.state,
        attempt.guideline_id,
        attempt.chapter_id,
        attempt.submitted_at,
        attempt.correct_count,
        attempt.question_count,
        [
            (
                item.position,
                item.clause_key,
                item.question.clause_key == item.clause_key and item.question.live,
                item.question_version == item.question.live_revision_id,
                sorted(item.choice_order) == sorted(c.pk for c in item.question.choices.all()),
                item.selected,
                item.is_correct,
            )
            for item in items
        ],
    )


def _attempts_check(staff, chapter, attempts: list[dict], exclude_user_pk: int | None) -> None:
    """The bulk rows are attempt_start's: for a sample of the pool, attempt_start continues the
    attempt made here (writing nothing), and an attempt it draws itself for one more employee (rolled
    back) has the same shape."""
    from django.db import transaction

    from people.models import StaffMember
    from quizzes.models import AttemptItem, QuizAttempt
    from quizzes.services import attempt_start

    for index in sorted({0, len(staff) // 2, len(staff) - 1}):
        before = (QuizAttempt.objects.count(), AttemptItem.objects.count())
        continued = attempt_start(staff=staff[index], chapter=chapter)
        if continued.pk != attempts[index]["pk"] or before != (
            QuizAttempt.objects.count(),
            AttemptItem.objects.count(),
        ):
            raise RuntimeError(f"attempt_start does not continue the bench's attempt {attempts[index]['pk']}")
    bulk = QuizAttempt.objects.get(pk=attempts[0]["pk"])
    # Someone outside the pool (ordered by staff number): the next employee, or the one left out.
    other = (
        _pool_staff(chapter, exclude_user_pk)
        .filter(staff_number__gt=staff[-1].staff_number)
        .order_by("staff_number")
        .first()
    ) or StaffMember.objects.filter(user_id=exclude_user_pk, is_active=True).first()
    if other is None:
        return
    with transaction.atomic():
        drawn = attempt_start(staff=other, chapter=chapter)
        same = _shape(drawn) == _shape(bulk)
        transaction.set_rollback(True)
    if not same:
        raise RuntimeError("the bench's attempts differ from what attempt_start draws")


def graded_check(used: list[Submit], ok_paths: list[str], answered: int, since) -> dict:
    """After a run: what the submits sent did in the database. Each one answered 302 to its own
    attempt must have graded exactly that attempt, once (one grading log entry), during the run: a
    302 that only said "already graded" would leave the count short. Of the others, only those
    still in flight when the client stopped may be graded (the server finished them after it
    closed the connection); an unexpected answer must not have graded anything."""
    from wagtail.models import ModelLogEntry

    from quizzes.models import QuizAttempt

    ok = set(ok_paths)
    ok_ids = [s.attempt_id for s in used if s.path in ok]
    other_ids = [s.attempt_id for s in used if s.path not in ok]
    graded = QuizAttempt.objects.filter(state=QuizAttempt.State.GRADED, submitted_at__gte=since)
    ok_graded = graded.filter(pk__in=ok_ids).count()
    other_graded = graded.filter(pk__in=other_ids).count()
    log_entries = ModelLogEntry.objects.filter(
        action="quizzes.attempt_graded", timestamp__gte=since, object_id__in=[str(pk) for pk in ok_ids]
    ).count()
    in_flight = len(used) - answered
    return {
        "sent": len(used),
        "answered_302": len(ok_ids),
        "graded": ok_graded,
        "log_entries": log_entries,
        "in_flight": in_flight,
        "others_graded": other_graded,
        "ok": len(ok_paths) == len(ok_ids) == ok_graded == log_entries and other_graded <= in_flight,
    }


def settle(pool: SubmitPool, result, since) -> dict:
    """After a wrk run on the pool: check in the database what its submits did (result.db_check),
    and hand back those not sent, once they are checked to be still open."""
    from quizzes.models import QuizAttempt

    run = result.pool_run
    time.sleep(0.3)  # the requests in flight when wrk stopped finish on the server
    check = graded_check(run.used, run.ok_paths, run.answered, since)
    unused_ids = [s.attempt_id for s in run.unused]
    check["unsent_not_open"] = QuizAttempt.objects.filter(pk__in=unused_ids).exclude(state="open").count()
    check["ok"] = check["ok"] and check["unsent_not_open"] == 0
    check["samples"] = run.samples
    result.db_check = check
    pool.give_back(run.unused)
    return check


def describe_check(check: dict) -> str:
    verdict = "OK" if check["ok"] else "MISMATCH"
    flight = ""
    if check["in_flight"] or check["others_graded"]:
        flight = (
            f"; {check['in_flight']} in flight when the client stopped, {check['others_graded']} attempts "
            "graded without a 302 to the client (at most those in flight)"
        )
    stray = f"; {check['unsent_not_open']} attempts not sent but graded" if check.get("unsent_not_open") else ""
    samples = f"; unexpected answers, e.g. {', '.join(check['samples'])}" if check.get("samples") else ""
    return (
        f"{check['answered_302']} answered 302 to their own attempt; {check['graded']} of those attempts graded "
        f"in the run, {check['log_entries']} grading log entries{flight}{stray}{samples}: {verdict}"
    )
