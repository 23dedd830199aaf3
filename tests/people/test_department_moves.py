"""Moving a department under another parent keeps history (decision 0045): the tree of a past day
stays readable for reports, from the admin's 所属の履歴 and from the department master (上位所属コード);
a move dated ahead waits for its day; a 所属長's live reach follows today's tree. Run on
PostgreSQL too (DATABASE_URL)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import services
from people.models import Department, DepartmentPlacement, RosterImport, StaffMember
from people.services import PeopleError
from reports.queries.common import department_index
from tests.factories import DepartmentFactory, StaffMemberFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_YEAR = TODAY - datetime.timedelta(days=365)
NEXT_MONTH = TODAY + datetime.timedelta(days=30)


@pytest.fixture
def tree(ashiya):
    """企画部 › 情報政策課 › 情報係, and 総務部."""
    kikaku = DepartmentFactory(municipality=ashiya, code="100", name="企画部")
    joho = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課", parent=kikaku)
    return {
        "kikaku": kikaku,
        "joho": joho,
        "kakari": DepartmentFactory(municipality=ashiya, code="111", name="情報係", parent=joho),
        "somu": DepartmentFactory(municipality=ashiya, code="200", name="総務部"),
    }


@pytest.fixture
def hr(ashiya, tree):
    return StaffMemberFactory(municipality=ashiya, department=tree["somu"], role=StaffMember.Role.HR)


def _codes(index, code) -> list[str]:
    """The codes above a department in a DepartmentIndex, from the top."""
    node = index.by_code[code]
    return [index.get(pk).code for pk in node.ancestor_ids]


def test_a_move_today_moves_the_subtree_and_keeps_the_tree_of_the_days_before(ashiya, tree, hr):
    services.department_move(department=tree["joho"], parent=tree["somu"], user=hr.user)

    joho, kakari = (Department.objects.get(pk=tree[k].pk) for k in ("joho", "kakari"))
    assert joho.parent == tree["somu"] and joho.path == f"{tree['somu'].path}{joho.pk}/"
    assert kakari.path == f"{joho.path}{kakari.pk}/" and kakari.depth == 3
    rows = {
        (r.department.code, r.parent.code if r.parent else "", r.valid_from, r.valid_to)
        for r in DepartmentPlacement.objects.select_related("department", "parent")
    }
    # Both the department and the one below it (whose path changed) have their history.
    assert ("110", "100", datetime.date(1900, 1, 1), TODAY) in rows
    assert ("110", "200", TODAY, None) in rows
    assert ("111", "110", datetime.date(1900, 1, 1), TODAY) in rows
    index = department_index(municipality=ashiya)
    assert _codes(index, "111") == ["200", "110", "111"]
    assert _codes(index.as_of(LAST_YEAR), "111") == ["100", "110", "111"]
    assert sorted(index.as_of(LAST_YEAR).by_code[c].code for c in ("100",)) == ["100"]
    last_year_subtree = {index.get(pk).code for pk in index.as_of(LAST_YEAR).subtree_ids(tree["kikaku"].pk)}
    assert last_year_subtree == {"100", "110", "111"}
    assert {index.get(pk).code for pk in index.subtree_ids(tree["kikaku"].pk)} == {"100"}
    entry = ModelLogEntry.objects.get(action="people.department_moved")
    assert entry.data == {"code": "110", "from": "100", "to": "200", "on": TODAY.isoformat(), "below": ["111"]}


def test_the_report_tree_with_moves_is_still_one_query(ashiya, tree, django_assert_num_queries):
    services.department_move(department=tree["joho"], parent=tree["somu"])
    services.department_rename(department=tree["joho"], name="デジタル推進課")
    with django_assert_num_queries(1):
        index = department_index(municipality=ashiya)
    then = index.as_of(LAST_YEAR)
    assert then.by_code["110"].name == "情報政策課" and then.by_code["110"].depth == 2
    assert [n.code for n in then.nodes] == ["100", "110", "111", "200"]  # tree order of then
    assert [n.code for n in index.nodes] == ["100", "200", "110", "111"]


def test_a_move_ahead_is_recorded_now_and_made_on_its_day(ashiya, tree, hr):
    services.department_move(department=tree["joho"], parent=tree["somu"], on=NEXT_MONTH, user=hr.user)
    joho = Department.objects.get(pk=tree["joho"].pk)
    assert joho.parent == tree["kikaku"]  # still today's tree
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH - datetime.timedelta(days=1)) == {
        "renamed": 0,
        "moved": 0,
        "placed": 0,
        "deactivated": 0,
    }
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH)["placed"] == 2
    joho.refresh_from_db()
    kakari = Department.objects.get(pk=tree["kakari"].pk)
    assert joho.parent == tree["somu"] and kakari.path == f"{joho.path}{kakari.pk}/"


def test_moves_that_make_no_tree_are_refused(tree, hr):
    with pytest.raises(PeopleError, match="自分自身やその下位所属の下には移せません"):
        services.department_move(department=tree["joho"], parent=tree["kakari"])
    with pytest.raises(PeopleError, match="上位所属が変わっていません"):
        services.department_move(department=tree["joho"], parent=tree["kikaku"])
    services.department_retire(
        department=DepartmentFactory(municipality=tree["somu"].municipality, code="300"), on=TODAY
    )
    with pytest.raises(PeopleError, match="上位所属 300 は廃止されています"):
        services.department_move(department=tree["joho"], parent=Department.objects.get(code="300"))
    services.department_move(department=tree["joho"], parent=tree["somu"], on=NEXT_MONTH)
    with pytest.raises(PeopleError, match="より後の上位所属の変更が登録されています"):
        services.department_move(department=tree["joho"], parent=None, on=TODAY)
    assert not DepartmentPlacement.objects.filter(parent=None, department=tree["joho"]).exists()


def test_the_department_master_moves_with_history_and_ahead_waits(ashiya, tree, hr):
    content = "所属コード,名称,上位所属コード\n110,情報政策課,200\n".encode()
    upload = services.roster_import_create(
        municipality=ashiya,
        kind=RosterImport.Kind.DEPARTMENTS,
        file_name="m.csv",
        content=content,
        user=hr.user,
        effective_on=NEXT_MONTH,
    )
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    assert Department.objects.get(pk=tree["joho"].pk).parent == tree["kikaku"]  # ahead: not yet
    index = department_index(municipality=ashiya)
    assert _codes(index.as_of(NEXT_MONTH), "111") == ["200", "110", "111"]
    assert _codes(index.as_of(TODAY), "111") == ["100", "110", "111"]
    services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH)
    assert Department.objects.get(pk=tree["joho"].pk).parent == tree["somu"]


def test_the_department_master_move_today_is_history_from_today(ashiya, tree, hr):
    content = "所属コード,名称,上位所属コード\n110,情報政策課,\n".encode()
    upload = services.roster_import_create(
        municipality=ashiya, kind=RosterImport.Kind.DEPARTMENTS, file_name="m.csv", content=content, user=hr.user
    )
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    joho = Department.objects.get(pk=tree["joho"].pk)
    assert joho.parent is None and joho.depth == 1
    index = department_index(municipality=ashiya)
    assert _codes(index.as_of(LAST_YEAR), "110") == ["100", "110"]
    assert _codes(index, "110") == ["110"]


def test_the_old_parents_head_no_longer_reaches_the_moved_department(ashiya, tree):
    """Decision 0045: the live reach (people/scoping.py) follows today's tree."""
    old_head = StaffMemberFactory(municipality=ashiya, department=tree["kikaku"], role="department_head")
    new_head = StaffMemberFactory(municipality=ashiya, department=tree["somu"], role="department_head")
    moved = StaffMemberFactory(municipality=ashiya, department=tree["kakari"])
    assert moved in StaffMember.objects.visible_to(old_head.user)
    services.department_move(department=tree["joho"], parent=tree["somu"])
    old_head.user.refresh_from_db()
    assert moved not in StaffMember.objects.visible_to(StaffMember.objects.get(pk=old_head.pk).user)
    assert moved in StaffMember.objects.visible_to(StaffMember.objects.get(pk=new_head.pk).user)


def test_hr_moves_a_department_in_the_admin(ashiya, tree, hr):
    client = Client()
    client.force_login(hr.user)
    url = f"/admin/department-history/{tree['joho'].pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "上位所属を変更する" in visible_text(page.content.decode())
    response = client.post(url, {"action": "move", "move-parent": tree["somu"].pk, "move-on": TODAY.isoformat()})
    assert response.status_code == 302
    body = visible_text(client.get(url).content.decode())
    assert "上位所属の変更を記録しました。" in body
    assert "総務部（200）" in body and "企画部（100）" in body  # both places in the history
    assert Department.objects.get(pk=tree["joho"].pk).parent == tree["somu"]
