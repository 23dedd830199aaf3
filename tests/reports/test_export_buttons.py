"""Every report table in reports/ has its downloads (XLSX, CSV UTF-8 with BOM, CSV Shift_JIS) as a
visible, labelled button group beside it (issue 16), the personnel record included; each link
downloads that table with the page's filters, and the other municipality's HR gets none of it."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.helpers import visible_text

from .conftest import streamed
from .test_report_data import build

pytestmark = pytest.mark.django_db

GROUP = re.compile(r'<div class="hr-exports" role="group" aria-labelledby="hr-exports-label">(.*?)</div>', re.S)
LINK = re.compile(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>')


@pytest.fixture(scope="module")
def data(module_db):
    return build()


def url(name: str, *args, **params) -> str:
    query = urlencode(params, doseq=True)
    return reverse(name, args=args) + (f"?{query}" if query else "")


def export_links(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.status_code
    groups = GROUP.findall(response.content.decode())
    assert len(groups) == 1, "one download group beside the table"
    return [(label, html.unescape(href)) for href, label in LINK.findall(groups[0])]


def pages(data) -> list[str]:
    return [
        url("reports_admin:completion_records"),
        url("hr_reports:department_summary", cycle=data.cycle.pk),
        url("hr_reports:staff", cycle=data.cycle.pk),
        url("hr_reports:heatmap", cycle=data.cycle.pk),
        url("hr_reports:items"),
        url("hr_reports:personnel", data.people.a.pk),
    ]


def test_every_report_table_has_the_three_downloads_visible_and_they_download(client, data):
    client.force_login(data.people.h.user)
    for page in pages(data):
        response = client.get(page)
        assert "この表をダウンロード" in visible_text(response.content.decode()), page
        links = export_links(response)
        assert [label for label, _ in links] == [
            "XLSXでダウンロード",
            "CSVでダウンロード（UTF-8）",
            "CSVでダウンロード（Shift_JIS）",
        ], page
        path = page.split("?")[0]
        xlsx, utf8, sjis = (client.get(href) for _, href in links)
        for href in (href for _, href in links):
            assert href.startswith(path + "?"), href
        assert xlsx.status_code == 200 and streamed(xlsx)[:2] == b"PK", page  # a zip (OOXML)
        body = streamed(utf8)
        assert utf8.status_code == 200 and body.startswith(b"\xef\xbb\xbf"), page
        first_line = streamed(sjis).split(b"\r\n")[0]
        assert first_line.decode("cp932") == body[3:].split(b"\r\n")[0].decode("utf-8"), page


def test_the_downloads_keep_the_pages_filters(client, data):
    client.force_login(data.people.h.user)
    links = dict(export_links(client.get(url("hr_reports:staff", cycle=data.cycle.pk, status="overdue"))))
    assert f"cycle={data.cycle.pk}" in links["XLSXでダウンロード"]
    assert "status=overdue" in links["CSVでダウンロード（Shift_JIS）"]
    assert "encoding=cp932" in links["CSVでダウンロード（Shift_JIS）"].lower()


def test_the_filter_refresh_keeps_the_group_with_the_new_filters(client, data):
    client.force_login(data.people.h.user)
    response = client.get(url("hr_reports:staff_results", cycle=data.cycle.pk, status="overdue"))
    links = dict(export_links(response))
    assert "/results/" not in links["XLSXでダウンロード"] and "status=overdue" in links["XLSXでダウンロード"]


def test_the_other_municipalitys_hr_gets_no_ashiya_table_to_download(client, data):
    client.force_login(data.people.s_hr.user)
    assert client.get(url("hr_reports:personnel", data.people.a.pk)).status_code == 404
    assert client.get(url("hr_reports:personnel", data.people.a.pk, export="csv")).status_code == 404
    assert client.get(url("hr_reports:staff", cycle=data.cycle.pk, export="xlsx")).status_code == 404
    # Their own completion records page has the group, for their own municipality only.
    response = client.get(url("reports_admin:completion_records"))
    for _, href in export_links(response):
        assert "芦屋" not in streamed(client.get(href)).decode("utf-8-sig", errors="replace")
