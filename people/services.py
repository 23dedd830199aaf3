"""Writes for municipalities, departments and staff. Views and commands call these, never .save()."""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Department, Municipality, StaffMember, User, login_username


class PeopleError(Exception):
    """A write to people data was refused; the message is shown to the user as is."""


def municipality_get_or_create(*, code: str, name: str, slug: str) -> Municipality:
    municipality, _created = Municipality.objects.get_or_create(code=code, defaults={"name": name, "slug": slug})
    return municipality


@transaction.atomic
def department_create(
    *, municipality: Municipality, code: str, name: str, parent: Department | None = None
) -> Department:
    if parent is not None and parent.municipality_id != municipality.pk:
        raise PeopleError(_("上位所属が別の自治体に属しています。"))
    department = Department(municipality=municipality, code=code, name=name, parent=parent)
    try:
        department.full_clean(exclude=["path"])
    except ValidationError as exc:
        raise PeopleError("；".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    department.path = "/"
    department.save()
    prefix = parent.path if parent else "/"
    department.path = f"{prefix}{department.pk}/"
    department.depth = (parent.depth + 1) if parent else 1
    department.save(update_fields=["path", "depth"])
    return department


@transaction.atomic
def staff_create(
    *,
    municipality: Municipality,
    staff_number: str,
    name: str,
    department: Department,
    start_date: datetime.date,
    kana: str = "",
    email: str = "",
    employment_type: str = StaffMember.EmploymentType.REGULAR,
    role: str = StaffMember.Role.EMPLOYEE,
    operates_official_account: bool = False,
    password: str | None = None,
    password_hash: str | None = None,
) -> StaffMember:
    """Create a staff member and the user they log in with (e-mail, or municipality + 職員番号)."""
    if department.municipality_id != municipality.pk:
        raise PeopleError(_("所属が別の自治体に属しています。"))
    username = login_username(municipality.code, staff_number)
    if User.objects.filter(username=username).exists():
        raise PeopleError(_("職員番号 %(number)s は既に登録されています。") % {"number": staff_number})
    if email and EmailAddress.objects.filter(email__iexact=email).exists():
        # One address, one account: otherwise e-mail log-in is ambiguous and the insert fails.
        raise PeopleError(_("メールアドレス %(email)s は既に登録されています。") % {"email": email.lower()})
    user = User(username=username, email=email.lower(), first_name=name[:150], last_name="")
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    staff = StaffMember(
        user=user,
        municipality=municipality,
        staff_number=staff_number,
        name=name,
        kana=kana,
        department=department,
        employment_type=employment_type,
        role=role,
        operates_official_account=operates_official_account,
        start_date=start_date,
    )
    try:
        staff.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise PeopleError("；".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    staff.save()
    if email:
        EmailAddress.objects.create(user=user, email=email.lower(), primary=True, verified=True)
    return staff
