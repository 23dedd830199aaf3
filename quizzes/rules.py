"""The pass rule, in one place: when a chapter counts as passed (decision 0008).

A chapter is passed in a 年度 when the share of its *quizzed* clauses (those with at least one
live question) that the person mastered that 年度 reaches the guideline's pass mark (80 % by
default). A chapter with no quizzed clause is never passed. Every entry point — the quiz
review (quizzes.services.chapter_passed), my page (quizzes.selectors.course_progress) and the
所属長's page (training.selectors) — decides with `chapter_is_passed`.
"""

from __future__ import annotations

from collections.abc import Iterable


def quizzed_keys(*, clause_keys: Iterable[str], quizzed: set[str]) -> set[str]:
    """The chapter's clauses that have a live question (the only ones the pass mark counts)."""
    return set(clause_keys) & quizzed


def chapter_is_passed(*, quizzed: set[str], mastered_count: int, pass_mark: int) -> bool:
    """`mastered_count` of the chapter's `quizzed` clauses mastered: passed at `pass_mark` percent."""
    return bool(quizzed) and 100 * mastered_count >= pass_mark * len(quizzed)
