"""The dry run of a department master and a staff roster uploaded together (the April
reorganisation, decision 0045): the master is planned first, then the roster against the
departments as the master will leave them — new codes (placeholder pks), new names, merged
departments' people already in the department they merge into. Nothing here writes."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from sns_training.dates import date_display

from ..models import Municipality, StaffMember
from .departments import department_plan
from .plan import LineError, Plan
from .reading import CREATE, MERGE, RETIRE
from .staff import StaffContext, staff_plan


@dataclass
class Reorganisation:
    """What a department master's commit will have done when the roster's lines are applied."""

    created: dict[str, str] = field(default_factory=dict)  # code → name
    names: dict[str, str] = field(default_factory=dict)  # code → name after the master
    going: dict[str, str] = field(default_factory=dict)  # code → 統合先コード ("" abolished)

    @classmethod
    def of(cls, plan: Plan) -> Reorganisation:
        after = cls()
        for row in plan.rows:
            if row.kind == CREATE:
                after.created[row.code] = row.name
            elif row.kind in (MERGE, RETIRE):
                after.going[row.code] = row.merge_into if row.kind == MERGE else ""
            else:
                after.names[row.code] = row.name
        return after

    def apply(self, context: StaffContext) -> None:
        """Make the staff planner's view of the municipality the one after the master: the new
        departments under placeholder pks (negative, never a real row's), the new names, and the
        people of a merged department in the department it merges into, without its 所属長 post
        (department_merge vacates it)."""
        context.with_master = True
        for index, (code, name) in enumerate(sorted(self.created.items()), start=1):
            # Already written when the roster is planned again inside a commit dated ahead.
            pk = context.departments.get(code, -index)
            context.departments[code] = pk
            context.department_names[pk] = (code, name)
        for code, name in self.names.items():
            pk = context.departments.get(code)
            if pk is not None:
                context.department_names[pk] = (code, name)
        moved = {}
        for code, into in self.going.items():
            pk = context.departments.pop(code, None)
            context.going[code] = into
            if pk is not None and into:
                moved[pk] = into
        for existing in context.existing.values():
            into = moved.get(existing.department_id)
            if into is None or not existing.is_active:
                continue
            while into in self.going and self.going[into]:  # merged into one that is merged on
                into = self.going[into]
            existing.department_id = context.departments[into]
            if existing.role == StaffMember.Role.DEPARTMENT_HEAD:
                existing.role = StaffMember.Role.EMPLOYEE


@dataclass
class CombinedPlan:
    """The two plans of one upload, checked and committed as one (RosterImport.Kind.REORGANISATION)."""

    departments: Plan
    staff: Plan
    kind: str = "reorganisation"

    @property
    def municipality(self) -> Municipality:
        return self.staff.municipality

    @property
    def has_errors(self) -> bool:
        return self.departments.has_errors or self.staff.has_errors

    @property
    def errors(self) -> list[LineError]:
        """Both files' error lines, each message saying which file it is about."""
        labelled = []
        for label, plan in ((_("所属マスタ"), self.departments), (_("職員名簿"), self.staff)):
            labelled += [LineError(e.line, e.key, f"【{label}】{e.message}") for e in plan.errors]
        return labelled

    @property
    def resembling(self):
        return self.staff.resembling

    @property
    def unresolved(self):
        return self.staff.unresolved

    @property
    def line_count(self) -> int:
        return self.departments.line_count + self.staff.line_count

    @property
    def encoding(self) -> str:
        return self.staff.encoding

    def counts(self) -> dict[str, int]:
        counts = {f"departments.{k}": v for k, v in self.departments.counts().items()}
        counts.update({f"staff.{k}": v for k, v in self.staff.counts().items()})
        return counts

    @property
    def digest(self) -> str:
        """Both plans; the roster's with departments by code, so the re-plan after the master's
        commit (real pks) can be held to it."""
        return hashlib.sha256(f"{self.departments.digest}\n{self.staff.digest_by_code()}".encode()).hexdigest()

    def summary(self) -> dict:
        departments, staff = self.departments.summary(), self.staff.summary()
        return {
            "kind": self.kind,
            "departments": departments,
            "staff": staff,
            "encoding_label": staff["encoding_label"],
            "lines": self.line_count,
            "error_count": departments["error_count"] + staff["error_count"],
            "resembling_count": staff["resembling_count"],
            "digest": self.digest,
        }


def combined_plan(
    *,
    municipality: Municipality,
    content: bytes,
    departments_content: bytes,
    user=None,
    on: datetime.date | None = None,
    choices: dict[int, str] | None = None,
    retire_missing: bool = False,
) -> CombinedPlan:
    """The dry run of a roster (`content`) with the department master it needs: the master
    first, then the roster as it would read once the master is in."""
    departments = department_plan(municipality=municipality, content=departments_content, user=user, on=on)
    staff = staff_plan(
        municipality=municipality,
        content=content,
        user=user,
        on=on,
        choices=choices,
        retire_missing=retire_missing,
        after=Reorganisation.of(departments),
    )
    if on is not None and on > timezone.localdate():
        dated_ahead(staff, on=on)
    return CombinedPlan(departments=departments, staff=staff)


def dated_ahead(staff: Plan, *, on: datetime.date) -> None:
    """A roster with 適用日 ahead (the April reorganisation prepared in March, decision 0045): what
    waits for the day and what cannot, said on the preview; a line changing the 役割 is refused (an
    appointment is not dated: it would make someone 所属長 of the department they still leave)."""
    refused = [row for row in staff.rows if row.line and "role" in getattr(row, "changes", {})]
    for row in refused:
        staff.errors.append(
            LineError(
                row.line,
                row.number,
                _(
                    "適用日が先の日付の取込では役割を変更できません。役割の列を現在の役割にするか、"
                    "適用日以後に画面で任命してください。"
                ),
            )
        )
    if refused:
        staff.errors.sort(key=lambda e: e.line)
        staff.rows = [row for row in staff.rows if row not in refused]
    staff.warnings.append(
        _(
            "適用日（%(date)s）が先の日付です。異動・退職、所属の名称変更・統合・上位所属の変更は適用日に反映され、"
            "それまでは報告や所属長の画面に現在の所属と職員が表示されます。"
        )
        % {"date": date_display(on)}
    )
    staff.warnings.append(
        _(
            "新規の職員と在職に戻る職員のアカウントは取り込んだ時点で作成・有効化されます（所属の履歴は適用日からで、"
            "研修の割り当ては適用日に受付中の研修が対象です）。氏名・カナ・任用形態・着任日・メールの変更も取り込んだ時点で反映されます。"
        )
    )
