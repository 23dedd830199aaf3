"""The 本人開示 file (decision 0040): everything the site holds about one person as a ZIP of CSV
files (UTF-8 with BOM, every cell through sns_training/spreadsheet.py) and a PDF summary. Built by
privacy.services.disclosure_export, which checks the scope and writes the audit entry."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from identity.models import AccessEvent
from people.models import DepartmentMembership, StaffMember
from quizzes.models import AttemptItem, ClauseProgress, CompletionRecord, QuizAttempt
from sns_training import pdf
from sns_training.spreadsheet import escape_cell
from training.models import Assignment, AssignmentException, ReminderLog


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return " / ".join(_text(item) for item in value)
    return str(value)


@dataclass
class Sheet:
    """One CSV file of the ZIP: its name, title (for the summary), header and rows."""

    name: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([escape_cell(_text(cell)) for cell in self.header])
        for row in self.rows:
            writer.writerow([escape_cell(_text(cell)) for cell in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def _profile(staff: StaffMember) -> Sheet:
    user = staff.user
    sheet = Sheet("01_profile.csv", _("本人の登録情報"), [_("項目"), _("値")])
    sheet.rows = [
        [_("自治体"), staff.municipality.name],
        [_("職員番号"), staff.staff_number],
        [_("氏名"), staff.name],
        [_("カナ"), staff.kana],
        [_("所属コード"), staff.department.code],
        [_("所属名"), staff.department.name],
        [_("任用形態"), staff.get_employment_type_display()],
        [_("着任日"), staff.start_date],
        [_("役割"), staff.get_role_display()],
        [_("在職"), staff.is_active],
        [_("公式アカウント運用者"), staff.operates_official_account],
        [_("ログイン名"), user.username],
        [_("メールアドレス"), user.email],
        [_("最終ログイン"), user.last_login],
        [_("登録日時"), user.date_joined],
    ]
    return sheet


def _departments(staff) -> Sheet:
    sheet = Sheet("02_department_history.csv", _("所属履歴"), [_("所属コード"), _("所属名"), _("開始日"), _("終了日")])
    for row in DepartmentMembership.objects.filter(staff=staff).select_related("department").order_by("valid_from"):
        sheet.rows.append([row.department.code, row.department.name, row.valid_from, row.valid_to])
    return sheet


def _attempts(staff) -> tuple[Sheet, Sheet]:
    attempts = Sheet(
        "03_attempts.csv",
        _("受験記録"),
        [_("受験ID"), _("ガイドライン"), _("章"), _("状態"), _("開始日時"), _("提出日時"), _("正答数"), _("出題数")],
    )
    queryset = QuizAttempt.objects.filter(staff=staff).select_related("guideline", "chapter").order_by("started_at")
    for attempt in queryset:
        attempts.rows.append(
            [
                attempt.pk,
                attempt.guideline.title,
                attempt.chapter.title,
                attempt.get_state_display(),
                attempt.started_at,
                attempt.submitted_at,
                attempt.correct_count,
                attempt.question_count,
            ]
        )
    answers = Sheet(
        "04_answers.csv",
        _("回答"),
        [_("受験ID"), _("順番"), _("条項キー"), _("設問ID"), _("問い"), _("選んだ選択肢"), _("正誤")],
    )
    items = (
        AttemptItem.objects.filter(attempt__staff=staff)
        .select_related("question")
        .prefetch_related("question__choices")
        .order_by("attempt__started_at", "position")
    )
    for item in items:
        texts = {choice.pk: choice.text for choice in item.question.choices.all()}
        chosen = [texts.get(pk, str(pk)) for pk in item.selected]
        correct = "" if item.is_correct is None else (_("正解") if item.is_correct else _("不正解"))
        answers.rows.append(
            [
                item.attempt_id,
                item.position,
                item.clause_key,
                item.question.external_id,
                item.question.prompt,
                chosen,
                correct,
            ]
        )
    return attempts, answers


def _progress(staff) -> Sheet:
    sheet = Sheet(
        "05_clause_progress.csv", _("条項ごとの習得状況"), [_("年度"), _("条項キー"), _("状態"), _("更新日時")]
    )
    for row in ClauseProgress.objects.filter(staff=staff).order_by("fiscal_year", "clause_key"):
        sheet.rows.append([row.fiscal_year, row.clause_key, row.get_state_display(), row.updated_at])
    return sheet


def _records(staff) -> Sheet:
    sheet = Sheet(
        "06_completion_records.csv",
        _("修了記録"),
        [
            _("年度"),
            _("ガイドライン"),
            _("版"),
            _("職員番号"),
            _("氏名"),
            _("所属コード"),
            _("所属名"),
            _("任用形態"),
            _("修了日時"),
            _("誓約日時"),
            _("確認コード"),
            _("習得した条項"),
            _("条項数"),
            _("初回正答数"),
            _("初回出題数"),
            _("回答（記録時）"),
        ],
    )
    for record in CompletionRecord.objects.filter(staff=staff).order_by("fiscal_year", "attested_at"):
        answers = [f"{a.get('clause', '')}:{'○' if a.get('correct') else '×'}" for a in record.answers or []]
        sheet.rows.append(
            [
                record.fiscal_year_label,
                record.guideline_title,
                record.guideline_version,
                record.staff_number,
                record.staff_name,
                record.department_code,
                record.department_name,
                record.employment_type_label,
                record.completed_at,
                record.attested_at,
                record.verification_code,
                record.clauses_mastered,
                record.clauses_total,
                record.first_try_correct,
                record.first_try_total,
                answers,
            ]
        )
    return sheet


def _assignments(staff) -> tuple[Sheet, Sheet, Sheet]:
    assignments = Sheet(
        "07_assignments.csv",
        _("研修の割当て"),
        [
            _("年度"),
            _("対象となった理由"),
            _("対象となった日"),
            _("受講期限"),
            _("延長前の受講期限"),
            _("修了日時"),
            _("免除日時"),
            _("免除の理由"),
            _("取消日時"),
        ],
    )
    for row in Assignment.objects.filter(staff=staff).select_related("cycle").order_by("cycle__fiscal_year", "pk"):
        assignments.rows.append(
            [
                row.cycle.fiscal_year_label,
                row.get_reason_display(),
                row.assigned_on,
                row.due_on,
                row.extended_from,
                row.completed_at,
                row.exempted_at,
                row.get_exemption_reason_display(),
                row.withdrawn_at,
            ]
        )
    exceptions = Sheet(
        "08_exceptions.csv",
        _("期限の延長・免除"),
        [_("年度"), _("種類"), _("理由"), _("備考"), _("変更前の受講期限"), _("変更後の受講期限"), _("日時")],
    )
    queryset = AssignmentException.objects.filter(assignment__staff=staff).select_related("assignment__cycle")
    for row in queryset.order_by("created_at"):
        exceptions.rows.append(
            [
                row.assignment.cycle.fiscal_year_label,
                row.get_kind_display(),
                row.get_reason_display(),
                row.note,
                row.due_before,
                row.due_after,
                row.created_at,
            ]
        )
    reminders = Sheet("09_reminders.csv", _("督促"), [_("年度"), _("種類"), _("送信予定日"), _("宛先"), _("送信日時")])
    for row in ReminderLog.objects.filter(staff=staff).select_related("cycle").order_by("sent_on", "pk"):
        reminders.rows.append(
            [row.cycle.fiscal_year_label, row.get_kind_display(), row.sent_on, row.recipient, row.sent_at]
        )
    return assignments, exceptions, reminders


def _access_log(staff) -> Sheet:
    sheet = Sheet(
        "10_access_log.csv",
        _("アクセス記録"),
        [_("日時"), _("種類"), _("方法"), _("入力されたログイン名"), _("接続元アドレス"), _("本人の操作")],
    )
    user_id = staff.user_id
    events = AccessEvent.objects.filter(Q(subject_id=user_id) | Q(actor_id=user_id)).order_by("created_at", "pk")
    for event in events:
        sheet.rows.append(
            [
                event.created_at,
                event.get_kind_display(),
                event.get_method_display() if event.method else "",
                event.username,
                event.ip_address,
                event.actor_id == user_id,
            ]
        )
    return sheet


def audit_entries_about(staff):
    """Wagtail audit entries whose object is the person, their user or one of their records."""
    types = ContentType.objects.get_for_models(StaffMember, CompletionRecord, type(staff.user))
    record_ids = [str(pk) for pk in CompletionRecord.objects.filter(staff=staff).values_list("pk", flat=True)]
    return ModelLogEntry.objects.filter(
        Q(content_type=types[StaffMember], object_id=str(staff.pk))
        | Q(content_type=types[type(staff.user)], object_id=str(staff.user_id))
        | Q(content_type=types[CompletionRecord], object_id__in=record_ids)
    )


def _audit(staff) -> Sheet:
    from wagtail.log_actions import registry

    sheet = Sheet("11_audit_log.csv", _("操作記録（本人に関するもの）"), [_("日時"), _("操作"), _("実行者"), _("対象")])
    for entry in audit_entries_about(staff).select_related("user").order_by("timestamp", "pk"):
        action = registry.get_action_label(entry.action) if registry.action_exists(entry.action) else entry.action
        sheet.rows.append([entry.timestamp, action, entry.user.get_username() if entry.user else "", entry.label])
    return sheet


def sheets_of(staff: StaffMember) -> list[Sheet]:
    attempts, answers = _attempts(staff)
    assignments, exceptions, reminders = _assignments(staff)
    return [
        _profile(staff),
        _departments(staff),
        attempts,
        answers,
        _progress(staff),
        _records(staff),
        assignments,
        exceptions,
        reminders,
        _access_log(staff),
        _audit(staff),
    ]


def summary_pdf(staff: StaffMember, sheets: list[Sheet], *, made_at, made_by: str, requested_by_self: bool) -> bytes:
    url = pdf.font_url()
    html = render_to_string(
        "privacy/disclosure_summary_pdf.html",
        {
            "staff": staff,
            "sheets": sheets,
            "made_at": timezone.localtime(made_at),
            "made_by": made_by,
            "requested_by_self": requested_by_self,
            "font_url": url,
        },
    )
    return pdf.html_to_pdf(html, url_of_font=url)


def build_zip(staff: StaffMember, *, made_by: str, requested_by_self: bool) -> tuple[bytes, dict[str, int]]:
    """The ZIP and the number of rows per file (for the audit entry)."""
    sheets = sheets_of(staff)
    made_at = timezone.now()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "00_summary.pdf",
            summary_pdf(staff, sheets, made_at=made_at, made_by=made_by, requested_by_self=requested_by_self),
        )
        for sheet in sheets:
            archive.writestr(sheet.name, sheet.csv_bytes())
    return buffer.getvalue(), {sheet.name: len(sheet.rows) for sheet in sheets}
