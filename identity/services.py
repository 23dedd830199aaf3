"""Writes of the identity app. `access_event_record` is the one way an access-log entry is
written (issue 12: who, when, from which address, by which method)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people import scoping
from people.adapters import client_ip
from people.models import StaffMember, login_username

from .models import AccessEvent, LoginPolicy, SetupCode
from .setup_codes import setup_code_expiry, setup_code_generate, setup_code_hash, setup_code_hashes


def _municipality_id_of(user) -> int | None:
    staff = getattr(user, "staff_profile", None) if user is not None else None
    return getattr(staff, "municipality_id", None)


def access_event_record(
    *,
    kind: str,
    request=None,
    actor=None,
    subject=None,
    municipality_id: int | None = None,
    method: str = "",
    username: str = "",
    detail: dict | None = None,
) -> AccessEvent:
    """Log one access event. The municipality is the subject's, else the actor's, unless given;
    the address is the client's as `people.adapters.client_ip` reads it (trusted proxies only)."""
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    if municipality_id is None:
        municipality_id = _municipality_id_of(subject) or _municipality_id_of(actor)
    return AccessEvent.objects.create(
        kind=kind,
        method=method,
        municipality_id=municipality_id,
        actor=actor,
        subject=subject,
        username=username[:150],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail or {},
    )


# --- first-access codes for staff without a mailbox (docs/decisions/0026-letters.md) ---------------


class SetupCodeError(Exception):
    """A setup code refused, or a password not accepted; `str()` is the Japanese message to show."""

    def __init__(self, message, *, messages: list[str] | None = None, field: str | None = None):
        super().__init__(str(message))
        self.messages = messages or [str(message)]
        self.field = field  # "password" when the password, not the code, was refused


SETUP_CODE_GENERIC_ERROR = _(
    "初回設定コードを確認できませんでした。自治体・職員番号・コードをご確認ください。"
    "コードの有効期限が切れた場合や、既に使った場合は、人事担当に新しい通知書の発行を依頼してください。"
)


@dataclass(frozen=True)
class IssuedSetupCode:
    """One code as issued: the only moment the plain code exists (it goes on the letter)."""

    staff: StaffMember
    code: str
    expires_at: datetime.datetime


def passwords_in_use(policy: LoginPolicy) -> bool:
    """Whether the municipality's staff log in with a password at all (always, or when the
    directory is down): where they do not, a letter would set a password nobody can use."""
    return policy.password_allowed or policy.password_when_directory_down


def setup_code_privileged(staff: StaffMember) -> bool:
    """Whether a code would hand over an account that can read or change others' records (HR, an
    admin user, a member of any admin group such as editors and approvers): only the platform admin
    issues those, so HR cannot take over a colleague's privileged account with a letter."""
    user = staff.user
    return bool(staff.role == StaffMember.Role.HR or user.is_superuser or user.is_staff or len(user.groups.all()) > 0)


def setup_codes_issue(*, issued_by, staff_qs: QuerySet, request=None) -> list[IssuedSetupCode]:
    """Issue a new code to each active person of `staff_qs` (one person, a selection or a whole
    department), revoking their older codes. Only HR of those people's municipality (or the
    platform admin) may: anyone else, or any person outside the issuer's municipality, raises
    SetupCodeError and nothing is issued. HR skips privileged people (setup_code_privileged)."""
    if not issued_by.has_perm("identity.issue_setupcode"):
        raise SetupCodeError(_("初回ログイン用の通知書を発行する権限がありません。"))
    wanted = set(staff_qs.values_list("pk", flat=True))
    in_scope = scoping.within_municipality(StaffMember.objects.filter(pk__in=wanted), issued_by)
    if not wanted or in_scope.count() != len(wanted):
        raise SetupCodeError(_("発行できない職員が含まれています。"))
    now = timezone.now()
    issued: list[IssuedSetupCode] = []
    with transaction.atomic():
        staff_rows = list(
            StaffMember.objects.select_for_update(of=("self",))
            .filter(pk__in=wanted, is_active=True)
            .select_related("municipality", "department", "user")
            .prefetch_related("user__groups")
            .order_by("department__code", "staff_number")
        )
        if not scoping.viewer_of(issued_by).platform_admin:
            staff_rows = [staff for staff in staff_rows if not setup_code_privileged(staff)]
        if not staff_rows:
            raise SetupCodeError(
                _("発行できる職員が含まれていません（退職者と、管理権限のある職員には発行できません）。")
            )
        SetupCode.objects.live().filter(staff__in=staff_rows).update(revoked_at=now)
        policies = {m: LoginPolicy.for_municipality(m) for m in {staff.municipality_id for staff in staff_rows}}
        if not all(passwords_in_use(policy) for policy in policies.values()):
            raise SetupCodeError(
                _("この自治体はパスワードでログインしない設定のため、初回ログイン用の通知書は発行できません。")
            )
        for staff in staff_rows:
            policy = policies[staff.municipality_id]
            expires_at = setup_code_expiry(issued=now, valid_days=policy.setup_code_valid_days)
            code = setup_code_generate()
            SetupCode.objects.create(
                staff=staff, code_hash=setup_code_hash(code), expires_at=expires_at, issued_by=issued_by
            )
            issued.append(IssuedSetupCode(staff=staff, code=code, expires_at=expires_at))
        for item in issued:
            access_event_record(
                kind=AccessEvent.Kind.SETUP_CODE_ISSUED,
                request=request,
                actor=issued_by,
                subject=item.staff.user,
                municipality_id=item.staff.municipality_id,
                method=AccessEvent.Method.SETUP_CODE,
                username=item.staff.user.username,
                detail={"expires_at": item.expires_at.isoformat()},
            )
    return issued


def _setup_code_refuse(*, request, municipality, staff_number: str, reason: str, subject=None) -> SetupCodeError:
    access_event_record(
        kind=AccessEvent.Kind.SETUP_CODE_REFUSED,
        request=request,
        subject=subject,
        municipality_id=getattr(municipality, "pk", None),
        method=AccessEvent.Method.SETUP_CODE,
        username=login_username(municipality.code, staff_number) if municipality is not None else staff_number,
        detail={"reason": reason},
    )
    return SetupCodeError(SETUP_CODE_GENERIC_ERROR)


def _setup_code_spent(row: SetupCode, now) -> str:
    """Why a code that matched can no longer be used ("" when it can)."""
    if row.used_at is not None:
        return "used"
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    return ""


def setup_code_redeem(*, municipality, staff_number: str, code: str, password: str, request=None):
    """Set the password of the person the code was issued to and use the code up. Every refusal
    (unknown person, wrong, expired, used, revoked or another person's code) raises the same
    SetupCodeError and logs the reason; a password the validators refuse raises their messages
    and leaves the code usable."""
    staff_number = (staff_number or "").strip()
    hashes = setup_code_hashes(code)
    staff = (
        StaffMember.objects.filter(municipality=municipality, staff_number=staff_number).select_related("user").first()
        if municipality is not None and staff_number
        else None
    )
    subject = staff.user if staff is not None else None
    refuse = partial(_setup_code_refuse, request=request, municipality=municipality, staff_number=staff_number)
    if staff is None or not staff.is_active or not staff.user.is_active:
        raise refuse(reason="unknown_staff" if staff is None else "inactive", subject=subject)
    found = SetupCode.objects.filter(code_hash__in=hashes).select_related("staff").first() if hashes else None
    if found is None:
        raise refuse(reason="wrong_code", subject=subject)
    if found.staff_id != staff.pk:
        other = "other_municipality" if found.staff.municipality_id != staff.municipality_id else "other_staff"
        raise refuse(reason=other, subject=subject)
    if not passwords_in_use(LoginPolicy.for_municipality(staff.municipality_id)):
        raise refuse(reason="password_not_allowed", subject=subject)
    if reason := _setup_code_spent(found, timezone.now()):
        raise refuse(reason=reason, subject=subject)
    try:
        password_validation.validate_password(password, staff.user)
    except ValidationError as exc:
        raise SetupCodeError(exc.messages[0], messages=list(exc.messages), field="password") from exc
    now = timezone.now()
    with transaction.atomic():
        row = SetupCode.objects.select_for_update().get(pk=found.pk)
        reason = _setup_code_spent(row, now)  # again under the lock: two tabs, one code
        if not reason:
            row.used_at = now
            row.save(update_fields=["used_at"])
            user = staff.user
            user.set_password(password)
            user.save(update_fields=["password"])
            access_event_record(
                kind=AccessEvent.Kind.SETUP_CODE_USED,
                request=request,
                subject=user,
                actor=user,
                municipality_id=staff.municipality_id,
                method=AccessEvent.Method.SETUP_CODE,
                username=user.username,
            )
    if reason:
        raise refuse(reason=reason, subject=subject)
    return staff.user
