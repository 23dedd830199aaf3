"""The department master and the staff roster imported together (decision 0045): one upload of
both files, one dry run (the master's changes, then the roster planned against the departments
the master leaves), one commit of both or nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import departments, roster, services
from people.models import Department, DepartmentMembership, DepartmentName, RosterImport, StaffMember
from people.services import PeopleError
from tests.factories import StaffMemberFactory, roster_csv
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

INDEX = "/admin/roster-import/"
MASTER_HEADER = "所属コード,名称,上位所属コード,廃止,統合先コード"


@pytest.fixture
def kakari(tree):
    """A 所属長 in 広報係, which the master merges into 広報課."""
    return StaffMemberFactory(
        municipality=tree["koho"].municipality,
        department=tree["koho_kakari"],
        staff_number="000102",
        name="広報 係長",
        role="department_head",
    )


# 子育て推進課 (3100) under a new こども福祉部 (3000); 人事課 renamed 職員課; 広報係 merged into 広報課.
MASTER = roster_csv(
    "3100,子育て推進課,3000,,",
    "3000,こども福祉部,,,",
    "2100,職員課,2000,,",
    "1110,広報係,1100,,1100",
    header=MASTER_HEADER,
)


def create(hr, content: bytes, master: bytes = MASTER, **kwargs) -> RosterImport:
    return services.roster_import_create(
        municipality=hr.municipality,
        kind="reorganisation",
        file_name="meibo.csv",
        content=content,
        departments_file_name="shozoku.csv",
        departments_content=master,
        user=hr.user,
        **kwargs,
    )


def commit(hr, upload: RosterImport, **kwargs) -> RosterImport:
    return services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user, **kwargs)


def test_a_roster_names_departments_the_master_creates_and_both_commit_together(hr, taro, kakari):
    content = roster_csv(
        "000201,新人 一郎,シンジン イチロウ,3100,一般職,2026-04-01,shinjin@ashiya.example.jp,1",
        "000101,芦屋 太郎,,3100,一般職,2020-04-01,,1",
        # Merged with 広報係: already in 広報課 once the master is in, so unchanged.
        "000102,広報 係長,,1100,一般職,2020-04-01,,1",
        "000900,人事 担当,,2100,一般職,2020-04-01,,1",
    )
    upload = create(hr, content)

    summary = upload.summary
    assert summary["kind"] == "reorganisation" and summary["error_count"] == 0
    assert summary["departments"]["counts"]["create"] == 2
    assert summary["departments"]["counts"]["rename"] == 1 and summary["departments"]["counts"]["merge"] == 1
    assert summary["staff"]["counts"]["create"] == 1 and summary["staff"]["counts"]["transfer"] == 1
    transfer = next(t for t in summary["staff"]["tables"] if t["kind"] == "transfer")["rows"][0]
    assert transfer["detail"].startswith("広報課（1100） → 子育て推進課（3100）")
    assert not Department.objects.filter(code="3100").exists()  # the dry run wrote nothing

    commit(hr, upload)

    kosodate = Department.objects.get(municipality=hr.municipality, code="3100")
    assert kosodate.parent.code == "3000" and kosodate.path.startswith(kosodate.parent.path)
    newcomer = StaffMember.objects.get(staff_number="000201")
    assert newcomer.department == kosodate
    taro.refresh_from_db()
    assert taro.department == kosodate
    assert DepartmentMembership.objects.get(staff=taro, valid_to__isnull=True).department == kosodate
    kakari.refresh_from_db()
    assert kakari.department.code == "1100" and kakari.role == "employee"  # the merge vacated the post
    assert Department.objects.get(municipality=hr.municipality, code="1110").merged_into.code == "1100"
    assert Department.objects.get(municipality=hr.municipality, code="2100").name == "職員課"
    assert DepartmentName.objects.filter(department__code="2100", name="人事課").exists()
    entry = ModelLogEntry.objects.get(action="people.reorganisation_imported")
    assert entry.data["counts"]["staff.create"] == 1 and entry.data["counts"]["departments.create"] == 2
    assert entry.data["departments_file_name"] == "shozoku.csv"
    upload.refresh_from_db()
    assert upload.status == RosterImport.Status.COMMITTED


def test_a_roster_line_naming_a_department_nowhere_or_one_the_master_takes_away_is_refused(hr, taro):
    upload = create(
        hr,
        roster_csv(
            "000201,新人 一郎,,9999,一般職,2026-04-01,,1",
            "000202,新人 二郎,,1110,一般職,2026-04-01,,1",
        ),
        master=roster_csv("1110,広報係,1100,,1100", "1200,秘書係,1100,1,", header=MASTER_HEADER),
    )
    errors = {e["line"]: e["message"] for e in upload.summary["staff"]["errors"]}
    assert errors[2] == "所属コード「9999」は登録されておらず、所属マスタのファイルにもありません。"
    assert (
        errors[3] == "所属コード「1110」は所属マスタで「1100」に統合される所属です。統合先の所属コードにしてください。"
    )
    # 秘書係 does not exist: the master's own error, in its own part.
    assert upload.summary["departments"]["errors"][0]["message"] == "登録されていない所属は廃止・統合できません。"
    with pytest.raises(PeopleError, match="エラーのある行が3件"):
        commit(hr, upload)
    assert not StaffMember.objects.filter(staff_number__in=["000201", "000202"]).exists()
    assert Department.objects.get(code="1110", municipality=hr.municipality).retired_on is None


def test_an_error_in_the_master_alone_stops_the_roster_too(hr, taro):
    upload = create(
        hr,
        roster_csv("000201,新人 一郎,,2100,一般職,2026-04-01,,1"),
        master=roster_csv("3100,子育て推進課,9000,,", header=MASTER_HEADER),
    )
    assert upload.summary["staff"]["error_count"] == 0 and upload.summary["departments"]["error_count"] == 1
    with pytest.raises(PeopleError):
        commit(hr, upload)
    assert not StaffMember.objects.filter(staff_number="000201").exists()
    assert not Department.objects.filter(code="3100").exists()


def test_data_changed_since_the_dry_run_writes_neither_file(hr, taro, tree):
    upload = create(hr, roster_csv("000101,芦屋 太郎,,3100,一般職,2020-04-01,,1"))
    # Someone makes 3100 by hand in between: the master would now rename it, not create it.
    Department.objects.create(municipality=hr.municipality, code="3100", name="別の課", parent=None, path="/", depth=1)
    with pytest.raises(services.RosterPlanChanged):
        commit(hr, upload)
    assert not Department.objects.filter(code="3000").exists()
    taro.refresh_from_db()
    assert taro.department == tree["koho"]
    assert DepartmentName.objects.filter(department__code="2100", name="職員課").count() == 0


def test_the_reorganisation_needs_both_files(hr):
    with pytest.raises(PeopleError, match="所属マスタのファイルを選んでください"):
        create(hr, roster_csv("000201,新人,,2100,一般職,2026-04-01,,1"), master=b"")
    assert not RosterImport.objects.exists()


def test_the_april_reorganisation_prepared_in_march_takes_effect_on_its_day(hr, taro, kakari, tree):
    """Dated ahead (decision 0045): committed now, nothing current changes until the day's job runs."""
    today = timezone.localdate()
    april = today + datetime.timedelta(days=10)
    leaver = StaffMemberFactory(
        municipality=hr.municipality, department=tree["jinji"], staff_number="000103", name="退職 予定"
    )
    content = roster_csv(
        f"000201,新人 一郎,シンジン イチロウ,3100,一般職,{april.isoformat()},shinjin@ashiya.example.jp,1",
        "000101,芦屋 太郎,,3100,一般職,2020-04-01,,1",
        "000102,広報 係長,,1100,一般職,2020-04-01,,1",
        "000900,人事 担当,,2100,一般職,2020-04-01,,1",
        "000103,退職 予定,,2100,一般職,2020-04-01,,0",
    )
    upload = create(hr, content, effective_on=april)
    assert upload.summary["error_count"] == 0
    assert any("適用日" in w and "先の日付" in w for w in upload.summary["staff"]["warnings"])
    assert upload.summary["staff"]["counts"]["transfer"] == 1 and upload.summary["staff"]["counts"]["deactivate"] == 1

    commit(hr, upload)

    # Before the day: today's departments and people, the April ones recorded.
    kosodate = Department.objects.get(municipality=hr.municipality, code="3100")
    for member in (taro, kakari, leaver):
        member.refresh_from_db()
    assert taro.department == tree["koho"]
    assert kakari.department == tree["koho_kakari"] and kakari.role == "department_head"
    assert leaver.is_active and leaver.user.is_active
    assert Department.objects.get(pk=tree["jinji"].pk).name == "人事課"
    assert DepartmentMembership.objects.filter(staff=taro).on(today).get().department == tree["koho"]
    assert DepartmentMembership.objects.filter(staff=taro).on(april).get().department == kosodate
    assert not DepartmentMembership.objects.filter(staff=leaver).on(april).exists()
    newcomer = StaffMember.objects.get(staff_number="000201")
    assert newcomer.department == kosodate
    assert DepartmentMembership.objects.get(staff=newcomer).valid_from == april
    visible = set(StaffMember.objects.filter(department__path__startswith=tree["koho"].path, is_active=True))
    assert {taro, kakari} <= visible  # the 広報課長's reach until the day
    departments.department_changes_apply(municipality=hr.municipality, on=today)
    taro.refresh_from_db()
    assert taro.department == tree["koho"]

    # On the day: the daily job makes the recorded changes current.
    result = departments.department_changes_apply(municipality=hr.municipality, on=april)
    assert result["deactivated"] == 1 and result["moved"] >= 2
    for member in (taro, kakari, leaver):
        member.refresh_from_db()
    assert taro.department == kosodate
    assert kakari.department == tree["koho"] and kakari.role == "employee"
    assert not leaver.is_active and not leaver.user.is_active
    assert Department.objects.get(pk=tree["jinji"].pk).name == "職員課"
    assert Department.objects.get(pk=kosodate.pk).parent.code == "3000"
    assert ModelLogEntry.objects.filter(action="people.staff_deactivated", object_id=str(leaver.pk)).exists()


def test_a_role_change_cannot_be_dated_ahead(hr, taro):
    ahead = timezone.localdate() + datetime.timedelta(days=10)
    header = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職,役割"
    upload = create(
        hr, roster_csv("000101,芦屋 太郎,,1100,一般職,2020-04-01,,1,所属長", header=header), effective_on=ahead
    )
    assert upload.summary["error_count"] == 1
    assert "役割を変更できません" in upload.summary["staff"]["errors"][0]["message"]


def test_the_single_file_imports_still_plan_as_before(hr, taro):
    plan = roster.plan_for(
        kind="staff", municipality=hr.municipality, content=roster_csv("000101,芦屋 太郎,,3100,一般職,2020-04-01,,1")
    )
    assert plan.errors[0].message == "所属コード「3100」は登録されていません（所属マスタを先に取り込んでください）。"


def test_hr_uploads_both_files_in_the_admin_sees_one_preview_and_commits(client, hr, taro):
    client.force_login(hr.user)
    assert "所属マスタと職員名簿" in visible_text(client.get(INDEX).content.decode())
    content = roster_csv("000101,芦屋 太郎,,3100,一般職,2020-04-01,,1", encoding="cp932", newline="\r\n")

    response = client.post(
        INDEX,
        {
            "kind": "reorganisation",
            "file": SimpleUploadedFile("名簿.csv", content, "text/csv"),
            "departments_file": SimpleUploadedFile("所属.csv", MASTER, "text/csv"),
        },
    )

    assert response.status_code == 302
    page = client.get(response["Location"])
    body = " ".join(visible_text(page.content.decode()).split())
    assert "1. 所属マスタ" in body and "2. 職員名簿" in body and "所属.csv" in body
    assert "上位所属: 3000" in body  # the new department
    assert "広報課（1100） → 子育て推進課（3100）" in body
    digest = re.search(r'name="plan_digest" value="([0-9a-f]{64})"', page.content.decode())[1]
    result = client.post(f"{response['Location']}commit/", {"plan_digest": digest})
    assert result.status_code == 302
    assert "「名簿.csv」を取り込みました。" in visible_text(client.get(result["Location"]).content.decode())
    taro.refresh_from_db()
    assert taro.department.code == "3100"


def test_the_admin_form_asks_for_the_master_file(client, hr):
    client.force_login(hr.user)
    response = client.post(
        INDEX,
        {"kind": "reorganisation", "file": SimpleUploadedFile("名簿.csv", roster_csv(), "text/csv")},
    )
    assert response.status_code == 200
    assert "所属マスタのファイルを選んでください。" in visible_text(response.content.decode())
    assert not RosterImport.objects.exists()


def test_the_error_list_names_the_file_of_each_line(hr, taro):
    upload = create(
        hr,
        roster_csv("000201,新人 一郎,,9999,一般職,2026-04-01,,1"),
        master=roster_csv("3100,子育て推進課,9000,,", header=MASTER_HEADER),
    )
    plan = services.roster_import_plan(roster_import=RosterImport.objects.get(pk=upload.pk), user=hr.user)
    text = roster.errors_csv(plan).decode("utf-8-sig")
    assert text.splitlines()[0] == "行,職員番号・所属コード,理由"
    assert "【所属マスタ】上位所属コード「9000」" in text
    assert "【職員名簿】所属コード「9999」" in text


def test_the_retention_purge_empties_both_files(hr, taro):
    upload = commit(hr, create(hr, roster_csv("000101,芦屋 太郎,,3100,一般職,2020-04-01,,1")))
    RosterImport.objects.filter(pk=upload.pk).update(uploaded_at=timezone.now() - datetime.timedelta(days=100))
    services.roster_imports_purge(older_than=datetime.timedelta(days=90))
    upload.refresh_from_db()
    assert bytes(upload.content) == b"" and bytes(upload.departments_content) == b""
    assert upload.departments_file_name == "shozoku.csv"  # the trail stays
