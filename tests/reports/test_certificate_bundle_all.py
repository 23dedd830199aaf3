"""「全所属」: HR builds one ZIP of every certificate of their municipality for a 年度 (issue 16),
whatever 所属コード the records snapshot; the other municipality's HR gets none of it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.http import Http404
from django.urls import reverse

from reports import services
from reports.models import CertificateBundle
from tests.helpers import squeeze, visible_text

from .conftest import streamed

pytestmark = pytest.mark.django_db

ALL = {"department": "*", "fiscal_year": "2025"}


def zip_url() -> str:
    return reverse("reports_admin:certificates_zip")


def test_the_form_offers_the_whole_municipality_first(client, world, records):
    client.force_login(world.people.hr.user)
    page = client.get(zip_url()).content.decode()
    assert page.index('value="*"') < page.index('value="1000"')
    assert "全所属（自治体全体）" in page


def test_hr_builds_a_zip_of_the_whole_municipality(client, world, records, django_capture_on_commit_callbacks):
    client.force_login(world.people.hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(zip_url(), ALL)
    bundle = CertificateBundle.objects.get()
    assert response.status_code == 302
    assert (bundle.department, bundle.department_code, bundle.department_codes) == (None, "", [])
    assert bundle.status == CertificateBundle.Status.DONE and (bundle.total, bundle.done) == (4, 4)

    page = squeeze(visible_text(client.get(response["Location"]).content.decode()))
    assert "全所属" in page and "（）" not in page
    download = client.get(reverse("reports_admin:certificate_bundle_download", args=[bundle.pk]))
    assert download.status_code == 200
    assert "%E5%85%A8%E6%89%80%E5%B1%9E" in download["Content-Disposition"]  # 全所属 in the file name
    names = sorted(zipfile.ZipFile(io.BytesIO(streamed(download))).namelist())
    # Every 芦屋市 record of 令和7年度 (企画部, 広報課, 広報係, 総務部); not 令和6年度, not 須賀川市.
    assert names == ["00123_芦屋 一郎.pdf", "00124_芦屋 同僚.pdf", "00125_芦屋 係員.pdf", "00126_芦屋 総務.pdf"]
    # Asking again while one is active answers that one; a department request is a different bundle.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(zip_url(), {"department": "1000", "fiscal_year": "2025", "subdepartments": "on"})
    assert CertificateBundle.objects.count() == 2


def test_the_other_municipalitys_hr_gets_only_their_own(client, world, records, django_capture_on_commit_callbacks):
    client.force_login(world.people.s_hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(zip_url(), ALL)
    bundle = CertificateBundle.objects.get()
    assert bundle.municipality == world.people.s_hr.municipality and bundle.total == 1
    download = client.get(reverse("reports_admin:certificate_bundle_download", args=[bundle.pk]))
    assert zipfile.ZipFile(io.BytesIO(streamed(download))).namelist() == ["S-0001_須賀 花子.pdf"]
    with pytest.raises(Http404):
        services.certificate_bundle_request(
            user=world.people.s_hr.user,
            department=None,
            municipality=world.people.hr.municipality,
            fiscal_year=2025,
            include_subdepartments=True,
        )
    client.force_login(world.people.hr.user)
    assert client.get(reverse("reports_admin:certificate_bundle", args=[bundle.pk])).status_code == 404
