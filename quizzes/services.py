"""Writes for quizzes: drawing an attempt, grading it exactly once, importing questions."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from courses.models import ChapterPage, GuidelinePage
from people import scoping
from people.models import StaffMember
from sns_training.fiscal_year import fiscal_year_of, fiscal_year_start

from . import grading, rules
from .models import AttemptItem, ClauseProgress, CompletionRecord, QuizAttempt, ScenarioQuestion

_random = random.SystemRandom()


class QuizError(Exception):
    """A quiz action was refused; the message is shown to the person as is. Nothing was written."""


class AttemptAlreadyGraded(QuizError):
    """The attempt was graded before (a repeated or concurrent submit): show its result."""

    def __init__(self, attempt):
        self.attempt = attempt
        super().__init__(_("この回答は既に採点済みです。最初に送信した結果を表示しています。"))


@dataclass(frozen=True)
class Submission:
    """What a person sent for an attempt: the items the page showed and the choices per item."""

    item_ids: tuple[int, ...]
    answers: dict[int, tuple[int, ...]]


def _lock_person(staff_pk: int) -> None:
    """Serialise one person's quiz writes on their staff row, and on that row only: no ordering
    or join may pull the municipality or department rows into the lock, or every quiz write of a
    whole city would wait for the one before."""
    list(StaffMember.objects.filter(pk=staff_pk).order_by().select_for_update(of=("self",)).values_list("pk"))


def _mastered_keys(staff, guideline) -> set[str]:
    return set(
        ClauseProgress.objects.of_year()
        .filter(staff=staff, guideline=guideline, state=ClauseProgress.State.MASTERED)
        .values_list("clause_key", flat=True)
    )


def _current_open_attempt(staff, chapter) -> QuizAttempt | None:
    """An open attempt of this 年度 whose questions are all still the live versions drawn, to
    continue (one left open last 年度 was drawn from last 年度's pool and progress)."""
    attempt = (
        QuizAttempt.objects.in_fiscal_year()
        .filter(staff=staff, chapter=chapter, state=QuizAttempt.State.OPEN)
        .order_by("-started_at")
        .first()
    )
    if attempt is None:
        return None
    items = list(attempt.items.select_related("question"))
    if items and all(i.question.live and i.question.live_revision_id == i.question_version for i in items):
        return attempt
    return None


def question_audiences_for(staff) -> list[str]:
    """The item audiences drawn for a person (decision 0019): everyone's items and the official-
    account operators' items for all (those sit in 【業務編】 chapters, taken by their audience);
    the items written for 委託事業者・指定管理者 only for those two employment types."""
    audiences = [ScenarioQuestion.Audience.ALL, ScenarioQuestion.Audience.OFFICIAL]
    if staff.employment_type in (StaffMember.EmploymentType.CONTRACTOR, StaffMember.EmploymentType.DESIGNATED_MANAGER):
        audiences.append(ScenarioQuestion.Audience.CONTRACTORS)
    return audiences


def _in_year(question: ScenarioQuestion, year: int) -> bool:
    return (question.first_year is None or question.first_year <= year) and (
        question.last_year is None or year <= question.last_year
    )


def _draw(candidates: list[ScenarioQuestion], *, seen: set[int], count: int) -> list[ScenarioQuestion]:
    """`count` different questions, those the person was never shown first (any 年度)."""
    fresh = [q for q in candidates if q.pk not in seen]
    stale = [q for q in candidates if q.pk in seen]
    _random.shuffle(fresh)
    _random.shuffle(stale)
    return (fresh + stale)[:count]


@transaction.atomic
def attempt_start(*, staff, chapter: ChapterPage) -> QuizAttempt:
    """Draw live questions for the clauses of the chapter not yet mastered this 年度: one per
    clause, two for a clause the person missed at the first try last 年度; only questions of this
    年度's pool (their 年度 range) written for the person's audience, and among those the ones never
    shown to the person before, in any 年度, where there is a choice. Choices in a fresh random
    order. A clause with nothing in that pool falls back to its items of other 年度, then to any
    live item, so it is never left unasked."""
    guideline = chapter.guideline
    if not staff.is_active or guideline.municipality_id != staff.municipality_id:
        raise QuizError(_("この章の設問には回答できません。"))
    # One person's quiz writes are serialised on their staff row: a double-clicked start finds
    # the attempt the first click opened.
    _lock_person(staff.pk)
    open_attempt = _current_open_attempt(staff, chapter)
    if open_attempt is not None:
        return open_attempt
    mastered = _mastered_keys(staff, guideline)
    keys = [key for key in chapter.clause_keys() if key not in mastered]
    if not keys:
        raise QuizError(_("この章の条項はすべて習得済みです。"))
    year = fiscal_year_of(timezone.localdate())
    audiences = set(question_audiences_for(staff))
    by_key: dict[str, list[ScenarioQuestion]] = defaultdict(list)
    for question in ScenarioQuestion.objects.live().for_clauses(guideline, keys).prefetch_related("choices"):
        by_key[question.clause_key].append(question)
    seen = set(
        AttemptItem.objects.filter(attempt__staff=staff, attempt__guideline=guideline).values_list(
            "question_id", flat=True
        )
    )
    missed_last_year = set(
        ClauseProgress.objects.of_year(year - 1)
        .filter(staff=staff, guideline=guideline, first_attempt_missed=True, clause_key__in=keys)
        .values_list("clause_key", flat=True)
    )
    drawn = []
    for key in keys:
        live = by_key.get(key, [])
        # The narrowest pool that has anything: this 年度's for the person's audience, then any
        # 年度's for it, then any live item (a quizzed clause is never left unasked: the pass
        # rule counts it).
        fitting = [q for q in live if q.audience in audiences]
        pool = [q for q in fitting if _in_year(q, year)] or fitting or live
        drawn += _draw(pool, seen=seen, count=2 if key in missed_last_year else 1)
    if not drawn:
        raise QuizError(_("この章にはまだ設問がありません。"))
    attempt = QuizAttempt.objects.create(staff=staff, guideline=guideline, chapter=chapter, question_count=len(drawn))
    AttemptItem.objects.bulk_create(attempt_items_build(attempt=attempt, questions=drawn, rng=_random))
    return attempt


def attempt_items_build(*, attempt: QuizAttempt, questions: list[ScenarioQuestion], rng) -> list[AttemptItem]:
    """The unsaved items of an attempt: each question's live version and its choices in a fresh
    random order. Also used by bench/quiz.py to prepare attempts in bulk exactly as here."""
    items = []
    for position, question in enumerate(questions, start=1):
        choice_ids = [choice.pk for choice in question.choices.all()]
        rng.shuffle(choice_ids)
        items.append(
            AttemptItem(
                attempt=attempt,
                position=position,
                question=question,
                question_version=question.live_revision_id,
                clause_key=question.clause_key,
                choice_order=choice_ids,
            )
        )
    return items


def _grade(items: list[grading.Item], submission: Submission) -> list[grading.Answer]:
    """Each item with the choices sent for it, once the submission is checked against what the
    page showed: a QuizError for anything else, before anything is written."""
    if sorted(submission.item_ids) != sorted(item.pk for item in items):
        raise QuizError(_("送信された設問が、表示した設問と一致しません。設問のページを開き直してください。"))
    if not all(item.still_live for item in items):
        raise QuizError(_("回答中に設問が更新されました。お手数ですが、もう一度最初から回答してください。"))
    answers = []
    for item in items:
        chosen = submission.answers.get(item.pk, ())
        if not chosen:
            raise QuizError(_("第%(n)s問に回答してください。") % {"n": item.position})
        if len(set(chosen)) != len(chosen) or not set(chosen) <= set(item.choice_order):
            raise QuizError(_("第%(n)s問の選択肢が正しくありません。") % {"n": item.position})
        if item.kind == ScenarioQuestion.Kind.SINGLE and len(chosen) != 1:
            raise QuizError(_("第%(n)s問は選択肢を1つだけ選んでください。") % {"n": item.position})
        answers.append(grading.Answer(item=item, selected=tuple(chosen)))
    return answers


@transaction.atomic
def attempt_submit(*, attempt_id: int, user, submission: Submission) -> QuizAttempt:
    """Grade the viewer's attempt exactly once. The row locks make concurrent submits wait; the
    first grades, the others find it graded (AttemptAlreadyGraded). A refused submit writes
    nothing. Another person's attempt raises QuizAttempt.DoesNotExist (the view answers 404).
    The reads and writes are in quizzes.grading: two statements on PostgreSQL."""
    staff = scoping.acting_staff(user)
    if staff is None:
        raise QuizAttempt.DoesNotExist
    attempt, items = grading.lock_and_read(attempt_id=attempt_id, staff_id=staff.pk)
    if attempt.state == QuizAttempt.State.GRADED:
        raise AttemptAlreadyGraded(attempt)
    answers = _grade(items, submission)
    now = timezone.now()
    graded = grading.write(
        attempt=attempt, answers=answers, user=user, year=fiscal_year_of(timezone.localdate(now)), now=now
    )
    # 誓約待ち once every required chapter is passed (training status rule, decision 0030).
    from training.services import assignment_note_progress

    assignment_note_progress(staff=staff, guideline_id=attempt.guideline_id, on=timezone.localdate(now))
    return graded


def chapter_result(*, staff, chapter: ChapterPage) -> dict:
    """The pass rule as applied to one chapter (quizzes.rules): its quizzed clauses, how many the
    person mastered this 年度, how many the pass mark needs, and whether it is passed."""
    guideline: GuidelinePage = chapter.guideline
    keys = set(chapter.clause_keys())
    quizzed = set(ScenarioQuestion.objects.live().for_clauses(guideline, keys).values_list("clause_key", flat=True))
    mastered = _mastered_keys(staff, guideline) & quizzed if quizzed else set()
    return {
        "quizzed": len(quizzed),
        "mastered": len(mastered),
        "needed": -(-guideline.pass_mark * len(quizzed) // 100),
        "pass_mark": guideline.pass_mark,
        "passed": rules.chapter_is_passed(quizzed=quizzed, mastered_count=len(mastered), pass_mark=guideline.pass_mark),
    }


def chapter_passed(*, staff, chapter: ChapterPage) -> bool:
    """A chapter is passed when the share of its quizzed clauses mastered reaches the pass mark."""
    return chapter_result(staff=staff, chapter=chapter)["passed"]


def _label_ja(display) -> str:
    """A choice label in Japanese (get_FOO_display translates into the active language at once)."""
    with translation.override("ja"):
        return str(display())


def _content_hash(guideline: GuidelinePage, version_label: str, chapters: list[ChapterPage]) -> str:
    """SHA-256 over the guideline's title and version (第N版) and the text of every clause attested to."""
    digest = hashlib.sha256()
    for part in (guideline.title, version_label):
        digest.update(part.encode())
        digest.update(b"\x1e")
    for chapter in chapters:
        digest.update(chapter.key.encode())
        digest.update(b"\x1e")
        digest.update(chapter.content_hash().encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _answers_of_year(*, staff, guideline: GuidelinePage, chapters: list, fiscal_year: int) -> list[AttemptItem]:
    """The person's graded answers on the required chapters in the 年度 (the year's progress was
    made of them), oldest first."""
    return list(
        AttemptItem.objects.filter(
            attempt__staff=staff,
            attempt__guideline=guideline,
            attempt__state=QuizAttempt.State.GRADED,
            attempt__chapter_id__in={chapter.pk for chapter in chapters},
            attempt__submitted_at__date__gte=fiscal_year_start(fiscal_year),
            attempt__submitted_at__date__lt=fiscal_year_start(fiscal_year + 1),
        )
        .select_related("attempt", "question")
        .order_by("attempt__submitted_at", "position")
    )


def _answer_evidence(item: AttemptItem) -> dict:
    """One answer as the completion record keeps it."""
    return {
        "attempt": item.attempt_id,
        "submitted_at": item.attempt.submitted_at.isoformat(),
        "question": item.question_id,
        "question_id": item.question.external_id,
        "question_version": item.question_version,
        "clause": item.clause_key,
        "selected": item.selected,
        "correct": item.is_correct,
    }


@transaction.atomic
def attestation_create(*, staff, guideline: GuidelinePage, version_shown: str, agreed: bool) -> CompletionRecord:
    """The person attests (誓約) to the guideline version they were shown, once every chapter
    required of them is passed. Writes the CompletionRecord, once per 年度 (a repeat returns it)."""
    from .selectors import course_progress

    _lock_person(staff.pk)
    staff = StaffMember.objects.select_related("department", "municipality").get(pk=staff.pk)
    if not staff.is_active or guideline.municipality_id != staff.municipality_id:
        raise QuizError(_("このガイドラインには誓約できません。"))
    if not agreed:
        raise QuizError(_("誓約するには、確認のチェックを入れてください。"))
    from courses import versions

    version = versions.current(guideline)
    with translation.override("ja"):
        version_label = str(version.label)
    # The form posts the number; callers in code may name the 第N版 label.
    if version_shown not in (str(version.number), version_label):
        raise QuizError(_("表示していたガイドラインの版が更新されました。内容を確認のうえ、もう一度誓約してください。"))
    now = timezone.now()
    fiscal_year = fiscal_year_of(timezone.localdate(now))
    existing = CompletionRecord.objects.filter(staff=staff, guideline=guideline, fiscal_year=fiscal_year).first()
    if existing is not None:
        return existing
    chapters = list(ChapterPage.objects.child_of(guideline).live().order_by("path"))
    progress = course_progress(staff=staff, guideline=guideline, chapters=chapters)
    if not progress["complete"]:
        raise QuizError(_("まだ合格していない章があります。すべての章に合格してから誓約してください。"))
    required = [row["chapter"] for row in progress["rows"] if row["required"]]
    items = _answers_of_year(staff=staff, guideline=guideline, chapters=required, fiscal_year=fiscal_year)
    first_try: dict[str, bool] = {}
    for item in items:
        first_try.setdefault(item.clause_key, bool(item.is_correct))
    mastered = _mastered_keys(staff, guideline)
    required_keys = {key for chapter in required for key in chapter.clause_keys()} & set(first_try)
    from training.services import assignment_complete, assignment_to_complete

    # The training assignment this completes (its cycle is snapshotted in the record).
    assignment = assignment_to_complete(staff=staff, guideline=guideline, on=timezone.localdate(now))
    record = CompletionRecord(
        staff=staff,
        guideline=guideline,
        fiscal_year=fiscal_year,
        municipality_name=staff.municipality.name,
        staff_number=staff.staff_number,
        staff_name=staff.name,
        department_code=staff.department.code,
        department_name=staff.department.name,
        employment_type=staff.employment_type,
        # Evidence is written in Japanese whatever language the person reads the site in.
        employment_type_label=_label_ja(staff.get_employment_type_display),
        guideline_title=guideline.title,
        guideline_version=version_label,
        version=version,
        guideline_revision_id=guideline.live_revision_id,
        chapter_revisions={str(chapter.pk): chapter.live_revision_id for chapter in required},
        content_hash=_content_hash(guideline, version_label, required),
        answers=[_answer_evidence(item) for item in items],
        clauses_mastered=len(required_keys & mastered),
        clauses_total=len(required_keys),
        first_try_correct=sum(first_try[key] for key in required_keys),
        first_try_total=len(required_keys),
        completed_at=max((item.attempt.submitted_at for item in items), default=now),
        attested_at=now,
        verification_code=secrets.token_hex(6).upper(),
        cycle_id=assignment.cycle_id if assignment is not None else None,
    )
    record.save()
    if assignment is not None:
        assignment_complete(assignment=assignment, record=record)
    log(instance=record, action="quizzes.attested", user=staff.user, data={"fiscal_year": fiscal_year})
    return record


@transaction.atomic
def completion_records_purge(*, municipality, first_index: int, user=None) -> int:
    """Remove the oldest prefix of a municipality's chain, every record with chain_index below
    `first_index`, as decision 0018's retention purge says: one transaction that declares itself a
    purge (`SET LOCAL sns.allow_purge`, the only way past the trigger; run as the owner role),
    assignments no longer pointing at the removed records (their 修了 date stays, so counts hold),
    and an audit entry with the first index kept and the record_hash of the record before it, where
    `verify_records` and the next append start. Never a record from the middle. Returns how many."""
    from django.db import connection

    from training.models import Assignment

    from . import chain

    start, _previous = chain.start_of(municipality.pk)
    if first_index <= start:
        return 0
    last_removed = (
        CompletionRecord.objects.filter(municipality=municipality, chain_index=first_index - 1)
        .values("record_hash")
        .first()
    )
    if last_removed is None:
        raise QuizError(_("削除する修了記録の範囲が正しくありません。"))
    doomed = CompletionRecord.objects.filter(municipality=municipality, chain_index__lt=first_index)
    Assignment.objects.filter(completion__in=doomed).update(completion=None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL sns.allow_purge = on")
        cursor.execute(
            f"DELETE FROM {CompletionRecord._meta.db_table} WHERE municipality_id = %s AND chain_index < %s",  # noqa: S608
            [municipality.pk, first_index],
        )
        removed = cursor.rowcount
    log(
        instance=municipality,
        action=chain.PURGE_ACTION,
        user=user,
        data={
            "first_index": first_index,
            "previous_hash": last_removed["record_hash"],
            "removed_from_index": start,
            "count": removed,
        },
    )
    return removed


# 改正点の確認 (decision 0037) --------------------------------------------------------------------


def revision_questions(*, guideline_id: int, clause_keys) -> list[ScenarioQuestion]:
    """The questions of a 改正点の確認: per changed clause, the live questions the editors marked as
    covering the new text (`covers_revision`), the first one of each clause by id."""
    chosen: dict[str, ScenarioQuestion] = {}
    for question in (
        ScenarioQuestion.objects.live()
        .filter(guideline_id=guideline_id, clause_key__in=list(clause_keys), covers_revision=True)
        .prefetch_related("choices")
        .order_by("pk")
    ):
        chosen.setdefault(question.clause_key, question)
    return [chosen[key] for key in clause_keys if key in chosen]


def _revision_hash(version, keys) -> str:
    """SHA-256 over the version label and the new text of each reviewed clause."""
    digest = hashlib.sha256()
    digest.update(f"{version.guideline_id}\x1e{version.number}\x1e".encode())
    by_key = {clause["key"]: clause for clause in version.clauses}
    for key in keys:
        clause = by_key.get(key) or {}
        digest.update(f"{key}\x1e{clause.get('heading', '')}\x1e{clause.get('body', '')}\x1e".encode())
    return digest.hexdigest()


@transaction.atomic
def revision_attest(*, user, review_id: int, answers: dict[int, set[int]], version_shown: str, agreed: bool):
    """The person answers the questions on the changed clauses of their 改正点の確認 and attests to
    the new version: a RevisionAttestation linked to their completion record (which stays as it
    is). Every question must be answered correctly; a wrong or missing answer writes nothing."""
    from courses.models import GuidelineVersion
    from training.models import RevisionReview
    from training.services import revision_review_confirm

    from .models import RevisionAttestation

    staff = scoping.acting_staff(user)
    if staff is None:
        raise QuizError(_("この改正点の確認は見つかりません。"))
    _lock_person(staff.pk)
    review = (
        RevisionReview.objects.select_for_update(of=("self",))
        .filter(pk=review_id, staff_id=staff.pk)
        .select_related("version", "staff__department", "completion")
        .first()
    )
    if review is None or not review.staff.is_active:
        raise QuizError(_("この改正点の確認は見つかりません。"))
    if review.attestation_id is not None:
        return review.attestation
    version = review.version
    latest = GuidelineVersion.objects.filter(guideline_id=version.guideline_id).order_by("-number").first()
    if version_shown != str(version.number) or latest.pk != version.pk:
        raise QuizError(_("表示していたガイドラインの版が更新されました。内容を確認のうえ、もう一度誓約してください。"))
    if not agreed:
        raise QuizError(_("誓約するには、確認のチェックを入れてください。"))
    questions = revision_questions(guideline_id=version.guideline_id, clause_keys=review.clause_keys)
    evidence, wrong = [], []
    for question in questions:
        right = {choice.pk for choice in question.choices.all() if choice.is_correct}
        selected = set(answers.get(question.pk) or ())
        if selected != right:
            wrong.append(question.clause_key)
        evidence.append(
            {
                "question": question.pk,
                "question_id": question.external_id,
                "question_version": question.latest_revision_id,
                "clause": question.clause_key,
                "selected": sorted(selected),
                "correct": selected == right,
            }
        )
    if wrong:
        raise QuizError(
            _("改正後の条文に合わない回答があります（%(keys)s）。新旧対照表を読み直して、もう一度答えてください。")
            % {"keys": "、".join(wrong)}
        )
    with translation.override("ja"):
        label = str(version.label)
    attestation = RevisionAttestation(
        completion=review.completion,
        staff=review.staff,
        version=version,
        version_label=label,
        staff_number=review.staff.staff_number,
        staff_name=review.staff.name,
        department_code=review.staff.department.code,
        department_name=review.staff.department.name,
        clause_keys=list(review.clause_keys),
        content_hash=_revision_hash(version, review.clause_keys),
        answers=evidence,
        attested_at=timezone.now(),
    )
    attestation.save()
    revision_review_confirm(review=review, attestation=attestation)
    log(
        instance=attestation,
        action="quizzes.revision_attested",
        user=user,
        data={"version": version.number, "clauses": list(review.clause_keys)},
    )
    return attestation
