"""The roster import in the Wagtail admin: HR uploads, reads the dry run, commits; a GET or a POST
without CSRF changes nothing. What other roles and municipalities get: test_roster_permissions."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from people.models import DepartmentMembership, RosterImport, StaffMember, User
from tests.factories import (
    StaffMemberFactory,
    UserFactory,
    roster_csv,
)
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

INDEX = "/admin/roster-import/"


def text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def upload(client, content: bytes, *, kind="staff", name="meibo.csv", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(INDEX, {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv"), **extra})


def staff_counts():
    return (User.objects.count(), StaffMember.objects.count(), DepartmentMembership.objects.count())


def test_hr_uploads_a_cp932_file_reads_the_dry_run_and_commits(client, hr, taro):
    client.force_login(hr.user)
    index = client.get(INDEX)
    assert index.status_code == 200
    assert "職員名簿の取込" in text(index)
    assert "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職" in text(index)  # the help lists the columns
    content = roster_csv(
        "000201,新人 一郎,シンジン イチロウ,2100,一般職,2026/4/1,shinjin@ashiya.example.jp,1",
        "000101,芦屋 太郎,ショクイン,2100,一般職,2020-04-01,,1",
        encoding="cp932",
        newline="\r\n",
    )
    before = staff_counts()

    response = upload(client, content, name="名簿.csv")

    imported = RosterImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{INDEX}{imported.pk}/"
    assert staff_counts() == before
    page = client.get(response["Location"])
    body = text(page)
    assert "取込前の確認" in body and "Shift_JIS（CP932）" in body
    assert "新規（1件）" in body and "異動（1件）" in body
    assert "広報課（1100） → 人事課（2100）" in body
    assert "ファイルにない在職者（1件）" in body  # HR themselves
    digest = re.search(r'name="plan_digest" value="([0-9a-f]{64})"', page.content.decode())[1]

    result = client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": digest})

    assert result.status_code == 302
    after = client.get(result["Location"])
    assert "「名簿.csv」を取り込みました。" in text(after)
    assert "取込結果" in text(after) and "取り込み" in text(after)
    assert 'name="plan_digest"' not in after.content.decode()
    assert StaffMember.objects.get(staff_number="000201").department.code == "2100"
    assert StaffMember.objects.get(pk=taro.pk).department.code == "2100"


def test_the_menu_shows_the_import_to_hr_only(client, hr, tree):
    client.force_login(hr.user)
    assert INDEX in client.get("/admin/").content.decode()
    editor = StaffMemberFactory(municipality=hr.municipality, department=tree["koho"])
    editor.user.groups.add(_admin_access_group())
    client.force_login(editor.user)
    home = client.get("/admin/")
    assert home.status_code == 200 and INDEX not in home.content.decode()


def test_hr_imports_into_their_own_municipality_whatever_is_posted(client, hr, s_hr):
    client.force_login(hr.user)
    upload(client, roster_csv("000201,新人,シンジン,2100,一般職,2026-04-01,,1"), municipality=s_hr.municipality.pk)
    assert RosterImport.objects.get().municipality == hr.municipality


def test_the_platform_admin_picks_the_municipality(client, tree):
    client.force_login(UserFactory(is_superuser=True))
    form = client.get(INDEX).content.decode()
    assert 'name="municipality"' in form and "須賀川市" in form
    sukagawa = tree["s_somu"].municipality
    response = upload(client, roster_csv("000201,須賀 新人,スカ,2000,一般職,2026-04-01,,1"), municipality=sukagawa.pk)
    imported = RosterImport.objects.get()
    assert response.status_code == 302 and imported.municipality == sukagawa
    assert imported.summary["counts"]["create"] == 1


def test_a_get_on_commit_changes_nothing(client, hr):
    imported = _dry_run(hr, roster_csv("000201,新人,シンジン,1100,一般職,2026-04-01,,1"))
    client.force_login(hr.user)
    assert client.get(f"{INDEX}{imported.pk}/commit/").status_code == 405
    assert not StaffMember.objects.filter(staff_number="000201").exists()


def test_a_commit_without_csrf_is_refused(hr):
    imported = _dry_run(hr, roster_csv("000201,新人,シンジン,1100,一般職,2026-04-01,,1"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr.user)
    assert client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest}).status_code == 403
    assert not StaffMember.objects.filter(staff_number="000201").exists()


def test_file_errors_are_shown_on_the_form_and_nothing_is_kept(client, hr):
    client.force_login(hr.user)
    big = upload(client, b"x" * (10 * 1024 * 1024 + 1), name="big.csv")
    assert big.status_code == 200
    assert "ファイルが大きすぎます（10.0 MB）。10 MB 以下のファイルにしてください。" in text(big)
    missing = upload(client, "職員番号,氏名\n000201,新人\n".encode("cp932"))
    assert "必要な列がありません：カナ、所属コード、任用形態、着任日、メール、在職" in text(missing)
    assert not RosterImport.objects.exists()


def test_error_lines_are_listed_and_all_of_them_downloadable(client, hr):
    lines = [f"{i:06d},新人,シンジン,9999,一般職,2026-04-01,,1" for i in range(1, 206)]
    lines.append("=1+2,悪意,シンジン,1100,一般職,2026-04-01,,1")
    client.force_login(hr.user)
    response = upload(client, roster_csv(*lines))
    page = client.get(response["Location"])
    body = text(page)
    assert "エラーのある行（206件）" in body
    assert "2 000001 所属コード「9999」は登録されていません" in body
    assert "ほか 6件" in body
    assert 'name="plan_digest"' not in page.content.decode()  # no 「取り込む」 while errors remain
    imported = RosterImport.objects.get()

    download = client.get(f"{INDEX}{imported.pk}/errors.csv")

    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    rows = download.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 206
    assert rows[-1].startswith("207,'=1+2,")
    # A forged commit is refused all the same.
    client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest})
    assert not StaffMember.objects.filter(staff_number="000001").exists()


def test_a_stale_dry_run_is_refused_and_shown_again(client, hr, taro, tree):
    from people import services

    client.force_login(hr.user)
    response = upload(client, roster_csv("000101,芦屋 太郎,ショクイン,2100,一般職,2020-04-01,,1"))
    imported = RosterImport.objects.get()
    services.staff_transfer(staff=taro, department=tree["somu"])

    result = client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest})

    page = client.get(result["Location"])
    assert "確認した後に職員・所属のデータが変わったため、取り込みませんでした。" in text(page)
    assert "総務部（2000） → 人事課（2100）" in text(page)
    assert StaffMember.objects.get(pk=taro.pk).department.code == "2000"
    assert response.status_code == 302


def test_a_second_commit_says_so(client, hr):
    imported = _dry_run(hr, roster_csv("000201,新人,シンジン,1100,一般職,2026-04-01,,1"))
    client.force_login(hr.user)
    client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest})
    again = client.post(f"{INDEX}{imported.pk}/commit/", {"plan_digest": imported.plan_digest}, follow=True)
    assert "このファイルは既に取り込まれています。" in text(again)
    assert StaffMember.objects.filter(staff_number="000201").count() == 1


def test_the_dry_run_page_reads_in_the_same_queries_for_10_and_200_lines(client, hr):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(hr.user)
    client.get(INDEX)  # the session's first write

    def queries(n):
        content = roster_csv(
            *[f"{300 + i:06d},新人{i},シンジン,1100,一般職,2026-04-01,n{n}-{i}@ashiya.example.jp,1" for i in range(n)]
        )
        with CaptureQueriesContext(connection) as upload_queries:
            response = upload(client, content)
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get(response["Location"]).status_code == 200
        return len(upload_queries), len(page_queries)

    # Upload: the user, their permissions (2), Wagtail's user profile, the municipality (form and
    # field), departments, staff, usernames without staff, addresses (2), the insert. Page: 8.
    assert queries(10) == queries(200) == (12, 8)


def _dry_run(hr, content: bytes) -> RosterImport:
    from people import services

    return services.roster_import_create(
        municipality=hr.municipality, kind="staff", file_name="meibo.csv", content=content, user=hr.user
    )


def _admin_access_group():
    group, _ = Group.objects.get_or_create(name="管理画面")
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group
