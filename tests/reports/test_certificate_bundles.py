"""A department's certificates as a ZIP built in the background: HR asks (POST), the bundle page
shows progress, the finished ZIP downloads; nobody else reaches any of it. Tests run the immediate
task backend, so the build happens when the request's transaction commits
(django_capture_on_commit_callbacks); without that the bundle stays queued, as it would until a
worker takes it."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.http import Http404
from django.urls import reverse
from wagtail.models import ModelLogEntry

from reports import selectors, services
from reports.models import CertificateBundle
from tests.helpers import refused_as_not_for_staff

from .conftest import streamed
from .test_certificates import pdf_text

pytestmark = pytest.mark.django_db

FORM = {"department": "1000", "fiscal_year": "2025", "subdepartments": "on"}


def zip_url() -> str:
    return reverse("reports_admin:certificates_zip")


def page_url(bundle) -> str:
    return reverse("reports_admin:certificate_bundle", args=[bundle.pk])


def status_url(bundle) -> str:
    return reverse("reports_admin:certificate_bundle_status", args=[bundle.pk])


def download_url(bundle) -> str:
    return reverse("reports_admin:certificate_bundle_download", args=[bundle.pk])


@pytest.fixture
def built(client, world, records, django_capture_on_commit_callbacks):
    """芦屋市 HR has asked for 企画部 and its sub-departments, 令和7年度, and the task has run."""
    client.force_login(world.people.hr.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(zip_url(), FORM)
    bundle = CertificateBundle.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(bundle)
    return bundle


def test_hr_asks_for_a_zip_and_it_is_built(client, world, records, built):
    bundle = built

    assert bundle.status == CertificateBundle.Status.DONE
    assert (bundle.total, bundle.done) == (3, 3)
    assert bundle.file.name.startswith("certificate-bundles/") and bundle.size > 0
    assert "00123" not in bundle.file.name and "1000" not in bundle.file.name  # the name tells nothing
    assert bundle.requested_by == world.people.hr.user and bundle.finished_at is not None
    entry = ModelLogEntry.objects.get(action="reports.certificate_bundle_requested")
    assert entry.user_id == world.people.hr.user_id and entry.data["row_count"] == 3


def test_the_page_of_a_finished_zip_offers_the_download(client, built):
    page = client.get(page_url(built)).content.decode()

    assert "完成しました。修了証3件をZIPでダウンロードできます。" in page
    assert "3/3件（100%）" in page and 'role="status"' in page
    assert f'href="{download_url(built)}"' in page and "ZIPをダウンロード" in page
    assert 'http-equiv="refresh"' not in page  # nothing left to wait for
    assert "data-status-url" not in page and "certificate_bundle.js" not in page and "状況を更新" not in page


def test_the_zip_holds_one_pdf_per_record_and_the_download_is_logged(client, world, records, built):
    response = client.get(download_url(built))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(streamed(response)))
    # 企画部 › 広報課 (芦屋 一郎, 芦屋 同僚) › 広報係 (芦屋 係員); not 総務部, not 令和6年度.
    assert sorted(archive.namelist()) == ["00123_芦屋 一郎.pdf", "00124_芦屋 同僚.pdf", "00125_芦屋 係員.pdf"]
    assert "芦屋同僚" in pdf_text(archive.read("00124_芦屋 同僚.pdf"))
    entry = ModelLogEntry.objects.get(action="reports.certificate_downloaded")
    assert entry.user_id == world.people.hr.user_id
    assert entry.data["row_count"] == 3 and entry.data["filters"]["bundle"] == built.pk
    assert sorted(entry.data["records"]) == sorted([records.employee.pk, records.colleague.pk, records.kakari.pk])


def test_the_old_cap_of_100_is_gone(client, world, records, settings, django_capture_on_commit_callbacks):
    """The old in-request ZIP refused more than REPORTS_CERTIFICATE_ZIP_MAX records; that setting
    limits nothing now, and the background limit is in the tens of thousands."""
    settings.REPORTS_CERTIFICATE_ZIP_MAX = 2
    client.force_login(world.people.hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(zip_url(), FORM)

    bundle = CertificateBundle.objects.get()
    assert (bundle.status, bundle.done) == (CertificateBundle.Status.DONE, 3)
    assert selectors.bundle_max() >= 20_000


def test_more_than_the_background_limit_is_refused_with_a_message(client, world, records, settings):
    settings.REPORTS_CERTIFICATE_BUNDLE_MAX = 2
    client.force_login(world.people.hr.user)

    response = client.post(zip_url(), FORM)

    assert response.status_code == 200
    assert "該当する修了記録が3件あり、一度に作成できる2件を超えています。" in response.content.decode()
    assert not CertificateBundle.objects.exists()


def test_a_department_without_records_says_so(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.post(zip_url(), {"department": "2100", "fiscal_year": "2025"})

    assert "該当する修了記録はありません。" in response.content.decode()
    assert not CertificateBundle.objects.exists()


def test_without_subdepartments_only_the_department_itself(client, world, records, django_capture_on_commit_callbacks):
    client.force_login(world.people.hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(zip_url(), {"department": "1100", "fiscal_year": "2025"})

    bundle = CertificateBundle.objects.get()
    archive = zipfile.ZipFile(io.BytesIO(streamed(client.get(download_url(bundle)))))
    assert sorted(archive.namelist()) == ["00123_芦屋 一郎.pdf", "00124_芦屋 同僚.pdf"]


def test_a_waiting_zip_shows_its_progress_and_is_watched_without_reloading(client, world, records):
    """Without a commit the task never runs: the bundle waits, as for a busy worker. The page does
    not reload itself (WCAG 2.2.1): a script polls the status, and a link reloads without it."""
    client.force_login(world.people.hr.user)
    client.post(zip_url(), FORM)
    bundle = CertificateBundle.objects.get()

    page = client.get(page_url(bundle)).content.decode()

    assert bundle.status == CertificateBundle.Status.QUEUED
    assert "作成の順番を待っています。" in page
    assert 'http-equiv="refresh"' not in page
    assert f'data-status-url="{status_url(bundle)}"' in page and 'data-poll-seconds="3"' in page
    assert "reports/certificate_bundle.js" in page
    assert 'role="status" aria-live="polite"' in page
    assert f'<a href="{page_url(bundle)}">状況を更新</a>' in page
    assert f'href="{download_url(bundle)}"' not in page
    assert client.get(download_url(bundle)).status_code == 404


def test_a_zip_being_made_shows_how_far_it_is(client, world, records):
    client.force_login(world.people.hr.user)
    client.post(zip_url(), FORM)
    CertificateBundle.objects.update(status=CertificateBundle.Status.RUNNING, done=1)
    bundle = CertificateBundle.objects.get()

    page = client.get(page_url(bundle)).content.decode()

    assert "作成中です（1/3件）。" in page
    assert '<progress id="bundle-progress" max="3" value="1">' in page
    assert "1/3件（33%）" in page and "状況を更新" in page and 'http-equiv="refresh"' not in page


def test_asking_again_while_it_waits_does_not_build_twice(client, world, records):
    client.force_login(world.people.hr.user)

    first = client.post(zip_url(), FORM)
    second = client.post(zip_url(), FORM)

    assert CertificateBundle.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_the_form_lists_the_latest_requests(client, world, records, built):
    page = client.get(zip_url()).content.decode()

    assert f'href="{page_url(built)}"' in page and "企画部（1000）" in page and "完成" in page


def test_a_get_never_asks_for_a_zip(client, world, records):
    client.force_login(world.people.hr.user)

    response = client.get(zip_url(), FORM)

    assert response.status_code == 200 and 'method="post"' in response.content.decode()
    assert not CertificateBundle.objects.exists()
    assert not ModelLogEntry.objects.filter(action__startswith="reports.certificate").exists()


def test_a_failing_render_marks_the_zip_failed(
    client, world, records, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.REPORTS_CERTIFICATE_FONT = str(tmp_path / "none.ttc")
    client.force_login(world.people.hr.user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(zip_url(), FORM)

    bundle = CertificateBundle.objects.get()
    assert bundle.status == CertificateBundle.Status.FAILED and not bundle.file
    assert bundle.error.startswith("修了証のZIPを作成できませんでした（ImproperlyConfigured）。")
    page = client.get(page_url(bundle)).content.decode()
    assert "作成できませんでした。" in page and bundle.error in page
    assert 'http-equiv="refresh"' not in page and "data-status-url" not in page
    assert client.get(download_url(bundle)).status_code == 404


def test_the_bundle_page_costs_a_fixed_number_of_queries(client, built, django_assert_num_queries):
    with django_assert_num_queries(8):
        assert client.get(page_url(built)).status_code == 200


# --- Who may reach it ----------------------------------------------------------------------------


def test_another_municipalitys_hr_gets_404(client, world, built):
    client.force_login(world.people.s_hr.user)

    for url in (page_url(built), download_url(built)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "芦屋".encode() not in response.content and b"PK\x03\x04" not in response.content
    assert not ModelLogEntry.objects.filter(action="reports.certificate_downloaded").exists()


def test_another_municipalitys_hr_cannot_ask_for_its_departments(client, world, records):
    client.force_login(world.people.s_hr.user)

    response = client.post(zip_url(), FORM)  # 1000 is 芦屋市's 企画部; 須賀川市 has no 1000

    assert response.status_code == 200 and "企画部" not in response.content.decode()
    assert not CertificateBundle.objects.exists()
    with pytest.raises(Http404):
        services.certificate_bundle_request(
            user=world.people.s_hr.user, department=world.tree["kikaku"], fiscal_year=2025, include_subdepartments=True
        )
    assert not CertificateBundle.objects.exists()


@pytest.mark.parametrize("viewer", ["employee", "head"])
def test_employees_and_department_heads_reach_none_of_it(client, world, built, viewer):
    client.force_login(getattr(world.people, viewer).user)

    for url in (zip_url(), page_url(built), download_url(built)):
        response = client.get(url)
        assert refused_as_not_for_staff(response), url
    response = client.post(zip_url(), FORM)
    assert refused_as_not_for_staff(response)
    assert CertificateBundle.objects.count() == 1
    assert not ModelLogEntry.objects.filter(action="reports.certificate_downloaded").exists()
