"""One date style (decision 0046): a day is 2026年4月1日 and a moment 2026年4月1日 14:05, in
Asia/Tokyo, on the site, in the admin, on the certificate PDF (with 和暦) and in XLSX downloads;
Django's `|date` without a format writes the same."""

from __future__ import annotations

import datetime
import io
import zipfile
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.urls import reverse
from pypdf import PdfReader

from reports import certificates
from sns_training import dates
from tests.helpers import response_text, visible_text

from .conftest import export_url, make_record, streamed

UTC = datetime.UTC


def test_a_day_and_a_moment_are_written_in_tokyo():
    # 15:05 UTC on March 31 is already April 1 in Tokyo.
    moment = datetime.datetime(2026, 3, 31, 15, 5, 9, tzinfo=UTC)
    assert dates.date_display(datetime.date(2026, 4, 1)) == "2026年4月1日"
    assert dates.date_display(moment) == "2026年4月1日"
    assert dates.datetime_display(moment) == "2026年4月1日 00:05"
    assert dates.datetime_display(moment, seconds=True) == "2026年4月1日 00:05:09"
    assert dates.date_display(None) == dates.datetime_display(None) == ""


def test_templates_write_the_same_with_the_filters_and_with_django_date():
    moment = datetime.datetime(2026, 3, 31, 15, 5, tzinfo=UTC)
    template = engines["django"].from_string(
        "{% load dates %}{{ day|ymd }}|{{ moment|ymd_hm }}|{{ day|date }}|{{ moment|date:'DATETIME_FORMAT' }}|{{ day|wareki }}"
    )
    shown = template.render({"day": datetime.date(2026, 4, 1), "moment": moment})
    assert shown == "2026年4月1日|2026年4月1日 00:05|2026年4月1日|2026年4月1日 00:05|令和8年4月1日"


@pytest.mark.django_db
def test_site_admin_pdf_and_xlsx_show_the_same_dates(client, world, records):
    record = records.employee  # completed 2025-06-02 10:30 Tokyo, attested 10:35
    answered = datetime.datetime(2025, 6, 2, 1, 30, 5, tzinfo=UTC)
    record_with_answer = make_record(
        world.people.colleague,
        world.guidelines.ashiya,
        fiscal_year=2023,
        completed_at=datetime.datetime(2023, 6, 2, 10, 30, tzinfo=ZoneInfo("Asia/Tokyo")),
        answers=[
            {"question_id": "q1", "question": None, "question_version": 1, "clause": "1-1", "selected": [1]}
            | {"correct": True, "submitted_at": answered.isoformat()}
        ],
    )
    assert record_with_answer.pk

    # The site: the employee's certificate page.
    client.force_login(world.people.employee.user)
    site = visible_text(response_text(client.get(reverse("quizzes:certificate", args=[record.pk]))))
    assert "令和7年6月2日（2025年6月2日）" in site and "2025-06-02" not in site

    # The admin: HR's personnel record (answer time in Tokyo) and the staff report.
    client.force_login(world.people.hr.user)
    personnel = visible_text(
        response_text(client.get(reverse("hr_reports:personnel", args=[world.people.colleague.pk])))
    )
    assert "2025年6月2日 10:30:05" in personnel and "2025-06-02" not in personnel

    # The PDF.
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificates.certificate_pdf(record))).pages)
    assert "令和7年6月2日（2025年6月2日）" in text.replace(" ", "")

    # The XLSX download: real dates, shown in the same style (sns_training/dates.py).
    response = client.get(export_url(export="xlsx"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(streamed(response))) as book:
        styles = book.read("xl/styles.xml").decode()
    codes = {fmt.get("formatCode") for fmt in ElementTree.fromstring(styles).iter() if fmt.tag.endswith("numFmt")}
    assert codes == {'yyyy"年"m"月"d"日"', 'yyyy"年"m"月"d"日" hh:mm:ss'}  # Calc shows them: test_xlsx_in_calc


def test_tokyo_is_the_zone():
    assert dates.datetime_display(datetime.datetime(2026, 1, 1, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo"))) == (
        "2026年1月1日 00:00"
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 4, 1, 0, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
        datetime.datetime(2027, 3, 31, 23, 59, 9, tzinfo=ZoneInfo("Asia/Tokyo")),
        datetime.datetime(2026, 12, 9, 7, 5, 1, tzinfo=ZoneInfo("Asia/Tokyo")),
    ],
)
def test_the_exports_fast_forms_write_what_the_site_writes(value):
    """CSV exports write days and moments with dates.day_text / moment_text (no format parsing
    per cell, for 50,000 rows); they must read exactly as the site's date_display / datetime_display."""
    assert dates.day_text(value.date()) == dates.date_display(value.date())
    assert dates.moment_text(value) == dates.datetime_display(value, seconds=True)
