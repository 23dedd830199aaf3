"""PDF certificates: the PDF is made and says who, where and what (read back with pypdf); the
person downloads their own; HR one or a department's as a ZIP; HR checks a verification code."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from pypdf import PdfReader
from wagtail.models import ModelLogEntry

from reports import certificates
from reports.checks import certificate_font_check
from tests.factories import DepartmentFactory
from tests.helpers import squeeze

from .conftest import make_record, streamed

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def my_pdf_url(record) -> str:
    return reverse("reports:my_certificate_pdf", args=[record.pk])


def hr_pdf_url(record) -> str:
    return reverse("reports_admin:certificate_pdf", args=[record.pk])


def test_the_pdf_names_the_person_and_what_they_completed(world, records):
    record = records.employee

    data = certificates.certificate_pdf(record)

    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # one A4 sheet
    text = pdf_text(data)

    for expected in (
        "修了証",
        "芦屋一郎",
        "00123",
        "広報課（1100）",
        "芦屋市テストガイドライン",
        "第1版",
        "令和7年度",
        "令和7年6月2日（2025年6月2日）",
        record.verification_code,
        "芦屋市",
        f"/verify/{record.verification_code}/",
    ):
        assert expected in text


def test_the_pdf_embeds_its_japanese_font(world, records):
    reader = PdfReader(io.BytesIO(certificates.certificate_pdf(records.employee)))
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_the_pdf_shows_the_department_at_completion_not_today(world, records):
    member = world.people.employee
    member.department = DepartmentFactory(municipality=world.ashiya, code="9000", name="異動先課")
    member.save()

    text = pdf_text(certificates.certificate_pdf(records.employee))

    assert "広報課（1100）" in text and "異動先課" not in text


def test_markup_in_a_name_stays_text(world):
    member = world.people.colleague
    record = make_record(member, world.guidelines.ashiya, fiscal_year=2023, staff_name='<img src="file:///etc/passwd">')

    text = pdf_text(certificates.certificate_pdf(record))

    assert '<imgsrc="file:///etc/passwd">' in text


def test_a_missing_font_is_a_clear_error(world, records, settings, tmp_path):
    settings.REPORTS_CERTIFICATE_FONT = str(tmp_path / "none.ttc")

    with pytest.raises(ImproperlyConfigured, match="fonts-noto-cjk"):
        certificates.certificate_pdf(records.employee)
    assert [w.id for w in certificate_font_check(None)] == ["reports.W001"]


def test_the_font_check_passes_on_this_machine():
    assert certificate_font_check(None) == []


# --- The person's own -----------------------------------------------------------------------------


def test_the_certificate_page_links_to_the_pdf(client, world, records):
    client.force_login(world.people.employee.user)

    page = client.get(reverse("quizzes:certificate", args=[records.employee.pk])).content.decode()

    assert f'href="{my_pdf_url(records.employee)}"' in page
    assert "PDFをダウンロード" in page


def test_the_employee_downloads_their_own_and_it_is_logged(client, world, records):
    client.force_login(world.people.employee.user)

    response = client.get(my_pdf_url(records.employee))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "%E8%8A%A6%E5%B1%8B" in response["Content-Disposition"]  # 00123_芦屋 一郎.pdf
    assert "芦屋一郎" in pdf_text(response.content)
    entry = ModelLogEntry.objects.get(action="reports.certificate_downloaded")
    assert (entry.user_id, entry.object_id) == (world.people.employee.user_id, str(records.employee.pk))


@pytest.mark.parametrize("viewer", ["colleague", "head", "hr", "s_employee"])
def test_nobody_else_downloads_it_from_the_site(client, world, records, viewer):
    client.force_login(getattr(world.people, viewer).user)

    response = client.get(my_pdf_url(records.employee))

    assert response.status_code == 404
    assert b"%PDF" not in response.content
    assert not ModelLogEntry.objects.filter(action="reports.certificate_downloaded").exists()


def test_a_visitor_is_sent_to_log_in(client, records):
    response = client.get(my_pdf_url(records.employee))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- HR ------------------------------------------------------------------------------------------


def test_hr_downloads_a_certificate_of_their_municipality(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(hr_pdf_url(records.kakari))

    assert response.status_code == 200
    assert "芦屋係員" in pdf_text(response.content)
    assert ModelLogEntry.objects.get(action="reports.certificate_downloaded").user_id == world.people.hr.user_id


def test_hr_of_another_municipality_gets_404(client, world, records):
    client.force_login(world.people.s_hr.user)

    response = client.get(hr_pdf_url(records.employee))

    assert response.status_code == 404
    assert b"%PDF" not in response.content and "芦屋".encode() not in response.content


def zip_url() -> str:
    return reverse("reports_admin:certificates_zip")


# A department's ZIP is built in the background: tests/reports/test_certificate_bundles.py.


def test_the_same_code_in_another_municipality_is_not_included(
    client, world, records, django_capture_on_commit_callbacks
):
    """須賀川市's 総務部 has the code 2000 too; 芦屋市 HR's ZIP of 2000 holds only 芦屋市's records."""
    from reports.models import CertificateBundle

    client.force_login(world.people.hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(zip_url(), {"department": "2000", "fiscal_year": "2025"})
    bundle = CertificateBundle.objects.get()

    response = client.get(reverse("reports_admin:certificate_bundle_download", args=[bundle.pk]))

    assert zipfile.ZipFile(io.BytesIO(streamed(response))).namelist() == ["00126_芦屋 総務.pdf"]


def test_another_municipalitys_department_is_not_offered(client, world, records):
    client.force_login(world.people.s_hr.user)

    response = client.get(zip_url())

    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "総務部（2000）" in page
    assert "企画部" not in page and "芦屋" not in page


# --- Verification --------------------------------------------------------------------------------


def verify(client, code):
    return client.get(reverse("reports_admin:verify"), {"code": code}).content.decode()


def test_hr_verifies_a_code_of_their_municipality(client, world, records):
    client.force_login(world.people.hr.user)
    code = records.kakari.verification_code

    page = verify(client, f" {code.lower()[:4]}-{code.lower()[4:]} ")

    assert "芦屋 係員" in page and "00125" in page and "広報係（1110）" in page
    entry = ModelLogEntry.objects.get(action="reports.viewed")
    assert entry.data == {"report": "verification", "filters": {"code": code}, "row_count": 1}


def test_full_width_input_is_understood(client, world, records):
    client.force_login(world.people.hr.user)
    code = records.kakari.verification_code
    full_width = code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})

    assert "芦屋 係員" in verify(client, full_width)


@pytest.mark.parametrize("code", ["own-unknown", "other-municipality"])
def test_unknown_and_foreign_codes_get_the_same_answer(client, world, records, code):
    client.force_login(world.people.hr.user)
    typed = "ZZZZ00000000" if code == "own-unknown" else records.s_employee.verification_code

    page = verify(client, typed)

    assert "該当する修了記録はありません。" in page
    assert "須賀" not in page and "S-0001" not in page


def test_the_renderer_may_fetch_nothing_but_the_font(settings):
    font_url = certificates.certificate_font_path().resolve().as_uri()
    fetcher = certificates.font_only_fetcher(font_url)

    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", font_url + "?x"):
        with pytest.raises(ValueError, match="nothing but its font"):
            fetcher.fetch(url)
    response = fetcher.fetch(font_url)
    try:
        assert response.read(4) in (b"ttcf", b"OTTO", b"\x00\x01\x00\x00")
    finally:
        response.close()


def test_the_pdf_is_japanese_for_a_person_reading_the_site_in_english(client, world, records):
    from django.conf import settings

    client.force_login(world.people.employee.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    text = pdf_text(client.get(my_pdf_url(records.employee)).content)

    assert "修了証" in text and "職員番号" in text and "Certificate" not in text
