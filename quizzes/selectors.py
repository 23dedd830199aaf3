"""Reads for quizzes, scoped to the viewer."""

from __future__ import annotations

import re
import unicodedata

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from courses import tree_cache
from courses.models import ChapterPage, GuidelinePage, live_chapters_of
from people.models import StaffMember

from . import rules
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


def next_required_chapter(*, staff, chapter):
    """The next live chapter after `chapter` (in the guideline's order) that binds the person, or
    None after the last one (the review then offers the attestation)."""
    from courses.models import live_chapters_of

    chapters = live_chapters_of(chapter.guideline)
    later = [c for c in chapters if c.path > chapter.path]
    return next((c for c in later if chapter_required_for(staff=staff, chapter=c)), None)


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
        keys = (
            rules.quizzed_keys(clause_keys=full[chapter.pk].clause_keys(), quizzed=quizzed)
            if chapter.pk in full
            else set()
        )
        passed = rules.chapter_is_passed(
            quizzed=keys, mastered_count=len(keys & mastered), pass_mark=guideline.pass_mark
        )
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


# --- Item statistics for editors (decision 0019) ------------------------------------------------

MIN_ANSWERS_FOR_STATISTICS = 10


def _point_biserial(pairs: list[tuple[bool, float]]) -> float | None:
    """Correlation between answering an item right (0/1) and a score, or None when too few answers
    or no variation on either side."""
    n = len(pairs)
    if n < MIN_ANSWERS_FOR_STATISTICS:
        return None
    right = [score for ok, score in pairs if ok]
    wrong = [score for ok, score in pairs if not ok]
    if not right or not wrong:
        return None
    mean = sum(score for _ok, score in pairs) / n
    sd = (sum((score - mean) ** 2 for _ok, score in pairs) / n) ** 0.5
    if sd < 1e-12:
        return None
    p = len(right) / n
    return round((sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * (p * (1 - p)) ** 0.5, 2)


def item_discrimination(*, answers, guideline) -> dict[int, float | None]:
    """Per question: does a person who masters the rest of the chapter answer it right more
    often than one who does not? The point-biserial correlation between answering the item right
    and the person's first-try mastery of the chapter's *other* clauses in the same 年度 (from
    ClauseProgress.first_attempt_missed). `answers`: graded AttemptItems to count (already
    filtered by the caller). Three queries whatever the number of answers' questions."""
    from django.utils import timezone

    from sns_training.fiscal_year import fiscal_year_of

    from .models import ClauseProgress

    rows = list(
        answers.values_list("question_id", "clause_key", "is_correct", "attempt__staff_id", "attempt__submitted_at")
    )
    if not rows:
        return {}
    chapter_of: dict[str, frozenset[str]] = {}
    for chapter in ChapterPage.objects.child_of(guideline).live().only("body"):
        keys = frozenset(chapter.clause_keys())
        for key in keys:
            chapter_of[key] = keys
    first_try: dict[tuple[int, int], dict[str, bool]] = {}
    staff_ids = {row[3] for row in rows}
    for staff_id, year, key, missed in ClauseProgress.objects.filter(
        guideline_id=guideline.pk, staff_id__in=staff_ids
    ).values_list("staff_id", "fiscal_year", "clause_key", "first_attempt_missed"):
        first_try.setdefault((staff_id, year), {})[key] = not missed
    pairs: dict[int, list[tuple[bool, float]]] = {}
    for question_id, clause_key, is_correct, staff_id, submitted_at in rows:
        year = fiscal_year_of(timezone.localdate(submitted_at))
        progress = first_try.get((staff_id, year), {})
        others = [progress[k] for k in chapter_of.get(clause_key, ()) if k != clause_key and k in progress]
        if others:
            pairs.setdefault(question_id, []).append((bool(is_correct), sum(others) / len(others)))
    return {question_id: _point_biserial(p) for question_id, p in pairs.items()}


def question_statistics(*, question) -> dict | None:
    """What the question's edit screen shows editors: answers, share right, each choice's count,
    wrong choices nobody chooses, and the discrimination index. None before anyone answered."""
    from django.db.models import Count

    from .models import AttemptItem

    answers = AttemptItem.objects.filter(question=question, attempt__state=QuizAttempt.State.GRADED)
    chosen: dict[int, int] = {}
    answered = correct = 0
    for row in answers.values("selected", "is_correct").annotate(n=Count("pk")).order_by():
        answered += row["n"]
        correct += row["n"] if row["is_correct"] else 0
        for pk in row["selected"] or []:
            chosen[pk] = chosen.get(pk, 0) + row["n"]
    if not answered:
        return None
    choices = [
        {"text": c.text, "is_correct": c.is_correct, "count": chosen.get(c.pk, 0)}
        for c in sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
    ]
    return {
        "answered": answered,
        "share_correct": round(100 * correct / answered, 1),
        "choices": choices,
        "unchosen": [c["text"] for c in choices if not c["is_correct"] and not c["count"]]
        if answered >= MIN_ANSWERS_FOR_STATISTICS
        else [],
        "discrimination": item_discrimination(answers=answers, guideline=question.guideline).get(question.pk),
        "min_answers": MIN_ANSWERS_FOR_STATISTICS,
    }


_PROMPT_NOISE = re.compile(r"[\s\u3000、。，．,.・:：;；!！?？「」『』（）()【】\[\]…‥\-ー－〜~]")


def prompt_fingerprint(prompt: str) -> str:
    """A prompt as compared for near-duplicates: width folded (NFKC), lower-cased, without spaces
    and punctuation, so 「どう対応しますか。」 and 「どう 対応しますか？」 are one."""
    return _PROMPT_NOISE.sub("", unicodedata.normalize("NFKC", prompt or "")).lower()


def question_list_annotate(*, questions, user) -> None:
    """For the admin's question list (quizzes/viewsets.py): each question on the page gets
    `clause_label` (「５ (2) 社会通念にそぐわない投稿の禁止（5-2）」) and `duplicates`, the IDs of the
    viewer's other questions of the same guideline whose prompt is the same once spaces,
    punctuation and width are ignored. One query for the fingerprints; clause labels come from
    the cached clause index."""
    from .models import ScenarioQuestion

    questions = list(questions)
    guideline_ids = {q.guideline_id for q in questions}
    by_print: dict[tuple[int, str], list[tuple[int, str]]] = {}
    rows = (
        ScenarioQuestion.objects.visible_to(user)
        .filter(guideline_id__in=guideline_ids)
        .values_list("pk", "guideline_id", "external_id", "prompt")
    )
    for pk, guideline_id, external_id, prompt in rows:
        by_print.setdefault((guideline_id, prompt_fingerprint(prompt)), []).append((pk, external_id))
    indexes = {}
    for question in questions:
        guideline = question.guideline
        if guideline.pk not in indexes:
            indexes[guideline.pk] = clause_index(guideline=guideline)
        clause = indexes[guideline.pk].get(question.clause_key)
        if clause is None:
            question.clause_label = _("%(key)s（公開中の本文にない条項）") % {"key": question.clause_key}
        else:
            chapter_number = clause["chapter"].split(" ", 1)[0]
            parts = [chapter_number if chapter_number != clause["number"] else "", clause["number"], clause["heading"]]
            question.clause_label = " ".join(p for p in parts if p) + f"（{question.clause_key}）"
        same = by_print.get((question.guideline_id, prompt_fingerprint(question.prompt)), [])
        question.duplicates = [external_id for pk, external_id in same if pk != question.pk]
