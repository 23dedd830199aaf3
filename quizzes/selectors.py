"""Reads for quizzes, scoped to the viewer."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from courses import tree_cache
from courses.models import ChapterPage, GuidelinePage, live_chapters_of
from people.models import StaffMember

from .models import AttemptItem, QuizAttempt


def attempt_for_user(*, user, pk: int) -> QuizAttempt:
    """The viewer's own attempt, or 404: another person's attempt id shows nothing."""
    return get_object_or_404(QuizAttempt.objects.of_user(user).select_related("chapter", "guideline"), pk=pk)


def guideline_for_user(*, user, pk: int) -> GuidelinePage:
    return get_object_or_404(GuidelinePage.objects.visible_to(user).live(), pk=pk)


def chapter_for_user(*, user, pk: int) -> ChapterPage:
    chapter = get_object_or_404(ChapterPage.objects.live(), pk=pk)
    if not chapter.is_visible_to(user):
        from django.http import Http404

        raise Http404
    return chapter


def attempt_questions(*, attempt: QuizAttempt) -> list[dict]:
    """Each drawn question with its choices in the order shown (and, once graded, the answer).
    A graded attempt shows each question as it was answered (its revision), not as edited since."""
    from wagtail.models import Revision

    items = list(
        AttemptItem.objects.filter(attempt=attempt).select_related("question").prefetch_related("question__choices")
    )
    contents = {}
    if attempt.state == QuizAttempt.State.GRADED:
        versions = [item.question_version for item in items if item.question_version]
        contents = dict(Revision.objects.filter(pk__in=versions).values_list("pk", "content"))
    result = []
    for item in items:
        content = contents.get(item.question_version)
        if content:
            question, choice_list = _as_answered(content)
        else:
            question, choice_list = item.question, list(item.question.choices.all())
        choices = {choice.pk: choice for choice in choice_list}
        result.append(
            {
                "item": item,
                "question": question,
                "also_cites": also_cites_keys(question.also_cites),
                "choices": [choices[pk] for pk in item.choice_order if pk in choices],
                "selected": set(item.selected),
            }
        )
    return result


def _as_answered(content: dict):
    """The question and its choices as a revision stored them (read-only, no queries)."""
    from types import SimpleNamespace

    question = SimpleNamespace(
        **{name: content.get(name, "") for name in ("situation", "prompt", "explanation", "kind", "clause_key")},
        also_cites=content.get("also_cites") or [],
    )
    choices = [
        SimpleNamespace(
            pk=choice["pk"],
            text=choice.get("text", ""),
            is_correct=bool(choice.get("is_correct")),
            feedback=choice.get("feedback", ""),
        )
        for choice in content.get("choices", [])
    ]
    return question, choices


def also_cites_keys(value) -> list[str]:
    """The further clauses a question cites, as a list whatever the revision stored (revisions
    written before decision 0019 hold one key as a string)."""
    if isinstance(value, str):
        return [value] if value else []
    return [key for key in value or [] if isinstance(key, str) and key]


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


def chapter_required_for(*, staff, chapter) -> bool:
    """Whom a chapter binds, the one rule for every guideline (decision 0019), from the chapter's
    data: its `binds` (the employment types the guideline's scope names; empty = all), and for
    芦屋市's 【業務編】 (`audience` official_account) only official-account operators, 委託事業者 and
    指定管理者. So 芦屋市's 【プライベート編】 binds staff with 職員の身分 only, and 須賀川市's guideline
    (3 適用範囲) its 職員 of every kind, not contractors."""
    if chapter.binds and staff.employment_type not in chapter.binds:
        return False
    if chapter.audience != ChapterPage.Audience.OFFICIAL_ACCOUNT:
        return True
    return staff.operates_official_account or staff.employment_type in (
        StaffMember.EmploymentType.CONTRACTOR,
        StaffMember.EmploymentType.DESIGNATED_MANAGER,
    )


def course_progress(*, staff, guideline: GuidelinePage, chapters: list) -> dict:
    """Per chapter: required or not, attempted, passed; totals and the next step. Three queries
    whatever the number of chapters."""
    from .models import ClauseProgress, ScenarioQuestion

    mastered = set(
        ClauseProgress.objects.of_year()
        .filter(staff=staff, guideline=guideline, state=ClauseProgress.State.MASTERED)
        .values_list("clause_key", flat=True)
    )
    quizzed = set(
        ScenarioQuestion.objects.live().filter(guideline=guideline).values_list("clause_key", flat=True).distinct()
    )
    attempted = set(
        QuizAttempt.objects.in_fiscal_year()
        .filter(staff=staff, guideline=guideline)
        .values_list("chapter_id", flat=True)
        .distinct()
    )
    full = {c.pk: c for c in ChapterPage.objects.filter(pk__in=[c.pk for c in chapters]).only("body", "path")}
    rows = []
    for chapter in chapters:
        keys = set(full[chapter.pk].clause_keys()) & quizzed if chapter.pk in full else set()
        passed = bool(keys) and 100 * len(keys & mastered) >= guideline.pass_mark * len(keys)
        rows.append(
            {
                "chapter": chapter,
                "required": chapter_required_for(staff=staff, chapter=chapter),
                "attempted": chapter.pk in attempted,
                "passed": passed,
            }
        )
    required = [row for row in rows if row["required"]]
    passed = [row for row in required if row["passed"]]
    next_row = next((row for row in required if not row["passed"]), None)
    from django.utils import timezone

    from sns_training.fiscal_year import fiscal_year_of

    from .models import CompletionRecord

    record = CompletionRecord.objects.filter(
        staff=staff, guideline=guideline, fiscal_year=fiscal_year_of(timezone.localdate())
    ).first()
    return {
        "record": record,
        "rows": rows,
        "required_count": len(required),
        "passed_count": len(passed),
        "percent": round(100 * len(passed) / len(required)) if required else 0,
        "next": next_row,
        "complete": bool(required) and next_row is None,
    }


def record_for_user(*, user, pk: int):
    """The viewer's own completion record, or 404."""
    from .models import CompletionRecord

    return get_object_or_404(CompletionRecord.objects.of_user(user), pk=pk)


def past_records(*, staff) -> list:
    from .models import CompletionRecord

    return list(CompletionRecord.objects.filter(staff=staff).order_by("-fiscal_year", "-attested_at"))
