"""Scheduled publishing actually runs (decision 0038): every periodic job is in deploy/crontab and the
README through `run_periodic`, which records each run; `check_periodic_jobs` exits 1 naming a job that
has not succeeded for longer than it may."""

from __future__ import annotations

import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.utils import timezone

from sns_training.models import PeriodicJobRun
from sns_training.periodic import JOBS
from tests.factories import ChapterPageFactory, GuidelinePageFactory, MunicipalityFactory, clause

BASE = Path(settings.BASE_DIR)
CRON_LINE = re.compile(
    r"^(?P<schedule>(?:\S+\s+){4}\S+)\s+.*manage\.py (?P<command>run_periodic \w+|check_periodic_jobs)"
)


def _crontab() -> dict[str, str]:
    entries = {}
    for line in (BASE / "deploy" / "crontab").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        match = CRON_LINE.match(line)
        assert match, f"deploy/crontab: a line that runs no recorded job: {line}"
        entries[match["command"].removeprefix("run_periodic ")] = " ".join(match["schedule"].split())
    return entries


def test_every_periodic_job_is_in_the_crontab_with_its_schedule_and_the_health_check():
    entries = _crontab()
    assert {name: job.schedule for name, job in JOBS.items()} == {k: v for k, v in entries.items() if k in JOBS}
    assert set(entries) == set(JOBS) | {"check_periodic_jobs"}
    assert "publish_scheduled" in entries and entries["publish_scheduled"] == "*/5 * * * *"
    commands = get_commands()
    assert all(name in commands for name in JOBS), "each job is a management command that exists"


def test_the_readme_schedule_lists_every_job_through_run_periodic():
    readme = (BASE / "README.md").read_text(encoding="utf-8")
    for name, job in JOBS.items():
        assert re.search(rf"{re.escape(job.schedule)}\s+python manage\.py run_periodic {name}\b", readme), name
    assert "python manage.py check_periodic_jobs" in readme


def test_every_purge_and_reminder_command_of_the_project_is_a_periodic_job():
    """A new purge_* or send_* command without a schedule fails here."""
    project = {
        name
        for name, app in get_commands().items()
        if app in {"people", "courses", "quizzes", "training", "reports", "identity", "sns_training", "privacy"}
    }
    periodic_looking = {n for n in project if n.startswith(("purge_", "send_", "verify_", "apply_"))}
    assert periodic_looking <= set(JOBS)


@pytest.mark.django_db
def test_run_periodic_publishes_a_scheduled_page_and_records_the_run():
    municipality = MunicipalityFactory()
    guideline = GuidelinePageFactory(municipality=municipality, slug="scheduled")
    chapter = ChapterPageFactory(parent=guideline, key="1", title="予約公開の章", body=[clause("1", "１", "本文")])
    chapter.unpublish()
    chapter.refresh_from_db()
    chapter.go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision = chapter.save_revision()
    revision.approved_go_live_at = chapter.go_live_at
    revision.save()
    assert not type(chapter).objects.get(pk=chapter.pk).live

    call_command("run_periodic", "publish_scheduled", stdout=StringIO())

    assert type(chapter).objects.get(pk=chapter.pk).live
    row = PeriodicJobRun.objects.get(job="publish_scheduled")
    assert row.status == PeriodicJobRun.Status.SUCCEEDED and row.runs == 1
    assert timezone.now() - row.last_succeeded_at < datetime.timedelta(minutes=1)
    call_command("run_periodic", "publish_scheduled", stdout=StringIO())
    assert PeriodicJobRun.objects.get(job="publish_scheduled").runs == 2


@pytest.mark.django_db
def test_a_failed_run_is_recorded_and_exits_non_zero():
    call_command("run_periodic", "publish_scheduled", stdout=StringIO())
    before = PeriodicJobRun.objects.get(job="publish_scheduled").last_succeeded_at

    with pytest.raises(CommandError):
        call_command("run_periodic", "publish_scheduled", "--no-such-option", stdout=StringIO(), stderr=StringIO())

    row = PeriodicJobRun.objects.get(job="publish_scheduled")
    assert row.status == PeriodicJobRun.Status.FAILED and row.last_error
    assert row.last_succeeded_at == before  # a failure is no success
    with pytest.raises(CommandError, match="定期処理「rm_rf」はありません"):
        call_command("run_periodic", "rm_rf")


def _all_succeeded(ago: datetime.timedelta = datetime.timedelta(minutes=1)):
    now = timezone.now()
    for name in JOBS:
        PeriodicJobRun.objects.update_or_create(
            job=name,
            defaults={
                "status": PeriodicJobRun.Status.SUCCEEDED,
                "last_started_at": now - ago,
                "last_finished_at": now - ago,
                "last_succeeded_at": now - ago,
                "runs": 1,
            },
        )


def _check() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check_periodic_jobs", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_check_periodic_jobs_passes_when_every_job_ran_in_time():
    _all_succeeded()
    code, out, err = _check()
    assert code == 0 and "すべての定期処理が期限内に実行されています。" in out and err == ""


@pytest.mark.django_db
def test_check_periodic_jobs_exits_1_naming_a_late_job():
    _all_succeeded()
    PeriodicJobRun.objects.filter(job="publish_scheduled").update(
        last_succeeded_at=timezone.now() - datetime.timedelta(minutes=21)
    )
    code, out, err = _check()
    assert code == 1
    assert "遅延  publish_scheduled" in err
    assert "遅れている定期処理があります: publish_scheduled" in err
    assert "send_reminders" in out  # the others are fine


@pytest.mark.django_db
def test_a_daily_job_missed_once_and_a_job_never_run_are_late():
    _all_succeeded()
    PeriodicJobRun.objects.filter(job="send_reminders").update(
        last_succeeded_at=timezone.now() - datetime.timedelta(hours=28)
    )
    PeriodicJobRun.objects.filter(job="verify_records").delete()
    code, _out, err = _check()
    assert code == 1
    assert "遅れている定期処理があります: send_reminders、verify_records" in err
    assert "未実行  verify_records" in err


@pytest.mark.django_db
def test_a_job_whose_last_run_failed_is_late_once_its_last_success_is_too_old():
    _all_succeeded(ago=datetime.timedelta(hours=30))
    PeriodicJobRun.objects.update(status=PeriodicJobRun.Status.FAILED, last_error="Traceback…\nBoom: disk full")
    code, _out, err = _check()
    assert code == 1 and "直近の実行は失敗: Boom: disk full" in err
