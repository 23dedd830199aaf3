"""Writes of personal-data handling (decision 0040): the 本人開示 export (logged), the retention
policy and its daily application, and the erasure of a person who left. Scoping through
people/scoping.py (privacy/selectors.py); each write is atomic and audited."""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from identity.models import AccessEvent
from people import scoping
from people.models import Municipality, StaffMember
from quizzes.models import AttemptItem, CompletionRecord
from sns_training.fiscal_year import fiscal_year_of, fiscal_year_start
from training.models import AssignmentException, ReminderLog

from . import disclosure
from .models import Erasure, RetentionPolicy

ERASED_NAME = "（消去済み）"
REASON_MAX = 200


class PrivacyError(Exception):
    """A personal-data request that cannot be done, with a Japanese message for the user."""


# --- 本人開示 ------------------------------------------------------------------------------------


def disclosure_export(*, user, staff: StaffMember, reason: str = "") -> tuple[bytes, str]:
    """Everything held about `staff` as a ZIP: for the person themselves (no reason needed), or
    for HR of their municipality / the platform admin on a written request (`reason`). The audit
    entry is written before the bytes leave. Returns (zip bytes, file name)."""
    viewer = scoping.viewer_of(user)
    own = viewer.staff_id == staff.pk
    if not own:
        if not (viewer.platform_admin or (viewer.is_hr and viewer.municipality_id == staff.municipality_id)):
            raise PrivacyError(_("この職員の個人情報を開示する権限がありません。"))
        reason = (reason or "").strip()
        if not reason:
            raise PrivacyError(_("開示の請求内容（受付番号など）を入力してください。"))
        if len(reason) > REASON_MAX:
            raise PrivacyError(_("開示の請求内容は200文字以内で入力してください。"))
    made_by = user.get_username()
    content, counts = disclosure.build_zip(staff, made_by=made_by, requested_by_self=own)
    data = {"files": counts, "self": own}
    if reason:
        data["reason"] = reason
    log(instance=staff, action="privacy.disclosure_exported", user=user, data=data)
    day = timezone.localdate().strftime("%Y%m%d")
    return content, f"disclosure-{staff.municipality.code}-{staff.staff_number}-{day}.zip"


# --- Retention -----------------------------------------------------------------------------------


@transaction.atomic
def retention_policy_update(
    *, user, municipality: Municipality, record_years: int, attempt_years: int, log_years: int
) -> RetentionPolicy:
    """HR of the municipality or the platform admin sets the periods; logged with old and new."""
    if not scoping.is_within_municipality(user, municipality.pk) or not (
        user.is_superuser or scoping.viewer_of(user).is_hr
    ):
        raise PrivacyError(_("この自治体の保存期間を変更する権限がありません。"))
    for value in (record_years, attempt_years, log_years):
        if not isinstance(value, int) or not 1 <= value <= 100:
            raise PrivacyError(_("保存年数は1〜100の整数で入力してください。"))
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(municipality=municipality)
    before = {"record_years": policy.record_years, "attempt_years": policy.attempt_years, "log_years": policy.log_years}
    after = {"record_years": record_years, "attempt_years": attempt_years, "log_years": log_years}
    for name, value in after.items():
        setattr(policy, name, value)
    policy.updated_by = user
    policy.save()
    log(instance=municipality, action="privacy.retention_changed", user=user, data={"before": before, "after": after})
    return policy


def kept_from(today: datetime.date, years: int) -> int:
    """The oldest 年度 still kept on `today` when `years` 年度 are kept after the one a row belongs
    to: on 1 April 2026 with 5 years, 年度 2020 has gone and 2021 is the oldest kept."""
    return fiscal_year_of(today) - years


def _first_index_to_keep(municipality: Municipality, oldest_kept_year: int) -> int | None:
    """The chain index before which every record is past retention: the index of the first record
    (in chain order) still within it, or one past the last when all are past. None: nothing to do."""
    records = CompletionRecord.objects.filter(municipality=municipality)
    keep = (
        records.filter(fiscal_year__gte=oldest_kept_year).order_by("chain_index").values_list("chain_index", flat=True)
    )
    first_kept = keep.first()
    if first_kept is not None:
        return first_kept
    last = records.order_by("-chain_index").values_list("chain_index", flat=True).first()
    return None if last is None else last + 1


def retention_apply(*, municipality: Municipality, today: datetime.date | None = None) -> dict[str, int]:
    """Apply the municipality's retention on `today` (the daily `apply_retention`): remove the
    oldest completion records past the personnel-record period (the chain's prefix, never a record
    still within it), erase the answers chosen in attempts past theirs (scores and per-question
    right/wrong stay, so the reports count the same), delete access-log entries and blank reminder
    addresses and exception notes past the log period. Idempotent; one audit entry when anything
    changed. One transaction per municipality: a failure (the application's role may not delete
    records) changes nothing."""
    from quizzes.services import completion_records_purge

    today = today or timezone.localdate()
    policy = RetentionPolicy.for_municipality(municipality)
    result = {"records": 0, "answers": 0, "access_events": 0, "reminders": 0, "exception_notes": 0}
    with transaction.atomic():
        first_index = _first_index_to_keep(municipality, kept_from(today, policy.record_years))
        if first_index is not None:
            result["records"] = completion_records_purge(municipality=municipality, first_index=first_index)

        attempts_before = fiscal_year_start(kept_from(today, policy.attempt_years))
        items = AttemptItem.objects.filter(
            attempt__staff__municipality=municipality, attempt__started_at__date__lt=attempts_before
        ).exclude(selected=[], choice_order=[])
        result["answers"] = items.update(selected=[], choice_order=[])

        logs_before = fiscal_year_start(kept_from(today, policy.log_years))
        result["access_events"], _deleted = AccessEvent.objects.filter(
            municipality=municipality, created_at__date__lt=logs_before
        ).delete()
        result["reminders"] = (
            ReminderLog.objects.filter(cycle__municipality=municipality, sent_on__lt=logs_before)
            .exclude(recipient="")
            .update(recipient="")
        )
        result["exception_notes"] = (
            AssignmentException.objects.filter(
                assignment__cycle__municipality=municipality, created_at__date__lt=logs_before
            )
            .exclude(note="")
            .update(note="")
        )
        if any(result.values()):
            log(
                instance=municipality,
                action="privacy.retention_applied",
                user=None,
                data={"today": today.isoformat(), **result, **policy_data(policy)},
            )
    return result


def policy_data(policy: RetentionPolicy) -> dict:
    return {"record_years": policy.record_years, "attempt_years": policy.attempt_years, "log_years": policy.log_years}


# --- Erasure -------------------------------------------------------------------------------------


def erasure_preview(staff: StaffMember) -> dict:
    """What an erasure would remove and keep, for the confirmation screen."""
    user = staff.user
    return {
        "access_events": AccessEvent.objects.filter(subject_id=user.pk).count(),
        "answers": AttemptItem.objects.filter(attempt__staff=staff).exclude(selected=[]).count(),
        "records": CompletionRecord.objects.filter(staff=staff).count(),
        "reminders": ReminderLog.objects.filter(staff=staff).exclude(recipient="").count(),
    }


@transaction.atomic
def staff_erase(*, user, staff: StaffMember, request=None) -> Erasure:
    """Erase a retired person's personal data (HR of their municipality or the platform admin).

    Removed or anonymised: name and kana, log-in name, e-mail, password, second factors, SSO links,
    sessions, first-access codes, the answers they chose, access-log entries about them, reminder
    addresses, exception notes, and their name in audit entries' labels. Kept: their 職員番号 and
    the rows the reports count (attempts' scores, progress, assignments, department history), and
    the completion records, evidence the personnel-record retention requires, which the retention
    purge removes when their time comes. Once per person; logged."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    from identity.models import SetupCode
    from identity.services import sessions_revoke

    from .disclosure import audit_entries_about

    viewer = scoping.viewer_of(user)
    if not (viewer.platform_admin or (viewer.is_hr and viewer.municipality_id == staff.municipality_id)):
        raise PrivacyError(_("この職員の個人情報を消去する権限がありません。"))
    staff = StaffMember.objects.select_for_update().select_related("user").get(pk=staff.pk)
    if staff.is_active:
        raise PrivacyError(_("在職中の職員は消去できません。先に退職にしてください。"))
    if Erasure.objects.filter(staff=staff).exists():
        raise PrivacyError(_("この職員の個人情報は既に消去されています。"))
    person = staff.user
    old_names = {person.username.lower(), (person.email or "").lower()} - {""}

    removed = {"name": True}
    removed["sessions"] = sessions_revoke(user=person, actor=user, request=request)
    removed["access_events"], _deleted = AccessEvent.objects.filter(subject_id=person.pk).delete()
    removed["failed_logins"], _deleted = AccessEvent.objects.filter(
        subject__isnull=True, username__in=list(old_names)
    ).delete()
    removed["answers"] = AttemptItem.objects.filter(attempt__staff=staff).update(selected=[], choice_order=[])
    removed["reminder_addresses"] = ReminderLog.objects.filter(staff=staff).exclude(recipient="").update(recipient="")
    removed["exception_notes"] = (
        AssignmentException.objects.filter(assignment__staff=staff).exclude(note="").update(note="")
    )
    removed["authenticators"], _deleted = Authenticator.objects.filter(user_id=person.pk).delete()
    removed["email_addresses"], _deleted = EmailAddress.objects.filter(user_id=person.pk).delete()
    removed["sso_links"], _deleted = SocialAccount.objects.filter(user_id=person.pk).delete()
    removed["setup_codes"], _deleted = SetupCode.objects.filter(staff=staff).delete()

    label = f"{ERASED_NAME}（{staff.staff_number}）"
    removed["audit_labels"] = audit_entries_about(staff).exclude(label=label).update(label=label)
    staff.name, staff.kana = ERASED_NAME, ""
    staff.save(update_fields=["name", "kana"])
    person.username = f"erased-{person.pk}"
    person.email = person.first_name = person.last_name = ""
    person.password = make_password(None)
    person.is_active = False
    person.save(update_fields=["username", "email", "first_name", "last_name", "password", "is_active"])

    kept = {
        "staff_number": staff.staff_number,
        "completion_records": CompletionRecord.objects.filter(staff=staff).count(),
        "attempts": staff.quiz_attempts.count(),
    }
    erasure = Erasure.objects.create(staff=staff, erased_by=user, removed=removed, kept=kept)
    log(instance=staff, action="privacy.staff_erased", user=user, data={"removed": removed, "kept": kept})
    return erasure
