"""The department master import (所属コード, 名称, 上位所属コード): create, rename and move with
the subtree's paths recomputed; unknown parents, cycles and codes twice are errors; the dry run
writes nothing; departments missing from the file are left alone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ModelLogEntry

from people import roster, services
from people.models import Department, RosterImport, StaffMember
from people.services import PeopleError
from tests.factories import StaffMemberFactory, department_csv, roster_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(tree):
    return StaffMemberFactory(municipality=tree["jinji"].municipality, department=tree["jinji"], role="hr")


def plan(tree, *lines, **kwargs):
    return roster.department_plan(municipality=tree["kikaku"].municipality, content=department_csv(*lines, **kwargs))


def commit(hr, content: bytes) -> RosterImport:
    upload = services.roster_import_create(
        municipality=hr.municipality, kind="departments", file_name="shozoku.csv", content=content, user=hr.user
    )
    return services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)


def paths(municipality) -> dict[str, tuple[str, int, str]]:
    """code → (path as codes, depth, parent code), so assertions read as the tree."""
    departments = {d.pk: d for d in Department.objects.filter(municipality=municipality)}
    result = {}
    for d in departments.values():
        ids = [int(i) for i in d.path.strip("/").split("/")]
        result[d.code] = ("/".join(departments[i].code for i in ids), d.depth, d.parent.code if d.parent else "")
    return result


def test_creates_a_tree_whose_parents_come_later_in_the_file(tree, hr):
    content = department_csv(
        "3110,保育係,3100",
        "3100,子育て推進課,3000",
        "3000,こども福祉部,",
        "1120,報道係,1100",
        encoding="cp932",
        newline="\r\n",
    )
    upload = services.roster_import_create(
        municipality=hr.municipality, kind="departments", file_name="所属.csv", content=content, user=hr.user
    )
    assert upload.encoding == "cp932"
    assert upload.summary["counts"] == {"create": 4, "rename": 0, "move": 0, "merge": 0, "retire": 0, "unchanged": 0}
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)

    tree_now = paths(hr.municipality)
    assert tree_now["3110"] == ("3000/3100/3110", 3, "3100")
    assert tree_now["3000"] == ("3000", 1, "")
    assert tree_now["1120"] == ("1000/1100/1120", 3, "1100")
    assert Department.objects.get(municipality=hr.municipality, code="3110").name == "保育係"
    assert ModelLogEntry.objects.get(action="people.departments_imported").data["counts"] == {"create": 4}


def test_rename_and_move_recompute_the_moved_subtree(tree, hr):
    # 広報課 (with 広報係 under it) moves from 企画部 to 総務部; 人事課 is renamed.
    commit(hr, department_csv("1100,広報課,2000", "2100,職員課,2000", "1000,企画部,"))

    tree_now = paths(hr.municipality)
    assert tree_now["1100"] == ("2000/1100", 2, "2000")
    assert tree_now["1110"] == ("2000/1100/1110", 3, "1100")
    assert Department.objects.get(pk=tree["jinji"].pk).name == "職員課"
    subtree = Department.objects.subtree_of(Department.objects.get(pk=tree["somu"].pk))
    assert set(subtree.values_list("code", flat=True)) == {"2000", "1100", "1110", "2100"}


def test_a_department_can_become_top_level_and_its_children_follow(tree, hr):
    commit(hr, department_csv("1100,広報課,"))
    assert paths(hr.municipality)["1110"] == ("1100/1110", 2, "1100")


def test_the_dry_run_lists_changes_and_writes_nothing(tree, hr):
    before = list(Department.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "path", "depth"))
    upload = services.roster_import_create(
        municipality=hr.municipality,
        kind="departments",
        file_name="shozoku.csv",
        content=department_csv("1100,広報課,2000", "2100,職員課,2000", "4000,都市建設部,"),
        user=hr.user,
    )
    tables = {t["kind"]: t["rows"] for t in upload.summary["tables"]}
    assert tables["create"][0]["detail"] == "上位所属: （最上位）"
    assert tables["rename"][0]["detail"] == "名称: 人事課 → 職員課"
    assert tables["move"][0]["detail"] == "上位所属: 1000 → 2000"
    assert upload.summary["absent"]["count"] == 3  # 企画部, 広報係, 総務部
    assert "ファイルにない所属が3件あります。この所属は変更も削除もしません。" in upload.summary["warnings"]
    assert (
        list(Department.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "path", "depth"))
        == before
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["5100,新しい課,5000"], [(2, "上位所属コード「5000」は登録されておらず、このファイルにもありません。")]),
        (["5000,A部,5100", "5100,B課,5000"], [(2, "循環しています（5000 → 5100 → 5000）"), (3, "循環しています")]),
        # 企画部 under its own grandchild 広報係
        (["1000,企画部,1110"], [(2, "上位所属コードが循環しています（1000 → 1110 → 1100 → 1000）。")]),
        (["1000,企画部,1000"], [(2, "自分自身を上位所属にはできません。")]),
        (["5000,A部,", "5000,B部,"], [(2, "所属コードがファイル内で重複しています（2行目、3行目）。"), (3, "重複")]),
        (["5000,,"], [(2, "名称が空です。")]),
        (["50 00,A部,"], [(2, "所属コード「50 00」は半角英数字とハイフン（20文字以内）で入力してください。")]),
        ([",A部,"], [(2, "所属コードが空です。")]),
        ([f"5000,{'長' * 101},"], [(2, "名称が長すぎます（100文字以内）。")]),
        (["5000,A部"], [(2, "列が足りません")]),
    ],
)
def test_bad_lines(tree, hr, lines, expected):
    result = plan(tree, *lines)
    assert [(e.line, fragment in e.message) for e, (_line, fragment) in zip(result.errors, expected, strict=True)] == [
        (line, True) for line, _fragment in expected
    ], result.errors
    before = Department.objects.count()
    upload = services.roster_import_create(
        municipality=hr.municipality,
        kind="departments",
        file_name="bad.csv",
        content=department_csv(*lines),
        user=hr.user,
    )
    with pytest.raises(PeopleError, match="取り込めません"):
        services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    assert Department.objects.count() == before


def test_a_missing_column_names_it(tree):
    with pytest.raises(roster.RosterFileError, match="必要な列がありません：上位所属コード"):
        roster.department_plan(municipality=tree["kikaku"].municipality, content="所属コード,名称\n5000,A部\n".encode())


def test_codes_are_per_municipality(tree, hr):
    # 須賀川市 has a 2000 too; 芦屋市's file neither sees nor changes it.
    commit(hr, department_csv("2000,総務局,"))
    assert Department.objects.get(pk=tree["s_somu"].pk).name == "総務部"
    assert Department.objects.get(pk=tree["somu"].pk).name == "総務局"


def test_a_fixed_number_of_queries(tree):
    def queries(n):
        content = department_csv(*[f"{7000 + i},課{i},1000" for i in range(n)])
        with CaptureQueriesContext(connection) as captured:
            plan_ = roster.department_plan(municipality=tree["kikaku"].municipality, content=content)
        assert len(plan_.rows) == n
        return len(captured)

    assert queries(5) == queries(150) == 1


def test_the_staff_roster_can_use_the_new_codes(tree, hr):
    commit(hr, department_csv("3100,子育て推進課,3000", "3000,こども福祉部,"))
    upload = services.roster_import_create(
        municipality=hr.municipality,
        kind="staff",
        file_name="meibo.csv",
        content=roster_csv("000201,新人 一郎,シンジン,3100,一般職,2026-04-01,,1"),
        user=hr.user,
    )
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    assert StaffMember.objects.get(staff_number="000201").department.name == "子育て推進課"
