"""What `make bench` measures. Each scenario function turns the run's context (server, logged-in
session, dataset) into a Target; the first one is the bare view every other is compared with.
Add a scenario (quiz submission, reports) by writing a function and listing it in SCENARIOS."""

from __future__ import annotations

from dataclasses import dataclass

from bench.data import BenchData
from bench.loadgen import Target


@dataclass
class Context:
    base_url: str
    data: BenchData
    cookie_header: str  # the logged-in staff member's session and csrftoken cookies


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
    )


SCENARIOS = [bare_view, chapter_page]
