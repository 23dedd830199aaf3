"""The personnel record (人事記録): one person's training across every 年度 with each completion's
evidence (reports/views/personnel.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from people.models import DepartmentMembership, Municipality, StaffMember
from people.selectors import department_name_on
from quizzes.models import ClauseProgress, CompletionRecord, ScenarioQuestion
from sns_training.fiscal_year import fiscal_year_label
from training.models import Assignment, AssignmentException
from training.status import status_on

from ..exports import Column, Kind
from .common import STATUS_LABELS, Status


def staff_search(*, municipality: Municipality) -> QuerySet[StaffMember]:
    """The municipality's people, retired ones included: a personnel file outlives employment."""
    return StaffMember.objects.filter(municipality=municipality).select_related("department")


@dataclass
class AnswerEvidence:
    question_id: str
    prompt: str
    version: int | None
    clause: str
    selected: list
    correct: bool | None
    submitted_at: datetime.datetime | None  # aware; the template shows it in Asia/Tokyo


@dataclass
class RecordEvidence:
    record: CompletionRecord
    answers: list[AnswerEvidence]


@dataclass
class YearEntry:
    """One guideline in one 年度: the assignment (if the person was in a cycle) and the
    completion record (if they completed)."""

    fiscal_year: int
    guideline_title: str
    assignment: Assignment | None
    evidence: RecordEvidence | None

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def status_label(self) -> str:
        if self.assignment is not None:
            return str(STATUS_LABELS[self.assignment.status])
        return str(STATUS_LABELS[Status.COMPLETED]) if self.evidence else ""

    @property
    def exception_label(self) -> str:
        """The exception in force (decision 0030): 免除（理由） or 期限延長（元の期限）."""
        a = self.assignment
        if a is None:
            return ""
        if a.exempted_at is not None:
            return f"{_('免除')}（{a.get_exemption_reason_display()}）"
        if a.extended_from is not None:
            return f"{_('期限延長')}（{_('元の期限')} {a.extended_from.isoformat()}）"
        return ""


@dataclass
class ClauseMastery:
    """One guideline's clauses across the 年度 a person trained in: per clause and 年度, mastered
    at the first try, mastered after a miss, or missed (decision 0019)."""

    guideline_title: str
    years: list[int]
    rows: list[tuple[str, list[str]]]  # clause key, a label per year ("" = not answered)

    @property
    def year_labels(self) -> list[str]:
        return [fiscal_year_label(year) for year in self.years]


@dataclass
class PersonnelRecord:
    staff: StaffMember
    years: list[YearEntry]
    memberships: list[DepartmentMembership]
    mastery: list[ClauseMastery] = field(default_factory=list)
    exceptions: list[AssignmentException] = field(default_factory=list)


def _clause_order(key: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in key.split("-"))


def clause_mastery(*, staff: StaffMember) -> list[ClauseMastery]:
    """Clause mastery across years for one person, per guideline (one query)."""
    labels = {
        "first": str(_("初回で習得")),
        "later": str(_("再挑戦で習得")),
        "missed": str(_("未習得")),
    }
    cells: dict[tuple[int, str], dict[str, dict[int, str]]] = {}
    for guideline_id, title, year, key, state, first_missed in ClauseProgress.objects.filter(staff=staff).values_list(
        "guideline_id", "guideline__title", "fiscal_year", "clause_key", "state", "first_attempt_missed"
    ):
        if state == ClauseProgress.State.MASTERED:
            label = labels["later"] if first_missed else labels["first"]
        else:
            label = labels["missed"]
        cells.setdefault((guideline_id, title), {}).setdefault(key, {})[year] = label
    result = []
    for (_pk, title), by_clause in sorted(cells.items(), key=lambda item: item[0][1]):
        years = sorted({year for per_year in by_clause.values() for year in per_year})
        rows = [(key, [by_clause[key].get(year, "") for year in years]) for key in sorted(by_clause, key=_clause_order)]
        result.append(ClauseMastery(title, years, rows))
    return result


def _answer_time(value: str | None) -> datetime.datetime | None:
    """An answer's time as the record snapshots it (ISO 8601 with its offset, written in UTC), as
    an aware datetime for the template to show in the site's zone; None when missing or unreadable."""
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def personnel_record(*, staff: StaffMember, on: datetime.date) -> PersonnelRecord:
    """One person's training across every 年度: assignments with their status on `on`, completion
    records with their evidence, the department history, clause mastery across years and the
    exceptions HR made (期限延長・免除), with each record's 改正点の確認 attestations. Seven queries."""
    assignments = list(
        Assignment.objects.filter(staff=staff)
        .annotate(status=status_on(on))
        .select_related("cycle__guideline")
        .order_by("-cycle__fiscal_year", "cycle_id")
    )
    records = list(
        CompletionRecord.objects.filter(staff=staff)
        .prefetch_related("amendments")  # 改正点の確認 attestations (decision 0037)
        .order_by("-fiscal_year", "guideline_id")
    )
    question_ids = {answer.get("question") for record in records for answer in record.answers or []}
    prompts = dict(ScenarioQuestion.objects.filter(pk__in=question_ids - {None}).values_list("pk", "prompt"))
    memberships = list(
        DepartmentMembership.objects.filter(staff=staff)
        .select_related("department")
        .annotate(department_name_then=department_name_on(department="department", day="valid_from"))
        .order_by("-valid_from")
    )
    evidence = {}
    for record in records:
        evidence[(record.fiscal_year, record.guideline_id)] = RecordEvidence(
            record,
            [
                AnswerEvidence(
                    question_id=answer.get("question_id", ""),
                    prompt=prompts.get(answer.get("question"), ""),
                    version=answer.get("question_version"),
                    clause=answer.get("clause", ""),
                    selected=list(answer.get("selected") or []),
                    correct=answer.get("correct"),
                    submitted_at=_answer_time(answer.get("submitted_at")),
                )
                for answer in record.answers or []
            ],
        )
    years = []
    for assignment in assignments:
        key = (assignment.cycle.fiscal_year, assignment.cycle.guideline_id)
        years.append(YearEntry(key[0], assignment.cycle.guideline.title, assignment, evidence.pop(key, None)))
    for (year, _guideline), item in evidence.items():  # completed outside any cycle
        years.append(YearEntry(year, item.record.guideline_title, None, item))
    years.sort(key=lambda y: (-y.fiscal_year, y.guideline_title))
    exceptions = list(
        AssignmentException.objects.filter(assignment__staff=staff)
        .select_related("assignment__cycle__guideline", "created_by")
        .order_by("-created_at", "-pk")
    )
    return PersonnelRecord(
        staff=staff, years=years, memberships=memberships, mastery=clause_mastery(staff=staff), exceptions=exceptions
    )


PERSONNEL_COLUMNS = (
    Column(_("職員番号"), Kind.CODE),
    Column(_("氏名"), Kind.TEXT, width=16),
    Column(_("年度"), Kind.TEXT, width=12),
    Column(_("ガイドライン"), Kind.TEXT, width=30),
    Column(_("状況"), Kind.TEXT, width=10),
    Column(_("受講期限"), Kind.DATE),
    Column(_("所属（修了時）"), Kind.TEXT),
    Column(_("修了日時"), Kind.DATETIME),
    Column(_("誓約日時"), Kind.DATETIME),
    Column(_("版"), Kind.TEXT, width=16),
    Column(_("ガイドラインの改訂ID"), Kind.CODE),
    Column(_("章の改訂ID"), Kind.TEXT, width=24),
    Column(_("条文のハッシュ（SHA-256）"), Kind.CODE, width=66),
    Column(_("確認コード"), Kind.CODE),
    Column(_("初回正答率（%）"), Kind.NUMBER),
    Column(_("回答（設問ID・版・条項・選択・正誤）"), Kind.TEXT, width=80),
    Column(_("例外（期限延長・免除）"), Kind.TEXT, width=30),
)


def personnel_export_rows(record: PersonnelRecord) -> list[tuple]:
    """One row per 年度 and guideline; the answers in one cell as 設問ID:v版:条項:選択:正誤."""
    staff = record.staff
    right, wrong = str(_("正")), str(_("誤"))
    rows = []
    for year in record.years:
        evidence = year.evidence
        r = evidence.record if evidence else None
        answers = (
            "; ".join(
                f"{a.question_id}:v{a.version}:{a.clause}:{','.join(map(str, a.selected))}:{right if a.correct else wrong}"
                for a in evidence.answers
            )
            if evidence
            else None
        )
        rows.append(
            (
                staff.staff_number,
                staff.name,
                year.fiscal_year_label,
                year.guideline_title,
                year.status_label,
                year.assignment.due_on if year.assignment else None,
                f"{r.department_name}（{r.department_code}）" if r else None,
                r.completed_at if r else None,
                r.attested_at if r else None,
                r.guideline_version if r else None,
                r.guideline_revision_id if r else None,
                ", ".join(f"{k}:{v}" for k, v in sorted(r.chapter_revisions.items())) if r else None,
                r.content_hash if r else None,
                r.verification_code if r else None,
                r.first_try_percent if r else None,
                answers,
                year.exception_label or None,
            )
        )
    return rows
