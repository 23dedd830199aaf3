"""The public 修了証の確認 page (no log-in) and the link every certificate prints to it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import certificates

from .conftest import make_record


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "")


def test_a_visitor_confirms_a_certificate_without_logging_in(client, world, records):
    record = records.kakari

    response = client.get(reverse("verify_code", args=[record.verification_code]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "本サイトで発行された有効なもの" in page
    for shown in (
        "芦屋 係員",
        "芦屋市",
        "芦屋市テストガイドライン",
        "第1版",
        "令和7年度",
        "令和7年6月2日（2025年6月2日）",
    ):
        assert shown in page
    # Only what the certificate's reader needs: no 職員番号, 所属, hash or score.
    for hidden in ("00125", "広報係", "1110", record.content_hash, "正答率"):
        assert hidden not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_form_moves_a_typed_code_into_the_link(client, world, records):
    code = records.kakari.verification_code
    typed = f" {code.lower()[:4]}-{code.lower()[4:]} ".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})

    response = client.get(reverse("verify"), {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == reverse("verify_code", args=[code])


def test_an_unknown_code_says_so_and_reveals_nothing(client, world, records):
    response = client.get(reverse("verify_code", args=["ZZZZ00000000"]))

    page = response.content.decode()
    assert response.status_code == 404
    assert "一致する修了証はありません" in page and "芦屋" not in page.split("<main", 1)[1].split("</main>")[0]


def test_an_empty_code_asks_for_one(client, db):
    response = client.get(reverse("verify"), {"code": "  -  "})

    assert response.status_code == 200
    assert "確認コードを入力してください。" in response.content.decode()


def test_markup_in_the_code_stays_text(client, db):
    response = client.get("/verify/%3Cb%20onclick%3Dalert(1)%3Ex/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<b onclick" not in page and "&lt;b onclick=alert(1)&gt;x" in page


def test_guessing_codes_is_stopped(client, world, records, settings):
    settings.REPORTS_VERIFY_FAILED_LIMIT = 3
    for n in range(3):
        assert client.get(reverse("verify_code", args=[f"ZZZZ0000000{n}"])).status_code == 404

    refused = client.get(reverse("verify_code", args=[records.kakari.verification_code]))

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "確認の回数が多すぎます" in page and "芦屋 係員" not in page


def test_a_lookup_is_a_get_and_changes_nothing(client, world, records):
    response = client.post(reverse("verify_code", args=[records.kakari.verification_code]))

    assert response.status_code == 405


def test_the_pdf_prints_the_public_link_at_the_configured_address(world, records, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://sns-kenshu.city.example.lg.jp"
    record = records.employee

    text = pdf_text(certificates.certificate_pdf(record))

    assert f"https://sns-kenshu.city.example.lg.jp/verify/{record.verification_code}/" in text
    assert "ログイン不要" in text
    assert record.content_hash not in text


def test_the_link_on_the_pdf_opens_the_confirmation(client, world, records, settings):
    settings.WAGTAILADMIN_BASE_URL = "http://testserver"
    record = records.colleague
    path = record.verification_url.removeprefix("http://testserver")

    page = client.get(path).content.decode()

    assert "芦屋 同僚" in page and "有効なもの" in page


def test_the_employee_page_shows_what_the_certificate_shows(client, world, records):
    record = records.employee
    client.force_login(world.people.employee.user)

    page = client.get(reverse("quizzes:certificate", args=[record.pk])).content.decode()

    for shown in (
        "芦屋 一郎",
        "00123",
        "芦屋市テストガイドライン",
        "第1版",
        "令和7年度",
        "令和7年6月2日（2025年6月2日）",
        record.verification_code,
        record.verification_url,
    ):
        assert shown in page
    assert record.content_hash not in page and "正答率" not in page


@pytest.mark.parametrize("municipality", ["ashiya", "sukagawa"])
def test_codes_of_both_municipalities_are_confirmed(client, world, municipality):
    person = world.people.employee if municipality == "ashiya" else world.people.s_employee
    guideline = getattr(world.guidelines, municipality)
    record = make_record(person, guideline, fiscal_year=2026)

    page = client.get(reverse("verify_code", args=[record.verification_code])).content.decode()

    assert person.name in page and guideline.title in page and "令和8年度" in page


def test_the_personnel_record_shows_answer_times_in_japan(client, world):
    """Answers are snapshot with UTC times (+00:00); HR reads them in Asia/Tokyo, not cut off."""
    answers = [
        {"question_id": "ashiya-q1-1", "question": None, "question_version": 1, "clause": "1-1", "selected": [1]}
        | {"correct": True, "submitted_at": "2025-06-02T01:30:05+00:00"}
    ]
    make_record(world.people.employee, world.guidelines.ashiya, answers=answers)
    client.force_login(world.people.hr.user)

    page = client.get(reverse("hr_reports:personnel", args=[world.people.employee.pk])).content.decode()

    assert '<time datetime="2025-06-02T10:30:05+09:00">2025年6月2日 10:30:05</time>' in page
    assert "2025-06-02T01:30:05" not in page
