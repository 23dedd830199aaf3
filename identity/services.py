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


# --- How a log-in says which method it used ---------------------------------------------------------
#
# Every log-in is recorded by one receiver (identity/receivers.py, on Django's `user_logged_in`,
# which fires for allauth's form, the Wagtail admin, SSO and any `django.contrib.auth.login()`),
# so the code of a method never writes the log-in entry itself. Instead, before the user is
# logged in, it notes its method:
#
#     from identity.services import login_method_note
#     login_method_note(request=request, method=AccessEvent.Method.DIRECTORY)
#
# The note is kept in the session (it survives allauth's MFA stage, which logs the user in on a
# later request) and taken by the receiver at log-in. Without a note the method is
# `password`, except that a social log-in (allauth `pre_social_login`) notes `oidc` or `saml`
# from its provider by itself. Failures, lock-outs and refusals are recorded the same way by
# receivers; the code of a method records only the events no signal carries (e.g. "unknown
# directory user", "IdP assertion for a person not on the roster") with `access_event_record`.

LOGIN_METHOD_SESSION_KEY = "identity_login_method"


LOGIN_NOTE_SESSION_KEY = "identity_login_note"


def login_method_note(*, request, method: str, username: str = "", detail: dict | None = None) -> None:
    """Note the log-in method of the log-in in progress on this request's session (and, for the
    log, the name as the person typed it and any detail such as a password fallback)."""
    if method not in AccessEvent.Method.values:
        raise ValueError(f"unknown log-in method {method!r}")
    request.identity_login_method = method
    note = {"username": username[:150], "detail": detail or {}}
    request.identity_login_note = note
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_METHOD_SESSION_KEY] = method
        session[LOGIN_NOTE_SESSION_KEY] = note


def login_method_take(*, request) -> str:
    """The method noted for the log-in now completing (and forget it); `password` by default."""
    method = getattr(request, "identity_login_method", "") if request is not None else ""
    session = getattr(request, "session", None)
    if session is not None:
        method = session.pop(LOGIN_METHOD_SESSION_KEY, "") or method
    return method or AccessEvent.Method.PASSWORD


def login_note_take(*, request) -> dict:
    """The name typed and the detail noted with the method (and forget them)."""
    note = getattr(request, "identity_login_note", None) if request is not None else None
    session = getattr(request, "session", None)
    if session is not None:
        note = session.pop(LOGIN_NOTE_SESSION_KEY, None) or note
    return note or {}


# --- Retention -------------------------------------------------------------------------------------


def access_events_purge(*, now=None) -> dict:
    """Delete the access-log entries past their retention: each municipality's after its
    LoginPolicy.access_log_retention_days (the field's default when it has no policy row), those
    without a municipality after settings.IDENTITY_ACCESS_LOG_RETENTION_DAYS. Idempotent.
    Returns {municipality code or "": (retention days, entries deleted)}."""
    import datetime

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from people.models import Municipality

    from .models import LoginPolicy

    now = now or timezone.now()
    default_days = LoginPolicy._meta.get_field("access_log_retention_days").get_default()
    policies = dict(LoginPolicy.objects.values_list("municipality_id", "access_log_retention_days"))
    result = {}
    with transaction.atomic():
        for municipality_id, code in Municipality.objects.order_by("code").values_list("pk", "code"):
            days = policies.get(municipality_id, default_days)
            cutoff = now - datetime.timedelta(days=days)
            deleted, _ = AccessEvent.objects.filter(municipality_id=municipality_id, created_at__lt=cutoff).delete()
            result[code] = (days, deleted)
        days = settings.IDENTITY_ACCESS_LOG_RETENTION_DAYS
        cutoff = now - datetime.timedelta(days=days)
        deleted, _ = AccessEvent.objects.filter(municipality_id__isnull=True, created_at__lt=cutoff).delete()
        result[""] = (days, deleted)
    return result


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


# --- second factor and sessions (decision 0025) ----------------------------------------------------


def sessions_revoke(*, user, actor, request=None) -> int:
    """End every session of `user` (allauth.usersessions tracks them; each is deleted from the
    session store, Redis or database). Logged as sessions_revoked; returns how many ended."""
    from allauth.usersessions.models import UserSession

    from .models import AccessEvent

    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        session.end()
        ended += 1
    access_event_record(
        kind=AccessEvent.Kind.SESSIONS_REVOKED, request=request, actor=actor, subject=user, detail={"sessions": ended}
    )
    return ended


def authenticators_reset(*, user, actor, request=None) -> int:
    """Remove every authenticator of `user` (a lost phone or key): HR's reset. The person sets up
    a new one at their next admin or HR page. Logged as mfa_removed; returns how many went."""
    from allauth.mfa.models import Authenticator

    from .models import AccessEvent

    types = sorted(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
    Authenticator.objects.filter(user_id=user.pk).delete()
    access_event_record(
        kind=AccessEvent.Kind.MFA_REMOVED,
        request=request,
        actor=actor,
        subject=user,
        detail={"reset_by_admin": True, "types": types},
    )
    return len(types)
