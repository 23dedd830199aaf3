"""本人開示 and erasure (decision 0040): the ZIP holds every kind of data about the person, as
CSV with a BOM and escaped cells plus a PDF summary; HR exports only their municipality's staff
on a written request, an employee only themselves, each export logged; erasure of a retired
person removes name, log-in and the rest but keeps the completion records and the counts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth import authenticate
from wagtail.models import ModelLogEntry

from identity.models import AccessEvent
from privacy import services
from privacy.models import Erasure
from quizzes.models import AttemptItem, CompletionRecord, QuizAttempt
from training.models import ReminderLog

pytestmark = pytest.mark.django_db

FILES = {
    "00_summary.pdf",
    "01_profile.csv",
    "02_department_history.csv",
    "03_attempts.csv",
    "04_answers.csv",
    "05_clause_progress.csv",
    "06_completion_records.csv",
    "07_assignments.csv",
    "08_exceptions.csv",
    "09_reminders.csv",
    "10_access_log.csv",
    "11_audit_log.csv",
}


def open_zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def csv_text(archive, name) -> str:
    raw = archive.read(name)
    assert raw.startswith("\ufeff".encode())
    return raw.decode("utf-8-sig")


def test_hr_exports_everything_about_one_person(world):
    retired, hr = world["a_retired"], world["a_hr"]
    content, filename = services.disclosure_export(user=hr.user, staff=retired, reason="開示請求 第12号")
    assert filename.startswith("disclosure-282065-000104-")
    archive = open_zip(content)
    assert set(archive.namelist()) == FILES
    assert archive.read("00_summary.pdf").startswith(b"%PDF")
    profile = csv_text(archive, "01_profile.csv")
    assert "'=HYPERLINK(1)" in profile  # escaped, never run by a spreadsheet
    assert "000104" in profile and retired.user.email in profile
    assert "広報課" in csv_text(archive, "02_department_history.csv")
    assert len(csv_text(archive, "03_attempts.csv").strip().splitlines()) == 3  # header + 2 attempts
    assert "正解" in csv_text(archive, "04_answers.csv")
    records = csv_text(archive, "06_completion_records.csv")
    assert all(r.verification_code in records for r in world["records"][:3])
    assert world["records"][3].verification_code not in records  # another person's
    assert "病気療養のため" in csv_text(archive, "08_exceptions.csv")
    assert retired.user.email in csv_text(archive, "09_reminders.csv")
    assert "192.0.2.1" in csv_text(archive, "10_access_log.csv")
    assert "退職" in csv_text(archive, "11_audit_log.csv")
    entry = ModelLogEntry.objects.get(action="privacy.disclosure_exported")
    assert entry.user_id == hr.user_id and entry.data["reason"] == "開示請求 第12号"
    assert entry.data["files"]["06_completion_records.csv"] == 3


def test_an_employee_exports_their_own_without_a_reason(world):
    employee = world["a_emp"]
    content, _name = services.disclosure_export(user=employee.user, staff=employee)
    assert "000003" in csv_text(open_zip(content), "01_profile.csv")
    assert ModelLogEntry.objects.get(action="privacy.disclosure_exported").data["self"] is True


@pytest.mark.parametrize("viewer", ["s_hr", "a_head", "a_emp"])
def test_nobody_else_exports_a_person(world, viewer):
    with pytest.raises(services.PrivacyError):
        services.disclosure_export(user=world[viewer].user, staff=world["a_retired"], reason="x")
    assert not ModelLogEntry.objects.filter(action="privacy.disclosure_exported").exists()


def test_hr_needs_a_written_request(world):
    with pytest.raises(services.PrivacyError, match="請求内容"):
        services.disclosure_export(user=world["a_hr"].user, staff=world["a_retired"], reason="  ")


def test_erasure_keeps_the_evidence_and_removes_the_rest(world):
    retired, hr = world["a_retired"], world["a_hr"]
    user_pk, old_username = retired.user_id, retired.user.username
    records_before = list(CompletionRecord.objects.filter(staff=retired).values_list("pk", "record_hash", "staff_name"))
    scores_before = list(QuizAttempt.objects.filter(staff=retired).values_list("pk", "correct_count"))

    erasure = services.staff_erase(user=hr.user, staff=retired)

    retired.refresh_from_db()
    retired.user.refresh_from_db()
    assert (retired.name, retired.kana, retired.staff_number) == ("（消去済み）", "", "000104")
    user = retired.user
    assert (user.username, user.email, user.is_active) == (f"erased-{user_pk}", "", False)
    assert not user.has_usable_password()
    assert authenticate(username=old_username, password="correct-horse-battery-9") is None
    assert not AccessEvent.objects.filter(subject_id=user_pk).exists()
    assert all(v == [] for v in AttemptItem.objects.filter(attempt__staff=retired).values_list("selected", flat=True))
    assert ReminderLog.objects.get(staff=retired).recipient == ""
    # The evidence stays as it was written, and the counts with it.
    assert (
        list(CompletionRecord.objects.filter(staff=retired).values_list("pk", "record_hash", "staff_name"))
        == records_before
    )
    assert list(QuizAttempt.objects.filter(staff=retired).values_list("pk", "correct_count")) == scores_before
    assert erasure.kept["completion_records"] == 3
    entry = ModelLogEntry.objects.get(action="privacy.staff_erased")
    assert entry.user_id == hr.user_id
    # Audit entries about the person no longer name them.
    assert not ModelLogEntry.objects.filter(label__contains="HYPERLINK").exists()
    with pytest.raises(services.PrivacyError, match="既に消去"):
        services.staff_erase(user=hr.user, staff=retired)


def test_an_active_person_cannot_be_erased(world):
    with pytest.raises(services.PrivacyError, match="在職中"):
        services.staff_erase(user=world["a_hr"].user, staff=world["a_emp"])
    assert world["a_emp"].user.email


@pytest.mark.parametrize("viewer", ["s_hr", "a_head", "a_emp"])
def test_nobody_else_erases(world, viewer):
    with pytest.raises(services.PrivacyError):
        services.staff_erase(user=world[viewer].user, staff=world["a_retired"])
    assert not Erasure.objects.exists()
