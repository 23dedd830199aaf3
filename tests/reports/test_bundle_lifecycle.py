"""Certificate ZIPs after they are asked for (decision 0014): kept in the private storage that no
URL serves, a build whose worker died shown as stopped and built again on request, the JSON
status the page's script polls (scoped like the page), and old ZIPs purged."""

from __future__ import annotations

import datetime
import importlib
import io
import sys
import types
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import call_command
from django.http import FileResponse, Http404
from django.test import Client
from django.urls import re_path, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from reports import certificates, services
from reports.models import CertificateBundle
from tests.helpers import refused_as_not_for_staff, squeeze, visible_text

from .test_certificate_bundles import FORM, download_url, page_url, status_url, zip_url

pytestmark = pytest.mark.django_db

Status = CertificateBundle.Status


def requeue_url(bundle) -> str:
    return reverse("reports_admin:certificate_bundle_requeue", args=[bundle.pk])


@pytest.fixture
def hr(client, world):
    client.force_login(world.people.hr.user)
    return client


@pytest.fixture
def built(hr, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        hr.post(zip_url(), FORM)
    return CertificateBundle.objects.get()


@pytest.fixture
def waiting(hr, records):
    """Asked for, but no worker has taken it (the request's transaction never commits here)."""
    hr.post(zip_url(), FORM)
    return CertificateBundle.objects.get()


def stop(bundle, *, minutes_ago: int = 11, status=Status.RUNNING, done: int = 1) -> CertificateBundle:
    """The bundle as a dead worker leaves it: running (or queued), nothing moved for a while."""
    CertificateBundle.objects.filter(pk=bundle.pk).update(
        status=status, done=done, progress_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    bundle.refresh_from_db()
    return bundle


# --- Private storage -----------------------------------------------------------------------------


def _serve_default_storage(request, path):
    """What DEBUG's /media/ serving does (sns_training/urls.py): anything in the default storage."""
    if not default_storage.exists(path):
        raise Http404
    return FileResponse(default_storage.open(path))


def _media_urlconf() -> types.ModuleType:
    """The site's URLs with DEBUG-style /media/ serving in front."""
    from sns_training import urls

    module = types.ModuleType("media_urls")
    module.urlpatterns = [re_path(r"^media/(?P<path>.+)$", _serve_default_storage), *urls.urlpatterns]
    module.handler404 = urls.handler404
    return module


MEDIA_URLCONF = _media_urlconf()


def test_the_zip_is_kept_in_the_private_storage_and_no_media_url_serves_it(built, settings):
    name = built.file.name

    assert built.status == Status.DONE and name
    assert CertificateBundle._meta.get_field("file").storage is storages["private"]
    assert storages["private"].exists(name) and storages["private"].size(name) == built.size
    assert not default_storage.exists(name)

    settings.ROOT_URLCONF = MEDIA_URLCONF
    default_storage.save("certificate-bundles/public-control.txt", io.BytesIO(b"public"))
    try:
        assert Client().get("/media/certificate-bundles/public-control.txt").status_code == 200  # the route works
        assert Client().get(f"/media/{name}").status_code == 404
    finally:
        default_storage.delete("certificate-bundles/public-control.txt")


def test_the_private_root_is_outside_media_root_and_configurable_in_production(monkeypatch, tmp_path):
    from sns_training.settings import base

    private = base.STORAGES["private"]
    assert private["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    location = Path(private["OPTIONS"]["location"])
    assert location == base.BASE_DIR / "private"
    assert not location.is_relative_to(base.MEDIA_ROOT) and not Path(base.MEDIA_ROOT).is_relative_to(location)
    assert "/private/" in (base.BASE_DIR / ".gitignore").read_text().splitlines()

    for name, value in (
        ("DJANGO_SECRET_KEY", "x" * 50),
        ("DJANGO_ALLOWED_HOSTS", "example.jp"),
        ("DATABASE_URL", "sqlite:///:memory:"),
        ("DJANGO_PRIVATE_ROOT", str(tmp_path / "zips")),
        ("DJANGO_EMAIL_HOST", "mail.example.jp"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "sns_training.settings.production", raising=False)
    try:
        production = importlib.import_module("sns_training.settings.production")
        assert production.STORAGES["private"]["OPTIONS"]["location"] == str(tmp_path / "zips")
    finally:
        sys.modules.pop("sns_training.settings.production", None)


def _private_files() -> set[str]:
    storage = storages["private"]
    return set(storage.listdir("certificate-bundles")[1]) if storage.exists("certificate-bundles") else set()


def test_a_failed_build_leaves_no_file_behind(hr, records, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.REPORTS_CERTIFICATE_FONT = str(tmp_path / "none.ttc")
    before = _private_files()

    with django_capture_on_commit_callbacks(execute=True):
        hr.post(zip_url(), FORM)

    assert CertificateBundle.objects.get().status == Status.FAILED
    assert _private_files() == before


# --- Stalled builds ------------------------------------------------------------------------------


def test_progress_moves_the_heartbeat_while_the_zip_is_built(hr, waiting, monkeypatch):
    """Every progress write also moves `progress_at`, which is what tells a live build from a dead one."""
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    seen = []
    render = certificates.certificate_pdf

    def render_and_look(record, **kwargs):
        seen.append(CertificateBundle.objects.values_list("status", "done", "progress_at").get(pk=waiting.pk))
        return render(record, **kwargs)

    monkeypatch.setattr(certificates, "certificate_pdf", render_and_look)
    before = timezone.now()

    result = services.certificate_bundle_build(bundle_id=waiting.pk)

    assert result["built"] and [s[:2] for s in seen] == [(Status.RUNNING, 0), (Status.RUNNING, 1), (Status.RUNNING, 2)]
    assert before <= seen[0][2] < seen[1][2] < seen[2][2]
    waiting.refresh_from_db()
    assert waiting.status == Status.DONE and waiting.progress_at >= seen[2][2]


@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING])
def test_a_build_that_stopped_moving_is_shown_as_stalled(hr, waiting, settings, status):
    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 600
    bundle = stop(waiting, minutes_ago=11, status=status)

    page = hr.get(page_url(bundle)).content.decode()

    assert bundle.is_stalled and bundle.state == "stalled" and not bundle.is_active
    assert "作成が止まっています（1/3件のまま10分以上進んでいません）。" in page
    assert "作成していた処理が中断されたようです。「もう一度作成する」で、作成済みの分の続きから作成します。" in page
    assert f'<form class="w-mt-4" method="post" action="{requeue_url(bundle)}">' in page
    assert "csrfmiddlewaretoken" in page and "もう一度作成する</button>" in page
    assert "data-status-url" not in page and "状況を更新" not in page  # nothing to watch any more
    assert CertificateBundle.objects.stalled().get() == bundle and not CertificateBundle.objects.active().exists()


def test_the_list_of_recent_requests_says_which_stopped(hr, waiting, settings):
    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 600
    stop(waiting, minutes_ago=11, done=1)

    page = squeeze(visible_text(hr.get(zip_url()).content.decode()))

    assert "停止（1/3）" in page and "作成中" not in page


def test_the_stall_time_is_a_setting(hr, waiting, settings):
    bundle = stop(waiting, minutes_ago=5)

    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 600
    assert "作成中です（1/3件）。" in hr.get(page_url(bundle)).content.decode()
    assert CertificateBundle.objects.active().get() == bundle

    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 240
    assert "作成が止まっています（1/3件のまま4分以上進んでいません）。" in hr.get(page_url(bundle)).content.decode()
    assert not CertificateBundle.objects.active().exists()


def test_a_stalled_bundle_no_longer_blocks_a_new_request(hr, waiting):
    stop(waiting)

    response = hr.post(zip_url(), FORM)

    assert CertificateBundle.objects.count() == 2
    new = CertificateBundle.objects.exclude(pk=waiting.pk).get()
    assert response["Location"] == page_url(new) and new.status == Status.QUEUED


def test_hr_builds_a_stalled_bundle_again(hr, world, waiting, django_capture_on_commit_callbacks):
    bundle = stop(waiting)

    with django_capture_on_commit_callbacks(execute=True):
        response = hr.post(requeue_url(bundle))

    assert response.status_code == 302 and response["Location"] == page_url(bundle)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.done, bundle.error) == (Status.DONE, 3, "")
    assert storages["private"].exists(bundle.file.name)
    entries = ModelLogEntry.objects.filter(action="reports.certificate_bundle_requested").order_by("pk")
    assert [e.data.get("requeued", False) for e in entries] == [False, True]
    assert entries.last().user_id == world.people.hr.user_id
    page = hr.get(page_url(bundle)).content.decode()
    assert "修了証のZIPをもう一度作成するよう依頼しました。" in page and f'href="{download_url(bundle)}"' in page


def test_requeue_waits_for_the_worker_like_a_new_request(hr, waiting):
    """Without a commit the new task never runs: the bundle is queued again, keeping the PDFs
    written so far (the new run resumes after them, decision 0034)."""
    bundle = stop(waiting, done=2)

    hr.post(requeue_url(bundle))

    bundle.refresh_from_db()
    assert (bundle.status, bundle.done, bundle.started_at) == (Status.QUEUED, 2, None)
    assert not bundle.is_stalled and CertificateBundle.objects.active().get() == bundle


def test_a_bundle_that_is_still_moving_is_not_built_again(hr, waiting):
    CertificateBundle.objects.filter(pk=waiting.pk).update(status=Status.RUNNING, done=1)

    response = hr.post(requeue_url(waiting), follow=True)

    assert "この修了証のZIPは作成が止まっていないため、作り直す必要はありません。" in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.done) == (Status.RUNNING, 1)
    assert ModelLogEntry.objects.filter(action="reports.certificate_bundle_requested").count() == 1


def test_requeue_with_a_new_build_already_under_way_goes_to_that_one(hr, waiting):
    stop(waiting)
    hr.post(zip_url(), FORM)  # HR asked afresh in the meantime
    fresh = CertificateBundle.objects.exclude(pk=waiting.pk).get()

    response = hr.post(requeue_url(waiting))

    assert response["Location"] == page_url(fresh)
    waiting.refresh_from_db()
    assert waiting.is_stalled  # not a second build of the same request


def test_requeue_is_a_csrf_protected_post_for_hr_of_the_municipality_only(world, waiting):
    bundle = stop(waiting)

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.people.hr.user)
    assert strict.post(requeue_url(bundle)).status_code == 403
    hr = Client()
    hr.force_login(world.people.hr.user)
    assert hr.get(requeue_url(bundle)).status_code == 405
    other = Client()
    other.force_login(world.people.s_hr.user)
    assert other.post(requeue_url(bundle)).status_code == 404
    for viewer in ("employee", "head"):
        client = Client()
        client.force_login(getattr(world.people, viewer).user)
        response = client.post(requeue_url(bundle))
        assert refused_as_not_for_staff(response)
    bundle.refresh_from_db()
    assert (
        bundle.is_stalled and ModelLogEntry.objects.filter(action="reports.certificate_bundle_requested").count() == 1
    )


def test_a_run_whose_bundle_was_built_again_stops_and_leaves_it_to_the_new_run(hr, waiting, monkeypatch):
    """A worker thought dead that wakes up after HR's 「もう一度作成する」 must not finish the bundle
    nor write over the new run's progress."""
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    render = certificates.certificate_pdf
    calls = []

    def slow_render(record, **kwargs):
        if not calls:  # while the first PDF renders, the bundle looks dead and HR asks again
            stop(waiting, done=0)
            services.certificate_bundle_requeue(user=hr_user, bundle=waiting)
        calls.append(record.pk)
        return render(record, **kwargs)

    hr_user = waiting.requested_by
    monkeypatch.setattr(certificates, "certificate_pdf", slow_render)

    result = services.certificate_bundle_build(bundle_id=waiting.pk)

    assert result == {"bundle": waiting.pk, "built": False, "superseded": True} and len(calls) == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.done, waiting.file.name) == (Status.QUEUED, 0, "")
    assert services.certificate_bundle_build(bundle_id=waiting.pk)["built"]  # the new run builds it


# --- The status the page polls -------------------------------------------------------------------


def test_the_status_of_a_waiting_zip(hr, waiting):
    response = hr.get(status_url(waiting))

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["state"] == "queued" and (data["done"], data["total"], data["percent"]) == (0, 3, 0)
    assert data["message"] == "作成の順番を待っています。" and data["progress_label"] == "0/3件（0%）"
    assert "download_url" not in data


def test_the_status_follows_the_build(hr, waiting, settings):
    CertificateBundle.objects.filter(pk=waiting.pk).update(status=Status.RUNNING, done=2)
    data = hr.get(status_url(waiting)).json()
    assert (data["state"], data["message"], data["percent"]) == ("running", "作成中です（2/3件）。", 67)

    settings.CERTIFICATE_BUNDLE_STALL_SECONDS = 60
    stop(waiting, minutes_ago=2, done=2)
    data = hr.get(status_url(waiting)).json()
    assert data["state"] == "stalled" and data["message"].startswith("作成が止まっています（2/3件のまま1分以上")


def test_the_status_of_a_finished_zip_links_the_download(hr, built):
    data = hr.get(status_url(built)).json()

    assert data["state"] == "done" and data["download_url"] == download_url(built)
    assert data["message"] == "完成しました。修了証3件をZIPでダウンロードできます。"
    assert data["size"] == built.size and data["size_label"]
    assert not ModelLogEntry.objects.filter(action="reports.certificate_downloaded").exists()


def test_the_status_of_a_failed_zip_gives_the_error(hr, waiting):
    CertificateBundle.objects.filter(pk=waiting.pk).update(status=Status.FAILED, error="作れませんでした（X）。")

    data = hr.get(status_url(waiting)).json()

    assert (data["state"], data["error"], data["message"]) == (
        "failed",
        "作れませんでした（X）。",
        "作成できませんでした。",
    )


def test_the_status_is_scoped_like_the_page(world, waiting):
    before = CertificateBundle.objects.values().get(pk=waiting.pk)
    entries = ModelLogEntry.objects.count()

    other = Client()
    other.force_login(world.people.s_hr.user)
    response = other.get(status_url(waiting))
    assert response.status_code == 404 and "芦屋".encode() not in response.content
    assert other.get(page_url(waiting)).status_code == 404
    for viewer in ("employee", "head"):
        client = Client()
        client.force_login(getattr(world.people, viewer).user)
        response = client.get(status_url(waiting))
        assert refused_as_not_for_staff(response) and "芦屋".encode() not in response.content
    response = Client().get(status_url(waiting))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))

    assert CertificateBundle.objects.values().get(pk=waiting.pk) == before
    assert ModelLogEntry.objects.count() == entries


def test_the_status_only_answers_get(hr, waiting):
    assert hr.post(status_url(waiting)).status_code == 405
    assert hr.get(status_url(CertificateBundle(pk=waiting.pk + 100))).status_code == 404


def test_the_status_costs_a_fixed_number_of_queries(hr, waiting, django_assert_num_queries):
    with django_assert_num_queries(5):  # user, permissions (2), Wagtail's profile, the bundle
        assert hr.get(status_url(waiting)).status_code == 200


# --- Retention -----------------------------------------------------------------------------------


def _age(bundle, *, days: int, status=Status.DONE) -> None:
    CertificateBundle.objects.filter(pk=bundle.pk).update(
        status=status, finished_at=timezone.now() - datetime.timedelta(days=days)
    )


def _bundle(world, **fields) -> CertificateBundle:
    values = {
        "municipality": world.ashiya,
        "department": world.tree["kikaku"],
        "department_code": "1000",
        "department_name": "企画部",
        "fiscal_year": 2025,
        "total": 3,
    }
    return CertificateBundle.objects.create(**values | fields)


def test_purge_deletes_old_finished_and_failed_bundles_and_their_files(world, built):
    name = built.file.name
    _age(built, days=31)
    failed = _bundle(world, status=Status.FAILED, error="x")
    _age(failed, days=40, status=Status.FAILED)
    recent = _bundle(world, status=Status.DONE)
    _age(recent, days=29)
    stalled = _bundle(world, status=Status.RUNNING, progress_at=timezone.now() - datetime.timedelta(days=90))
    queued = _bundle(world, status=Status.QUEUED)

    deleted = services.bundles_purge(older_than=datetime.timedelta(days=30))

    assert deleted == 2
    assert set(CertificateBundle.objects.values_list("pk", flat=True)) == {recent.pk, stalled.pk, queued.pk}
    assert not storages["private"].exists(name)
    assert services.bundles_purge(older_than=datetime.timedelta(days=30)) == 0


def test_the_purge_command_says_how_many_it_deleted(world, built):
    _age(built, days=8)
    name = built.file.name
    out = io.StringIO()

    call_command("purge_certificate_bundles", stdout=out)  # 30 days by default: kept
    assert out.getvalue().startswith("Deleted 0 certificate bundle(s)") and storages["private"].exists(name)

    out = io.StringIO()
    call_command("purge_certificate_bundles", "--days", "7", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 certificate bundle(s) finished more than 7 day(s) ago."
    assert not CertificateBundle.objects.exists() and not storages["private"].exists(name)


# --- Resuming after a crash (decision 0034) -------------------------------------------------------


class _Killed(BaseException):
    """What SIGKILL leaves behind, as far as the database and storage can tell: the run stops
    between two PDFs (the real-process drill is tests/worker/test_worker_drills.py)."""


def test_a_build_killed_mid_way_resumes_after_the_last_pdf_written(hr, waiting, monkeypatch):
    render = certificates.certificate_pdf
    rendered = []

    def render_then_die(record, **kwargs):
        if len(rendered) == 2:
            raise _Killed
        rendered.append(record.pk)
        return render(record, **kwargs)

    monkeypatch.setattr(certificates, "certificate_pdf", render_then_die)
    with pytest.raises(_Killed):
        services.certificate_bundle_build(bundle_id=waiting.pk)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.done, waiting.written_through) == (Status.RUNNING, 2, rendered[-1])

    # Run again by the worker after the lease expired: takes the running bundle over at once.
    again = []
    monkeypatch.setattr(
        certificates, "certificate_pdf", lambda record, **kw: again.append(record.pk) or render(record, **kw)
    )
    result = services.certificate_bundle_build(bundle_id=waiting.pk, takeover=True)

    assert result["built"] and result["resumed_from"] == 2 and result["pdfs"] == 3
    assert len(again) == 1 and again[0] not in rendered  # only the PDF not yet written
    waiting.refresh_from_db()
    assert (waiting.status, waiting.done) == (Status.DONE, 3)
    response = hr.get(download_url(waiting))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert len(archive.namelist()) == 3 and all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    assert storages["private"].listdir(f"certificate-bundles/work/{waiting.pk}")[1] == []


def test_a_running_build_not_taken_over_waits_for_the_stall_time(waiting):
    """Without `takeover` (a duplicate task, not the worker's retry) a live build is left alone."""
    CertificateBundle.objects.filter(pk=waiting.pk).update(status=Status.RUNNING, progress_at=timezone.now())
    assert services.certificate_bundle_build(bundle_id=waiting.pk) == {"bundle": waiting.pk, "built": False}


def test_a_build_is_stalled_after_a_minute_without_a_pdf_by_default(hr, waiting, settings):
    for name in ("CERTIFICATE_BUNDLE_STALL_SECONDS", "CERTIFICATE_BUNDLE_QUEUE_STALL_SECONDS"):
        if hasattr(settings, name):
            delattr(settings, name)
    now = timezone.now()
    CertificateBundle.objects.filter(pk=waiting.pk).update(
        status=Status.RUNNING, progress_at=now - datetime.timedelta(seconds=50)
    )
    waiting.refresh_from_db()
    assert not waiting.is_stalled
    CertificateBundle.objects.filter(pk=waiting.pk).update(progress_at=now - datetime.timedelta(seconds=61))
    waiting.refresh_from_db()
    assert waiting.is_stalled and "1分以上進んでいません" in hr.get(page_url(waiting)).content.decode()
    # Still queued behind other builds is not stalled before ten minutes.
    CertificateBundle.objects.filter(pk=waiting.pk).update(
        status=Status.QUEUED, progress_at=now - datetime.timedelta(minutes=9)
    )
    waiting.refresh_from_db()
    assert not waiting.is_stalled
