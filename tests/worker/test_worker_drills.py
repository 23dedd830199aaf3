"""Background work survives crashes (decision 0034), shown with real processes on PostgreSQL: a
worker (`manage.py run_worker`) is killed with SIGKILL in the middle of the reminder run and of a
certificate ZIP; a second worker takes the task over when its lease expires. Mails are counted
by a real SMTP server process (tests/smtp_sink.py). The PostgreSQL restart drill, on a cluster of
its own, is bench/drill_worker.py (tests/worker/test_pg_restart.py runs it)."""

from __future__ import annotations

import datetime
import zipfile
from collections import Counter

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reports.models import CertificateBundle
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
from tests.factories import DepartmentFactory, GuidelinePageFactory, MunicipalityFactory, StaffMemberFactory
from tests.reports.conftest import make_record
from tests.smtp_sink import Sink
from tests.training.conftest import wagtail_seed_ensure
from training.models import ReminderLog

from .drill import WorkerProcess, database_url, fresh, task_enqueue, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real worker process needs PostgreSQL"),
]


@pytest.fixture
def env(tmp_path):
    return {
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "tests.worker.worker_settings",
        "DRILL_PRIVATE_ROOT": str(tmp_path / "private"),
        "DRILL_LEASE_SECONDS": "3",
        "DRILL_HEARTBEAT_SECONDS": "0.5",
    }


@pytest.fixture
def workers():
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


def task_row(task_id: str) -> DBTaskResult:
    return fresh(lambda: DBTaskResult.objects.get(pk=task_id))


def reminder_world(count: int) -> tuple[list[str], datetime.date]:
    """`count` people of 芦屋市 in one cycle due today: each is owed the `due` reminder today."""
    from tests.factories import TrainingCycleFactory

    wagtail_seed_ensure()
    today = timezone.localdate()
    ashiya = MunicipalityFactory.ashiya()
    department = DepartmentFactory(municipality=ashiya)
    people = [
        StaffMemberFactory(municipality=ashiya, department=department, staff_number=f"{700000 + i}")
        for i in range(count)
    ]
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-drill")
    start, end = fiscal_year_bounds(fiscal_year_of(today))
    TrainingCycleFactory(
        guideline=guideline, fiscal_year=fiscal_year_of(today), opens_on=start, due_on=today, closes_on=end
    )
    return sorted(p.user.email for p in people), today


def test_reminders_killed_mid_run_are_all_sent_by_the_next_worker_none_twice_but_the_one_in_flight(
    tmp_path, env, workers
):
    emails, today = reminder_world(40)
    sink = Sink(tmp_path / "mails.txt", delay=0.08)
    try:
        env["DRILL_SMTP_PORT"] = str(sink.port)
        task_id = task_enqueue("training.tasks.reminders_send", on=today.isoformat())
        first = WorkerProcess(name="drill-a", env=env, log=tmp_path / "worker-a.log")
        workers.append(first)
        wait_for(lambda: len(sink.accepted()) >= 12, timeout=600, what="12 mails accepted")
        first.kill()
        killed_at = timezone.now()
        accepted_before = len(sink.accepted())
        stamped = fresh(lambda: ReminderLog.objects.filter(sent_at__isnull=False).count())
        # Every mail the server accepted is logged sent, but at most the one in flight.
        assert accepted_before - 1 <= stamped <= accepted_before
        assert task_row(task_id).status == TaskResultStatus.RUNNING

        second = WorkerProcess(name="drill-b", env=env, log=tmp_path / "worker-b.log")
        workers.append(second)
        row = wait_for(
            lambda: (r := task_row(task_id)).status == TaskResultStatus.SUCCESSFUL and r,
            timeout=600,
            what="the task to finish on the second worker",
        )
    finally:
        sink.stop()

    accepted = sink.accepted()
    per_address = Counter(accepted)
    assert sorted(per_address) == emails  # nobody lost
    assert sum(n - 1 for n in per_address.values()) <= 1  # only the mail in flight twice
    assert row.worker_ids == ["drill-a", "drill-b"] and len(accepted) - 1 <= 40
    assert fresh(lambda: ReminderLog.objects.filter(sent_at__isnull=True).count()) == 0
    assert fresh(lambda: ReminderLog.objects.count()) == 40
    # Taken over by lease expiry (3 s here), not by anyone noticing: finished soon after.
    assert (row.finished_at - killed_at).total_seconds() < 180
    assert "lost its lease" in (tmp_path / "worker-b.log").read_text()


def bundle_world(count: int) -> CertificateBundle:
    """A 係 of `count` people with a completion record each, and HR's request for their ZIP, as
    reports.services.certificate_bundle_request saves it (the task is enqueued separately)."""
    wagtail_seed_ensure()
    ashiya = MunicipalityFactory.ashiya()
    department = DepartmentFactory(municipality=ashiya, code="3100", name="広報係")
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-zip")
    hr = StaffMemberFactory(municipality=ashiya, department=department, staff_number="799999")
    records = [
        make_record(
            StaffMemberFactory(municipality=ashiya, department=department, staff_number=f"{710000 + i}"),
            guideline,
        )
        for i in range(count)
    ]
    return CertificateBundle.objects.create(
        municipality=ashiya,
        department=department,
        department_code=department.code,
        department_name=department.name,
        department_codes=[department.code],
        fiscal_year=2025,
        include_subdepartments=False,
        last_record_id=max(r.pk for r in records),
        requested_by=hr.user,
        total=count,
    )


def test_a_certificate_zip_killed_mid_build_resumes_after_the_last_pdf_written(tmp_path, env, workers):
    bundle = bundle_world(24)
    task_id = task_enqueue("reports.tasks.certificate_bundle_build", bundle_id=bundle.pk)
    first = WorkerProcess(name="zip-a", env=env, log=tmp_path / "worker-a.log")
    workers.append(first)
    wait_for(lambda: fresh(lambda: CertificateBundle.objects.get(pk=bundle.pk).done >= 8), timeout=600, what="8 PDFs")
    first.kill()
    stopped = fresh(lambda: CertificateBundle.objects.get(pk=bundle.pk))
    assert stopped.status == CertificateBundle.Status.RUNNING and 8 <= stopped.done < 24
    assert stopped.written_through > 0

    second = WorkerProcess(name="zip-b", env=env, log=tmp_path / "worker-b.log")
    workers.append(second)
    row = wait_for(
        lambda: (r := task_row(task_id)).status == TaskResultStatus.SUCCESSFUL and r,
        timeout=600,
        what="the ZIP to be finished by the second worker",
    )

    assert row.return_value["built"] and row.return_value["resumed_from"] == stopped.done
    assert row.return_value["pdfs"] == 24 and row.worker_ids == ["zip-a", "zip-b"]
    done = fresh(lambda: CertificateBundle.objects.get(pk=bundle.pk))
    assert (done.status, done.done) == (CertificateBundle.Status.DONE, 24)
    storage = FileSystemStorage(location=env["DRILL_PRIVATE_ROOT"])
    with storage.open(done.file.name, "rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        assert len(names) == 24 and len(set(names)) == 24
        assert all(archive.read(name).startswith(b"%PDF") for name in names)
    assert storage.listdir(f"certificate-bundles/work/{bundle.pk}")[1] == []  # the work area is emptied
