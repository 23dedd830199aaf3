"""Who hears of an overdue person, in one place (docs/decisions/0011, 0032): the nearest 所属長
with e-mail from the person's own department upwards, else HR. The escalation mail
(training/reminders.py) and HR's list of people without a 所属長 (training/selectors.py) both ask
here, so a person is always on exactly one of the two."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from people.models import Department, StaffMember


@dataclass(frozen=True)
class Head:
    staff_id: int
    name: str
    email: str


def heads_by_department(municipality_id: int) -> dict[int, list[Head]]:
    """Active 所属長 with an e-mail address, by department (one query)."""
    heads: dict[int, list[Head]] = defaultdict(list)
    for pk, department_id, name, email in (
        StaffMember.objects.filter(
            municipality_id=municipality_id, role=StaffMember.Role.DEPARTMENT_HEAD, is_active=True
        )
        .exclude(user__email="")
        .values_list("pk", "department_id", "name", "user__email")
    ):
        heads[department_id].append(Head(pk, name, email))
    return heads


def department_names(heads: dict[int, list[Head]]) -> dict[int, str]:
    return dict(Department.objects.filter(pk__in=heads.keys()).values_list("pk", "name"))


def head_department(path: str, staff_pk: int, heads: dict[int, list[Head]]) -> int | None:
    """The nearest department, from the person's own up, with a 所属長 other than the person; None
    when nobody above them will hear (HR does: decision 0032)."""
    for department_id in reversed([int(part) for part in path.strip("/").split("/") if part]):
        if any(head.staff_id != staff_pk for head in heads.get(department_id, ())):
            return department_id
    return None


def hr_recipients(municipality_id: int) -> list[Head]:
    """HR of the municipality with an e-mail address: they hear of people without a 所属長."""
    return [
        Head(pk, name, email)
        for pk, name, email in StaffMember.objects.filter(
            municipality_id=municipality_id, role=StaffMember.Role.HR, is_active=True
        )
        .exclude(user__email="")
        .order_by("staff_number")
        .values_list("pk", "name", "user__email")
    ]
