"""Retention of uploaded roster files (names and addresses of every employee): after the retention
period the file's bytes go and the record stays; dry runs never committed go entirely; an old or
purged dry run cannot be committed; HR sees why in the admin."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import services
from people.models import RosterImport, StaffMember
from people.services import PeopleError
from sns_training.dates import date_display
from tests.factories import MunicipalityFactory, StaffMemberFactory, department_tree, roster_csv
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

INDEX = "/admin/roster-import/"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def hr():
    tree = department_tree(MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa())
    return StaffMemberFactory(
        municipality=tree["jinji"].municipality, department=tree["jinji"], role="hr", staff_number="000900"
    )


def text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def dry_run(hr, number: str, *, age: datetime.timedelta = datetime.timedelta(0), name="meibo.csv") -> RosterImport:
    imported = services.roster_import_create(
        municipality=hr.municipality,
        kind="staff",
        file_name=name,
        content=roster_csv(f"{number},新人 {number},シンジン,1100,一般職,2026-04-01,n{number}@ashiya.example.jp,1"),
        user=hr.user,
    )
    return aged(imported, age)


def aged(imported: RosterImport, age: datetime.timedelta) -> RosterImport:
    """Move the upload back in time (uploaded_at is set on insert)."""
    RosterImport.objects.filter(pk=imported.pk).update(uploaded_at=timezone.now() - age)
    imported.refresh_from_db()
    return imported


def committed(hr, number: str, *, age: datetime.timedelta, name="meibo.csv") -> RosterImport:
    imported = dry_run(hr, number, name=name)
    services.roster_import_commit(roster_import=imported, plan_digest=imported.plan_digest, user=hr.user)
    return aged(imported, age)


class TestPurge:
    def test_old_files_lose_their_bytes_but_keep_the_record_and_old_dry_runs_go(self, hr):
        old = committed(hr, "000201", age=91 * DAY, name="2026年4月.csv")
        recent = committed(hr, "000202", age=30 * DAY)
        forgotten = dry_run(hr, "000203", age=120 * DAY)
        pending = dry_run(hr, "000204", age=datetime.timedelta(hours=2))
        before = old.__dict__.copy()

        result = services.roster_imports_purge(older_than=90 * DAY)

        assert (result.purged, result.deleted) == (1, 1)
        old.refresh_from_db()
        assert bytes(old.content) == b""
        assert old.content_purged_at is not None
        for field in ("file_name", "sha256", "summary", "status", "uploaded_by_id", "committed_by_id", "committed_at"):
            assert getattr(old, field) == before[field], field
        assert old.summary["counts"]["create"] == 1  # the result page still has its figures
        assert b"000202" in bytes(RosterImport.objects.get(pk=recent.pk).content)
        assert not RosterImport.objects.filter(pk=forgotten.pk).exists()
        assert RosterImport.objects.get(pk=pending.pk).content_purged_at is None
        assert StaffMember.objects.filter(staff_number__in=["000201", "000202"]).count() == 2
        entry = ModelLogEntry.objects.get(action="people.roster_import_purged")
        assert entry.object_id == str(old.pk) and entry.data["file_name"] == "2026年4月.csv"

    def test_a_second_run_finds_nothing_to_do(self, hr):
        committed(hr, "000201", age=91 * DAY)
        services.roster_imports_purge(older_than=90 * DAY)
        result = services.roster_imports_purge(older_than=90 * DAY)
        assert (result.purged, result.deleted) == (0, 0)
        assert ModelLogEntry.objects.filter(action="people.roster_import_purged").count() == 1

    def test_a_retention_under_a_day_is_refused(self, hr):
        pending = dry_run(hr, "000201", age=datetime.timedelta(minutes=5))
        with pytest.raises(PeopleError, match="保存期間は1日以上にしてください。"):
            services.roster_imports_purge(older_than=datetime.timedelta(hours=1))
        assert RosterImport.objects.filter(pk=pending.pk).exists()

    def test_a_purged_import_cannot_be_committed_or_planned(self, hr):
        old = committed(hr, "000201", age=91 * DAY)
        services.roster_imports_purge(older_than=90 * DAY)
        old.refresh_from_db()
        with pytest.raises(PeopleError, match="このファイルは保存期間を過ぎたため削除しました。"):
            services.roster_import_commit(roster_import=old, plan_digest=old.plan_digest, user=hr.user)
        with pytest.raises(PeopleError, match="もう一度アップロードしてください"):
            services.roster_import_plan(roster_import=old, user=hr.user)


class TestCommand:
    def test_prints_the_counts_with_the_default_of_90_days(self, hr):
        committed(hr, "000201", age=91 * DAY)
        committed(hr, "000202", age=89 * DAY)
        dry_run(hr, "000203", age=100 * DAY)
        out = io.StringIO()
        call_command("purge_roster_imports", stdout=out)
        assert "90日より前の取込：ファイルを削除 1 件、取り込まなかった確認結果を削除 1 件" in out.getvalue()
        assert RosterImport.objects.filter(content_purged_at__isnull=False).count() == 1

    def test_days_sets_the_retention(self, hr):
        committed(hr, "000201", age=31 * DAY)
        dry_run(hr, "000202", age=2 * DAY)
        out = io.StringIO()
        call_command("purge_roster_imports", "--days", "30", stdout=out)
        assert "30日より前の取込：ファイルを削除 1 件、取り込まなかった確認結果を削除 0 件" in out.getvalue()
        assert RosterImport.objects.count() == 2

    def test_zero_days_is_refused(self, hr):
        dry_run(hr, "000201", age=datetime.timedelta(hours=2))
        with pytest.raises(CommandError, match="保存期間は1日以上にしてください。"):
            call_command("purge_roster_imports", "--days", "0", stdout=io.StringIO())
        assert RosterImport.objects.count() == 1


class TestExpiredDryRun:
    def test_a_dry_run_over_a_day_old_is_refused_even_when_nothing_changed(self, hr):
        imported = dry_run(hr, "000201", age=DAY + datetime.timedelta(minutes=1))
        with pytest.raises(PeopleError, match="アップロードから1日以上たった確認結果は取り込めません。"):
            services.roster_import_commit(roster_import=imported, plan_digest=imported.plan_digest, user=hr.user)
        imported.refresh_from_db()
        assert imported.status == RosterImport.Status.DRY_RUN
        assert not StaffMember.objects.filter(staff_number="000201").exists()

    def test_a_dry_run_of_this_morning_still_commits(self, hr):
        imported = dry_run(hr, "000201", age=DAY - datetime.timedelta(minutes=1))
        services.roster_import_commit(roster_import=imported, plan_digest=imported.plan_digest, user=hr.user)
        assert StaffMember.objects.filter(staff_number="000201").exists()


class TestAdmin:
    def test_hr_sees_that_the_file_was_deleted_in_the_list_and_on_the_result(self, client, hr):
        old = committed(hr, "000201", age=91 * DAY, name="2026年4月.csv")
        recent = committed(hr, "000202", age=10 * DAY, name="2026年5月.csv")
        services.roster_imports_purge(older_than=90 * DAY)
        client.force_login(hr.user)

        listing = client.get(INDEX).content.decode()
        rows = {row.split("</tr>")[0] for row in listing.split("<tr>")}
        old_row = next(row for row in rows if "2026年4月.csv" in row)
        recent_row = next(row for row in rows if "2026年5月.csv" in row)
        assert "ファイルは保存期間を過ぎたため削除しました" in old_row
        assert "ファイルは保存期間を過ぎたため削除しました" not in recent_row

        page = client.get(f"{INDEX}{old.pk}/")
        today = date_display(timezone.localdate())
        assert f"ファイルは保存期間を過ぎたため削除しました（{today}）。取込の結果と記録は残しています。" in text(page)
        assert "新規 1" in text(page)  # the counts stay
        assert "保存期間を過ぎた" not in text(client.get(f"{INDEX}{recent.pk}/"))

    def test_the_error_list_of_a_purged_file_says_why_instead_of_failing(self, client, hr):
        old = committed(hr, "000201", age=91 * DAY)
        services.roster_imports_purge(older_than=90 * DAY)
        client.force_login(hr.user)
        response = client.get(f"{INDEX}{old.pk}/errors.csv", follow=True)
        assert response.redirect_chain == [(f"{INDEX}{old.pk}/", 302)]
        assert "このファイルは保存期間を過ぎたため削除しました。" in text(response)

    def test_an_expired_dry_run_offers_no_commit_and_a_forged_one_is_refused(self, client, hr):
        imported = dry_run(hr, "000201", age=2 * DAY, name="古い名簿.csv")
        client.force_login(hr.user)

        page = client.get(f"{INDEX}{imported.pk}/")
        assert 'name="plan_digest"' not in page.content.decode()
        assert "アップロードから1日以上たったため、この確認結果では取り込めません。" in text(page)
        listing = client.get(INDEX).content.decode()
        assert "期限切れ（取り込むには、もう一度アップロード）" in listing

        result = client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest}, follow=True)
        assert "アップロードから1日以上たった確認結果は取り込めません。" in text(result)
        assert not StaffMember.objects.filter(staff_number="000201").exists()
