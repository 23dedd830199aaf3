"""Receivers of the quizzes app for the courses app's clause signals (courses/signals.py)."""

from django.dispatch import receiver
from wagtail.log_actions import log

from courses import signals

from .models import ScenarioQuestion


def _citing(guideline_id: int, keys: set[str]) -> list[ScenarioQuestion]:
    # also_cites is a JSON list; a guideline has a few hundred questions, read in one query.
    live = ScenarioQuestion.objects.filter(guideline_id=guideline_id, live=True).order_by("external_id")
    return [q for q in live if q.clause_key in keys or keys.intersection(q.also_cites or [])]


@receiver(signals.clauses_citing, dispatch_uid="quizzes_questions_citing_clauses")
def questions_citing(sender, guideline_id, keys, **kwargs):
    """The live questions that cite any of `keys`, as "設問ID（条項キー）"."""
    return [f"{q.external_id}（{q.clause_key}）" for q in _citing(guideline_id, keys)]


@receiver(signals.clause_citations, dispatch_uid="quizzes_question_citations_by_clause")
def question_citations(sender, guideline_id, keys, **kwargs):
    """{key: ["設問ID「問い」", …]} of the live questions citing each of `keys` (the chapter editor's
    confirmation before removing a clause)."""
    cited: dict[str, list[str]] = {}
    for question in _citing(guideline_id, set(keys)):
        prompt = question.prompt if len(question.prompt) <= 40 else question.prompt[:40] + "…"
        for key in {question.clause_key, *(question.also_cites or [])} & set(keys):
            cited.setdefault(key, []).append(f"{question.external_id}「{prompt}」")
    return cited


@receiver(signals.clauses_retired, dispatch_uid="quizzes_retire_questions_of_retired_clauses")
def retire_questions(sender, guideline_id, keys, **kwargs):
    """Questions citing a retired clause leave the draw (unpublished, kept with their answers)."""
    for question in _citing(guideline_id, keys):
        question.live = False
        question.save(update_fields=["live"])
        log(question, "wagtail.unpublish")
