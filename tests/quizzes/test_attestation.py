"""Attestation (誓約) writes a CompletionRecord: evidence that never changes afterwards, whatever
happens to the person, the department or the guideline (DESIGN §4)."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils import translation

from courses import versions
from courses.models import GuidelinePage, GuidelineVersion
from people.models import Department
from quizzes import services
from quizzes.models import CompletionRecord, ImmutableRecordError
from tests.factories import DepartmentFactory, StaffMemberFactory

from .conftest import submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(ashiya):
    department = DepartmentFactory(municipality=ashiya, code="3100", name="子育て推進課")
    return StaffMemberFactory(municipality=ashiya, department=department, staff_number="000777", name="芦田 誓子")


def _pass_chapter(employee, chapter):
    attempt = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(
        attempt_id=attempt.pk,
        user=employee.user,
        submission=submission(attempt, right_keys={"3-1", "3-2", "3-3"}),
    )


def _attest(employee, guideline, **kwargs):
    values = {"version_shown": str(versions.current(guideline).number), "agreed": True} | kwargs
    return services.attestation_create(staff=employee, guideline=guideline, **values)


def test_attesting_before_every_chapter_is_passed_is_refused(employee, guideline, chapter, questions):
    with pytest.raises(services.QuizError, match="まだ合格していない章があります"):
        _attest(employee, guideline)
    assert CompletionRecord.objects.count() == 0


def test_attesting_needs_the_tick_and_the_version_shown(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)
    with pytest.raises(services.QuizError, match="チェック"):
        _attest(employee, guideline, agreed=False)
    with pytest.raises(services.QuizError, match="版が更新されました"):
        _attest(employee, guideline, version_shown="旧版")
    assert CompletionRecord.objects.count() == 0


def test_the_record_snapshots_who_where_what_and_when(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)

    record = _attest(employee, guideline)

    assert (record.staff_number, record.staff_name) == ("000777", "芦田 誓子")
    assert (record.department_code, record.department_name) == ("3100", "子育て推進課")
    assert record.employment_type_label == "一般職"
    version = GuidelineVersion.objects.get(guideline=guideline)
    assert (record.guideline_version, record.version) == ("第1版", version)
    assert record.guideline_revision_id == guideline.live_revision_id
    assert len(record.content_hash) == 64 and int(record.content_hash, 16) >= 0
    assert {a["clause"] for a in record.answers} == {"3-1", "3-2", "3-3"}
    assert all(a["question_version"] for a in record.answers)
    assert (record.first_try_correct, record.first_try_total) == (3, 3)
    assert record.attested_at >= record.completed_at
    assert len(record.verification_code) == 12


def test_the_record_is_written_in_japanese_whatever_language_the_person_reads(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)

    with translation.override("en"):
        record = _attest(employee, guideline)

    assert record.employment_type_label == "一般職"


def test_a_second_attestation_in_the_same_year_returns_the_first(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)
    first = _attest(employee, guideline)
    again = _attest(employee, guideline)
    assert again.pk == first.pk
    assert CompletionRecord.objects.count() == 1


def test_the_record_never_changes(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)
    record = _attest(employee, guideline)

    record.staff_name = "書き換え"
    with pytest.raises(ImmutableRecordError):
        record.save()
    with pytest.raises(ImmutableRecordError):
        CompletionRecord.objects.filter(pk=record.pk).update(staff_name="書き換え")
    with pytest.raises(ImmutableRecordError):
        record.delete()
    with pytest.raises(ImmutableRecordError):
        CompletionRecord.objects.all().delete()
    assert CompletionRecord.objects.get(pk=record.pk).staff_name == "芦田 誓子"


def test_a_transfer_and_a_guideline_edit_do_not_rewrite_it(employee, guideline, chapter, questions, ashiya):
    _pass_chapter(employee, chapter)
    record = _attest(employee, guideline)
    hash_before = record.content_hash

    employee.department = DepartmentFactory(municipality=ashiya, code="9000", name="異動先課")
    employee.save()
    Department.objects.filter(code="3100").update(name="改称後の課")
    draft = chapter.get_latest_revision_as_object()
    draft.body = [
        {"type": "clause", "value": {"key": "3-1", "number": "(1)", "heading": "", "body": "改訂", "items": []}}
    ]
    draft.save_revision().publish()

    record = CompletionRecord.objects.get(pk=record.pk)
    assert (record.department_code, record.department_name) == ("3100", "子育て推進課")
    assert record.content_hash == hash_before


def test_the_content_hash_follows_the_clause_text(employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)
    record = _attest(employee, guideline)
    digest = hashlib.sha256()
    for part in (guideline.title, "第1版"):
        digest.update(part.encode())
        digest.update(b"\x1e")
    digest.update(chapter.key.encode())
    digest.update(b"\x1e")
    digest.update(chapter.content_hash().encode())
    digest.update(b"\x1e")
    assert record.content_hash == digest.hexdigest()


def test_attest_page_and_certificate(client, employee, guideline, chapter, questions):
    _pass_chapter(employee, chapter)
    client.force_login(employee.user)
    url = reverse("quizzes:attest", args=[guideline.pk])

    page = client.get(url).content.decode()
    assert 'name="version" value="1"' in page and "第1版" in page
    assert client.post(url, {"version": "1"}).status_code == 400
    response = client.post(url, {"version": "1", "agree": "1"})

    record = CompletionRecord.objects.get()
    assert response["Location"] == reverse("quizzes:certificate", args=[record.pk])
    certificate = client.get(response["Location"]).content.decode()
    assert "芦田 誓子" in certificate and "000777" in certificate and record.verification_code in certificate


def test_nobody_else_sees_the_certificate(client, employee, guideline, chapter, questions, ashiya, sukagawa):
    _pass_chapter(employee, chapter)
    record = _attest(employee, guideline)
    url = reverse("quizzes:certificate", args=[record.pk])
    for other in (
        StaffMemberFactory(municipality=ashiya, department=employee.department),
        StaffMemberFactory(municipality=sukagawa, department=DepartmentFactory(municipality=sukagawa)),
    ):
        client.force_login(other.user)
        response = client.get(url)
        assert response.status_code == 404
        assert "芦田 誓子" not in response.content.decode()


def test_staff_of_another_municipality_cannot_attest(client, guideline, chapter, questions, sukagawa):
    other = StaffMemberFactory(municipality=sukagawa, department=DepartmentFactory(municipality=sukagawa))
    client.force_login(other.user)
    url = reverse("quizzes:attest", args=[guideline.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": "1", "agree": "1"}).status_code == 404
    assert CompletionRecord.objects.count() == 0


def test_the_record_names_the_version_in_force_not_the_editors_label(employee, guideline, chapter, questions):
    """Invariant 6: the record names the 第N版 the system made, whatever the editor typed."""
    _pass_chapter(employee, chapter)
    versions.current(guideline)
    draft = chapter.get_latest_revision_as_object()
    body = list(draft.body.raw_data)
    body[0]["value"]["body"] = body[0]["value"]["body"] + "（改正）"
    draft.body = body
    draft.save_revision().publish()
    GuidelinePage.objects.filter(pk=guideline.pk).update(version_label="編集者が書き忘れた版")
    guideline.refresh_from_db()

    with pytest.raises(services.QuizError, match="版が更新されました"):
        _attest(employee, guideline, version_shown="1")
    record = _attest(employee, guideline, version_shown="2")

    assert record.guideline_version == "第2版"
    assert record.version == GuidelineVersion.objects.get(guideline=guideline, number=2)
    assert record.version.completion_records.get() == record
