"""Item analysis (設問分析): per question, the share correct and how often each choice was chosen
(reports/views/items.py)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from quizzes.models import AttemptItem, QuizAttempt, ScenarioQuestion
from quizzes.selectors import MIN_ANSWERS_FOR_STATISTICS, item_discrimination
from sns_training.fiscal_year import day_end, day_start

from ..exports import Column, Kind
from .common import ClauseInfo, guideline_clauses


@dataclass
class ChoiceStat:
    pk: int | None
    text: str
    is_correct: bool
    count: int = 0
    share: float | None = None


@dataclass
class ItemStat:
    question: ScenarioQuestion
    clause: ClauseInfo | None
    answered: int
    correct: int
    choices: list[ChoiceStat]
    other_choices: int  # selections of choices the question no longer has (an earlier version's)
    # Point-biserial correlation with first-try mastery of the chapter's other clauses (decision
    # 0019; quizzes.selectors.item_discrimination); None with too few answers.
    discrimination: float | None = None

    @property
    def unchosen(self) -> list[ChoiceStat]:
        """Wrong choices nobody chose, once enough people answered: not a plausible misreading."""
        if self.answered < MIN_ANSWERS_FOR_STATISTICS:
            return []
        return [c for c in self.choices if not c.is_correct and not c.count]

    @property
    def weak_discrimination(self) -> bool:
        return self.discrimination is not None and self.discrimination < 0.1

    @property
    def share_correct(self) -> float | None:
        return round(100 * self.correct / self.answered, 1) if self.answered else None

    @property
    def top_wrong(self) -> ChoiceStat | None:
        wrong = [c for c in self.choices if not c.is_correct and c.count]
        return max(wrong, key=lambda c: c.count) if wrong else None

    @property
    def flagged(self) -> bool:
        """A wrong choice chosen more often than the correct one (for "all that apply", more than
        the least chosen correct choice): the question, or the clause, is being misunderstood."""
        top = self.top_wrong
        correct = [c.count for c in self.choices if c.is_correct]
        return bool(top and correct and top.count > min(correct))


def item_analysis(
    *,
    questions: QuerySet[ScenarioQuestion],
    guideline,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[ItemStat]:
    """Per question of the guideline: answers, share correct, how often each choice was chosen,
    the most chosen wrong choice and whether it beats the correct one. From the answers of graded
    attempts, optionally within [since, until]; three queries whatever the number of questions."""
    items = AttemptItem.objects.filter(
        attempt__state=QuizAttempt.State.GRADED,
        attempt__guideline_id=guideline.pk,
        question__in=questions,
    )
    if since:
        items = items.filter(attempt__submitted_at__gte=day_start(since))
    if until:
        items = items.filter(attempt__submitted_at__lt=day_end(until))
    answered: dict[int, int] = defaultdict(int)
    correct: dict[int, int] = defaultdict(int)
    chosen: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    # Grouped by the selection itself: as many rows as distinct answers, not as answers given.
    for row in items.values("question_id", "selected", "is_correct").annotate(n=Count("pk")).order_by():
        question_id, n = row["question_id"], row["n"]
        answered[question_id] += n
        if row["is_correct"]:
            correct[question_id] += n
        for choice_id in row["selected"] or []:
            chosen[question_id][choice_id] += n
    discrimination = item_discrimination(answers=items, guideline=guideline)
    clauses = guideline_clauses(guideline)
    clause_by_key = {c.key: c for c in clauses}
    order = {c.key: i for i, c in enumerate(clauses)}
    result = []
    for question in questions.filter(guideline_id=guideline.pk).prefetch_related("choices"):
        if not question.live and not answered.get(question.pk):
            continue
        counts = chosen.get(question.pk, {})
        total = answered.get(question.pk, 0)
        choices = [
            ChoiceStat(
                choice.pk,
                choice.text,
                choice.is_correct,
                counts.get(choice.pk, 0),
                round(100 * counts.get(choice.pk, 0) / total, 1) if total else None,
            )
            for choice in sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
        ]
        known = {c.pk for c in choices}
        result.append(
            ItemStat(
                question=question,
                clause=clause_by_key.get(question.clause_key),
                answered=total,
                correct=correct.get(question.pk, 0),
                choices=choices,
                other_choices=sum(n for pk, n in counts.items() if pk not in known),
                discrimination=discrimination.get(question.pk),
            )
        )
    result.sort(
        key=lambda s: (order.get(s.question.clause_key, len(order)), s.question.clause_key, s.question.external_id)
    )
    return result


ITEM_COLUMNS = (
    Column(_("設問ID"), Kind.CODE, width=20),
    Column(_("条項キー"), Kind.CODE),
    Column(_("条項"), Kind.TEXT, width=30),
    Column(_("問い"), Kind.TEXT, width=40),
    Column(_("回答数"), Kind.NUMBER),
    Column(_("正答数"), Kind.NUMBER),
    Column(_("正答率（%）"), Kind.NUMBER),
    Column(_("最も多い誤答"), Kind.TEXT, width=40),
    Column(_("その誤答の回答数"), Kind.NUMBER),
    Column(_("要確認"), Kind.TEXT, width=8),
    Column(_("選択肢ごとの回答数"), Kind.TEXT, width=60),
    Column(_("識別力"), Kind.NUMBER),
    Column(_("誰も選ばない誤答"), Kind.TEXT, width=40),
)


def item_export_rows(stats: list[ItemStat]) -> list[tuple]:
    mark = str(_("要確認"))
    rows = []
    for stat in stats:
        top = stat.top_wrong
        per_choice = " / ".join(f"{'◯' if c.is_correct else '×'}{c.text}: {c.count}" for c in stat.choices)
        rows.append(
            (
                stat.question.external_id,
                stat.question.clause_key,
                stat.clause.label if stat.clause else "",
                stat.question.prompt,
                stat.answered,
                stat.correct,
                stat.share_correct,
                top.text if top else None,
                top.count if top else None,
                mark if stat.flagged else None,
                per_choice,
                stat.discrimination,
                " / ".join(c.text for c in stat.unchosen) or None,
            )
        )
    return rows
