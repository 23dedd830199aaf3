"""Reads for quizzes, scoped to the viewer."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from courses import tree_cache
from courses.models import ChapterPage, GuidelinePage, live_chapters_of

from .models import AttemptItem, QuizAttempt


def attempt_for_user(*, user, pk: int) -> QuizAttempt:
    """The viewer's own attempt, or 404: another person's attempt id shows nothing."""
    return get_object_or_404(QuizAttempt.objects.of_user(user).select_related("chapter", "guideline"), pk=pk)


def chapter_for_user(*, user, pk: int) -> ChapterPage:
    chapter = get_object_or_404(ChapterPage.objects.live(), pk=pk)
    if not chapter.is_visible_to(user):
        from django.http import Http404

        raise Http404
    return chapter


def attempt_questions(*, attempt: QuizAttempt) -> list[dict]:
    """Each drawn question with its choices in the order shown (and, once graded, the answer)."""
    items = list(
        AttemptItem.objects.filter(attempt=attempt).select_related("question").prefetch_related("question__choices")
    )
    result = []
    for item in items:
        choices = {choice.pk: choice for choice in item.question.choices.all()}
        result.append(
            {
                "item": item,
                "question": item.question,
                "choices": [choices[pk] for pk in item.choice_order if pk in choices],
                "selected": set(item.selected),
            }
        )
    return result


def clause_index(*, guideline: GuidelinePage) -> dict[str, dict]:
    """Clause key → number, heading, chapter and link, for citing clauses (cached with the tree)."""

    def build():
        index = {}
        for light in live_chapters_of(guideline):
            chapter = ChapterPage.objects.get(pk=light.pk)
            for block in chapter.body:
                value = block.value
                index[value["key"]] = {
                    "key": value["key"],
                    "number": value["number"],
                    "heading": value["heading"] or chapter.title,
                    "chapter": f"{chapter.number} {chapter.title}",
                    "url": f"{chapter.url}#clause-{value['key']}",
                }
        return index

    return tree_cache.cached(f"clause-index:{guideline.url_path}", build)
