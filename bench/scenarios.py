"""What `make bench` measures. Each scenario function turns the run's context (server, logged-in
session, dataset) into a Target; the first one is the bare view every other is compared with.
Add a scenario (reports, ...) by writing a function and listing it in SCENARIOS."""

from __future__ import annotations

from dataclasses import dataclass

from bench.data import BenchData
from bench.loadgen import Target
from bench.quiz import SubmitPool


@dataclass
class Context:
    base_url: str
    data: BenchData
    cookie_header: str  # the logged-in staff member's session and csrftoken cookies
    quiz_pool: SubmitPool  # one open attempt per person, with the POST that submits it


def bare_view(ctx: Context) -> Target:
    """sns_training.views.healthz: the full middleware stack, no database, no template."""
    return Target(name="bare view /healthz/", path="/healthz/", must_contain="ok")


def chapter_page(ctx: Context) -> Target:
    """A ChapterPage read by a logged-in employee of its municipality."""
    return Target(
        name="chapter page (logged in)",
        path=ctx.data.chapter_url,
        headers={"Cookie": ctx.cookie_header},
        must_contain=ctx.data.chapter_heading,
        user_pk=ctx.data.user_pk,
        goal_percent=8.0,
    )


def quiz_submit(ctx: Context) -> Target:
    """POST /quiz/attempt/<pk>/ with the correct answers, through the whole middleware stack
    (session, CSRF with cookie, form token and Origin, auth): every request another person's open
    attempt, graded then and there, answered 302 to the attempt itself."""
    return Target(
        name="quiz submit (POST)",
        path="/quiz/attempt/<pk>/",
        method="POST",
        # A browser's same-origin form POST carries Origin; over plain http Django checks it
        # when present, and the Referer only on https.
        headers={"Origin": ctx.base_url, "Content-Type": "application/x-www-form-urlencoded"},
        content_type="application/x-www-form-urlencoded",
        expected_status=302,
        pool=ctx.quiz_pool,
        goal_rps=300.0,
    )


SCENARIOS = [bare_view, chapter_page, quiz_submit]
