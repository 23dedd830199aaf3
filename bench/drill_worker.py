"""Worker fault drills (issue 13, decision 0034): background work survives crashes.

    .venv/bin/python bench/drill_worker.py [--scenario all|kill-reminders|kill-zip|pg-restart]
                                           [--mails 300] [--pdfs 40] [--keep]

Everything runs on a PostgreSQL cluster of its own (initdb + pg_ctl as user postgres, on a free
port, removed afterwards; the shared server on 5432 is never touched), with real processes: the
worker is `manage.py run_worker` (tests/worker/worker_settings.py: leases of 3 s renewed every
0.5 s), mail goes to a real SMTP server process (tests/smtp_sink.py) that records each message
it accepts.

- kill-reminders: the daily reminder run for --mails people; the worker is SIGKILLed after a
  third of the mails, a second worker is started. Prints mails expected / accepted / distinct /
  duplicated / lost, rows logged sent and unsent (SQL), and the recovery time.
- kill-zip: a certificate ZIP of --pdfs records; the worker is SIGKILLed after a quarter, a second
  one resumes. Prints PDFs written before the kill, where the second run resumed, the time from
  the kill to the first new PDF and to the finished ZIP, and the ZIP's entries checked.
- pg-restart: the reminder run again while PostgreSQL is restarted (pg_ctl restart -m fast) in
  the middle: the worker must stay up and finish. Prints the outage, the worker's retries, mails
  duplicated and lost, and the time from the database's return to the task finished.

Exit status 1 if a mail is lost, more than one is duplicated per crash, a worker exits on its own,
or a ZIP is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


class Cluster:
    """A throw-away PostgreSQL cluster on a free port."""

    def __init__(self, base: Path):
        from tests.smtp_sink import free_port

        self.dir = base / "pgdata"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(base, "postgres")
            shutil.chown(self.dir, "postgres")
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres", "-A", "trust", "--no-sync")
        self.log = base / "postgres.log"
        if os.geteuid() == 0:
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self.start()
        as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "drill")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/drill"

    def _ctl(self, *args: str) -> None:
        as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-l",
            str(self.log),
            "-o",
            f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            *args,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def remove(self) -> None:
        # At clean-up the cluster may already be stopped (the drill stops it): nothing to do then.
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.worker.worker_settings"
    import django

    django.setup()


def migrate() -> float:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    return time.monotonic() - started


def sql(statement: str, *params) -> list[tuple]:
    from django.db import connection

    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def reminder_people(count: int, *, slug: str) -> tuple[list[str], str]:
    from django.utils import timezone

    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from tests.factories import (
        DepartmentFactory,
        GuidelinePageFactory,
        MunicipalityFactory,
        StaffMemberFactory,
        TrainingCycleFactory,
    )

    today = timezone.localdate()
    municipality = MunicipalityFactory.ashiya() if slug == "a" else MunicipalityFactory.sukagawa()
    department = DepartmentFactory(municipality=municipality)
    base = 600000 if slug == "a" else 800000
    people = [
        StaffMemberFactory(municipality=municipality, department=department, staff_number=f"{base + i}")
        for i in range(count)
    ]
    guideline = GuidelinePageFactory(municipality=municipality, title=f"drill {slug}", slug=f"drill-{slug}")
    start, end = fiscal_year_bounds(fiscal_year_of(today))
    TrainingCycleFactory(
        guideline=guideline, fiscal_year=fiscal_year_of(today), opens_on=start, due_on=today, closes_on=end
    )
    return sorted(p.user.email for p in people), today.isoformat()


def mail_figures(expected: list[str], accepted: list[str]) -> dict:
    per_address = Counter(address for address in accepted if address in set(expected))
    return {
        "expected": len(expected),
        "accepted": len(accepted),
        "distinct": len(per_address),
        "duplicated": sum(n - 1 for n in per_address.values()),
        "lost": len(set(expected) - set(per_address)),
    }


def logged(emails: list[str]) -> tuple[int, int]:
    rows = sql(
        "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL) "
        "FROM training_reminderlog WHERE recipient = ANY(%s)",
        emails,
    )
    return rows[0]


def kill_reminders(base: Path, env: dict, mails: int) -> bool:
    from tests.smtp_sink import Sink
    from tests.worker.drill import STARTED, WorkerProcess, task_enqueue, wait_for

    emails, day = reminder_people(mails, slug="a")
    sink = Sink(base / "mails-kill.txt", delay=0.02)
    STARTED.append(sink)
    env = {**env, "DRILL_SMTP_PORT": str(sink.port)}
    task_id = task_enqueue("training.tasks.reminders_send", on=day)
    first = WorkerProcess(name="kill-a", env=env, log=base / "worker-kill-a.log")
    wait_for(lambda: len(sink.accepted()) >= mails // 3, timeout=300, what="a third of the mails")
    first.kill()
    killed = time.monotonic()
    at_kill = len(sink.accepted())
    sent_at_kill, unsent_at_kill = logged(emails)
    second = WorkerProcess(name="kill-b", env=env, log=base / "worker-kill-b.log")
    count_then = len(sink.accepted())
    wait_for(lambda: len(sink.accepted()) > count_then, timeout=120, what="a mail after the restart")
    first_new = time.monotonic() - killed
    wait_for(
        lambda: (
            sql("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", task_id)[0][0] == "SUCCESSFUL"
        ),
        timeout=600,
        what="the run to finish",
    )
    finished = time.monotonic() - killed
    second.stop()
    sink.stop()
    figures = mail_figures(emails, sink.accepted())
    sent, unsent = logged(emails)
    print("\n== kill-reminders: worker SIGKILLed during the reminder run ==")
    print(
        f"mails accepted at the kill: {at_kill}; rows logged sent then: {sent_at_kill}, claimed unsent: {unsent_at_kill}"
    )
    print(
        f"mails expected {figures['expected']}, accepted {figures['accepted']}, distinct {figures['distinct']}, "
        f"duplicated {figures['duplicated']}, lost {figures['lost']}"
    )
    print(f"rows checked with SQL: {sent} logged sent, {unsent} logged unsent (training_reminderlog)")
    print(f"recovery: first mail {first_new:.1f} s after the kill, run finished {finished:.1f} s after it")
    return figures["lost"] == 0 and figures["duplicated"] <= 1 and unsent == 0 and sent == mails


def kill_zip(base: Path, env: dict, pdfs: int) -> bool:
    import zipfile

    from django.core.files.storage import FileSystemStorage

    from reports.models import CertificateBundle
    from tests.factories import DepartmentFactory, GuidelinePageFactory, MunicipalityFactory, StaffMemberFactory
    from tests.reports.conftest import make_record
    from tests.worker.drill import WorkerProcess, task_enqueue, wait_for

    municipality = MunicipalityFactory.ashiya()
    department = DepartmentFactory(municipality=municipality, code="3900", name="ドリル係")
    guideline = GuidelinePageFactory(municipality=municipality, title="drill zip", slug="drill-zip")
    records = [
        make_record(
            StaffMemberFactory(municipality=municipality, department=department, staff_number=f"{900000 + i}"),
            guideline,
        )
        for i in range(pdfs)
    ]
    bundle = CertificateBundle.objects.create(
        municipality=municipality,
        department=department,
        department_code=department.code,
        department_name=department.name,
        department_codes=[department.code],
        fiscal_year=2025,
        last_record_id=max(r.pk for r in records),
        requested_by=records[0].staff.user,
        total=pdfs,
    )
    task_id = task_enqueue("reports.tasks.certificate_bundle_build", bundle_id=bundle.pk)

    def done() -> int:
        return sql("SELECT done FROM reports_certificatebundle WHERE id = %s", bundle.pk)[0][0]

    first = WorkerProcess(name="zip-a", env=env, log=base / "worker-zip-a.log")
    wait_for(lambda: done() >= pdfs // 4, timeout=600, every=0.2, what="a quarter of the PDFs")
    first.kill()
    killed = time.monotonic()
    at_kill = done()
    second = WorkerProcess(name="zip-b", env=env, log=base / "worker-zip-b.log")
    wait_for(lambda: done() > at_kill, timeout=120, every=0.2, what="a new PDF")
    resumed = time.monotonic() - killed
    wait_for(
        lambda: (
            sql("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", task_id)[0][0] == "SUCCESSFUL"
        ),
        timeout=900,
        every=0.2,
        what="the ZIP",
    )
    finished = time.monotonic() - killed
    second.stop()
    row = sql(
        "SELECT b.status, b.done, b.file, t.return_value FROM reports_certificatebundle b, "
        "django_tasks_database_dbtaskresult t WHERE b.id = %s AND t.id = %s",
        bundle.pk,
        task_id,
    )[0]
    status, built, name, result = row
    if isinstance(result, str):  # jsonb comes back as text through Django's cursor
        result = json.loads(result)
    storage = FileSystemStorage(location=env["DRILL_PRIVATE_ROOT"])
    with storage.open(name, "rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        good = sum(archive.read(n).startswith(b"%PDF") for n in names)
    print("\n== kill-zip: worker SIGKILLed while building a certificate ZIP ==")
    print(f"PDFs written before the kill: {at_kill} of {pdfs}; the second run resumed from {result['resumed_from']}")
    print(f"recovery: first new PDF {resumed:.1f} s after the kill, ZIP finished {finished:.1f} s after it")
    print(
        f"rows checked with SQL: bundle {status}, done {built}; ZIP entries {len(names)}, distinct {len(set(names))}, PDFs {good}"
    )
    return status == "done" and len(set(names)) == pdfs == good and result["resumed_from"] == at_kill


def pg_restart(base: Path, env: dict, cluster: Cluster, mails: int) -> bool:
    from tests.smtp_sink import Sink
    from tests.worker.drill import STARTED, WorkerProcess, task_enqueue, wait_for

    emails, day = reminder_people(mails, slug="s")
    sink = Sink(base / "mails-pg.txt", delay=0.02)
    STARTED.append(sink)
    env = {**env, "DRILL_SMTP_PORT": str(sink.port)}
    task_id = task_enqueue("training.tasks.reminders_send", on=day)
    worker = WorkerProcess(name="pg-a", env=env, log=base / "worker-pg.log")
    wait_for(lambda: len(sink.accepted()) >= mails // 3, timeout=300, what="a third of the mails")
    from django.db import connection

    connection.close()
    down = time.monotonic()
    cluster.stop()
    time.sleep(3)  # the database is away for a while
    cluster.start()
    up = time.monotonic()
    wait_for(
        lambda: (
            sql("SELECT status FROM django_tasks_database_dbtaskresult WHERE id = %s", task_id)[0][0] == "SUCCESSFUL"
        ),
        timeout=600,
        every=0.2,
        what="the run to finish after the restart",
    )
    finished = time.monotonic() - up
    alive = worker.alive()
    worker.stop()
    sink.stop()
    figures = mail_figures(emails, sink.accepted())
    sent, unsent = logged(emails)
    log = (base / "worker-pg.log").read_text()
    retries = log.count("database unavailable") + log.count("cannot record task") + log.count("queued again")
    print("\n== pg-restart: PostgreSQL stopped and started during the reminder run ==")
    print(f"database away {up - down:.1f} s; worker still running afterwards: {alive}; retries logged: {retries}")
    print(
        f"mails expected {figures['expected']}, accepted {figures['accepted']}, distinct {figures['distinct']}, "
        f"duplicated {figures['duplicated']}, lost {figures['lost']}"
    )
    print(f"rows checked with SQL: {sent} logged sent, {unsent} logged unsent")
    print(f"recovery: run finished {finished:.1f} s after the database was back")
    return alive and figures["lost"] == 0 and figures["duplicated"] <= 1 and unsent == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="all", choices=["all", "kill-reminders", "kill-zip", "pg-restart"])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the cluster's directory and the logs")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="drill-worker-"))
    cluster = Cluster(base)
    ok = True
    try:
        setup_django(cluster.url)
        print(f"own PostgreSQL on port {cluster.port}; migrated in {migrate():.1f} s; logs in {base}")
        from tests.training.conftest import wagtail_seed_ensure

        wagtail_seed_ensure()
        env = {
            "DATABASE_URL": cluster.url,
            "DJANGO_SETTINGS_MODULE": "tests.worker.worker_settings",
            "DRILL_PRIVATE_ROOT": str(base / "private"),
        }
        if args.scenario in ("all", "kill-reminders"):
            ok &= kill_reminders(base, env, args.mails)
        if args.scenario in ("all", "kill-zip"):
            ok &= kill_zip(base, env, args.pdfs)
        if args.scenario in ("all", "pg-restart"):
            ok &= pg_restart(base, env, cluster, args.mails)
    finally:
        from django.db import connections

        from tests.worker.drill import STARTED

        for worker in STARTED:
            worker.stop()

        connections.close_all()
        cluster.remove()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("\nresult:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
