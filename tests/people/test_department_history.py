"""Department history (decision 0039): names kept by date, retiring and merging departments,
changes dated in the future applied on their day, and corrections of a 着任日 that keep the
person's history consistent. Run on PostgreSQL too (DATABASE_URL)."""

import datetime

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import services
from people.models import Department, DepartmentMembership, DepartmentName, StaffMember
from people.selectors import department_names_on
from reports.queries.common import department_index
from tests.factories import DepartmentFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_YEAR = TODAY - datetime.timedelta(days=365)
NEXT_MONTH = TODAY + datetime.timedelta(days=30)


@pytest.fixture
def hr(ashiya):
    return StaffMemberFactory(municipality=ashiya, role=StaffMember.Role.HR)


def _entries(action):
    return list(ModelLogEntry.objects.filter(action=action).order_by("pk"))


def test_a_rename_today_keeps_the_old_name_for_the_days_before(ashiya, hr):
    dept = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課")
    services.department_rename(department=dept, name="デジタル推進課", user=hr.user)
    dept.refresh_from_db()
    assert dept.name == "デジタル推進課"
    assert department_names_on(municipality=ashiya, day=LAST_YEAR)[dept.pk] == "情報政策課"
    assert department_names_on(municipality=ashiya, day=TODAY)[dept.pk] == "デジタル推進課"
    (entry,) = _entries("people.department_renamed")
    assert entry.user_id == hr.user_id
    assert entry.data == {"code": "110", "from": "情報政策課", "to": "デジタル推進課", "on": TODAY.isoformat()}


def test_a_rename_in_the_future_waits_for_its_day(ashiya, hr):
    dept = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課")
    services.department_rename(department=dept, name="デジタル推進課", on=NEXT_MONTH, user=hr.user)
    dept.refresh_from_db()
    assert dept.name == "情報政策課"  # still today's name
    assert department_names_on(municipality=ashiya, day=NEXT_MONTH)[dept.pk] == "デジタル推進課"
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH - datetime.timedelta(days=1)) == {
        "renamed": 0,
        "moved": 0,
        "placed": 0,
        "deactivated": 0,
    }
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH) == {
        "renamed": 1,
        "moved": 0,
        "placed": 0,
        "deactivated": 0,
    }
    dept.refresh_from_db()
    assert dept.name == "デジタル推進課"


def test_a_rename_before_a_recorded_later_one_is_refused(ashiya):
    dept = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課")
    services.department_rename(department=dept, name="デジタル推進課", on=NEXT_MONTH)
    with pytest.raises(services.PeopleError, match="より後の名称変更"):
        services.department_rename(department=dept, name="別名課", on=TODAY)
    assert DepartmentName.objects.filter(department=dept).count() == 2


def test_merge_moves_the_staff_keeps_their_history_and_retires_the_department(ashiya, hr):
    old = DepartmentFactory(municipality=ashiya, code="210", name="市民課")
    into = DepartmentFactory(municipality=ashiya, code="220", name="市民窓口課")
    head = StaffMemberFactory(municipality=ashiya, department=old, role=StaffMember.Role.DEPARTMENT_HEAD)
    member = StaffMemberFactory(municipality=ashiya, department=old)
    services.department_merge(department=old, into=into, on=TODAY, user=hr.user)
    old.refresh_from_db()
    assert (old.retired_on, old.merged_into_id) == (TODAY, into.pk)
    for person in (head, member):
        person.refresh_from_db()
        assert person.department_id == into.pk
        rows = list(DepartmentMembership.objects.filter(staff=person).order_by("valid_from"))
        assert [(r.department_id, r.valid_to) for r in rows] == [(old.pk, TODAY), (into.pk, None)]
    assert head.role == StaffMember.Role.EMPLOYEE  # the post stayed with the abolished department
    (entry,) = _entries("people.department_merged")
    assert entry.data["into"] == "220" and sorted(entry.data["staff"]) == sorted(
        [head.staff_number, member.staff_number]
    )
    # The old department is still in the reports' tree, with its history.
    assert department_index(municipality=ashiya).get(old.pk).name == "市民課"


def test_a_merge_in_the_future_moves_people_on_its_day(ashiya):
    old = DepartmentFactory(municipality=ashiya, code="210", name="市民課")
    into = DepartmentFactory(municipality=ashiya, code="220", name="市民窓口課")
    member = StaffMemberFactory(municipality=ashiya, department=old)
    services.department_merge(department=old, into=into, on=NEXT_MONTH)
    member.refresh_from_db()
    assert member.department_id == old.pk  # until the day comes
    assert DepartmentMembership.objects.on(NEXT_MONTH).get(staff=member).department_id == into.pk
    assert DepartmentMembership.objects.on(TODAY).get(staff=member).department_id == old.pk
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH)["moved"] == 1
    member.refresh_from_db()
    assert member.department_id == into.pk


def test_merge_into_another_municipality_or_own_child_is_refused(ashiya, sukagawa):
    old = DepartmentFactory(municipality=ashiya, code="210")
    child = DepartmentFactory(municipality=ashiya, code="211", parent=old)
    foreign = DepartmentFactory(municipality=sukagawa, code="210")
    with pytest.raises(services.PeopleError, match="別の自治体"):
        services.department_merge(department=old, into=foreign, on=TODAY)
    with pytest.raises(services.PeopleError, match="下位所属"):
        services.department_merge(department=old, into=child, on=TODAY)
    # A department with a live child cannot be retired or merged away.
    with pytest.raises(services.PeopleError, match="廃止されていない下位所属"):
        services.department_merge(department=old, into=DepartmentFactory(municipality=ashiya, code="300"), on=TODAY)
    assert not Department.objects.filter(retired_on__isnull=False).exists()


def test_retire_refuses_a_department_with_people_then_retires_an_empty_one(ashiya, hr):
    dept = DepartmentFactory(municipality=ashiya, code="510", name="臨時給付金室")
    person = StaffMemberFactory(municipality=ashiya, department=dept)
    with pytest.raises(services.PeopleError, match="所属する職員がいます"):
        services.department_retire(department=dept, on=TODAY)
    services.staff_transfer(staff=person, department=DepartmentFactory(municipality=ashiya), on=TODAY)
    services.department_retire(department=dept, on=TODAY, user=hr.user)
    dept.refresh_from_db()
    assert dept.retired_on == TODAY
    assert _entries("people.department_retired")[0].data == {"code": "510", "on": TODAY.isoformat()}
    with pytest.raises(services.PeopleError, match="既に廃止"):
        services.department_retire(department=dept, on=TODAY)


def test_correcting_a_start_moves_the_adjacent_end(ashiya, hr):
    first = DepartmentFactory(municipality=ashiya, code="110")
    second = DepartmentFactory(municipality=ashiya, code="120")
    person = StaffMemberFactory(municipality=ashiya, department=first, start_date=datetime.date(2020, 4, 1))
    services.staff_transfer(staff=person, department=second, on=datetime.date(2023, 4, 1))
    later = DepartmentMembership.objects.get(staff=person, department=second)
    services.membership_start_correct(membership=later, valid_from=datetime.date(2023, 5, 1), user=hr.user)
    rows = list(
        DepartmentMembership.objects.filter(staff=person).order_by("valid_from").values_list("valid_from", "valid_to")
    )
    assert rows == [(datetime.date(2020, 4, 1), datetime.date(2023, 5, 1)), (datetime.date(2023, 5, 1), None)]
    # Before the previous row's start: it would invert. After its own end: same.
    with pytest.raises(services.PeopleError, match="前の所属履歴"):
        services.membership_start_correct(membership=later, valid_from=datetime.date(2020, 4, 1))
    first_row = DepartmentMembership.objects.get(staff=person, department=first)
    with pytest.raises(services.PeopleError, match="終了日"):
        services.membership_start_correct(membership=first_row, valid_from=datetime.date(2023, 5, 1))
    # The 着任日 is the first row's start.
    services.staff_start_date_correct(staff=person, start_date=datetime.date(2019, 10, 1), user=hr.user)
    person.refresh_from_db()
    assert person.start_date == datetime.date(2019, 10, 1)
    assert DepartmentMembership.objects.get(staff=person, department=first).valid_from == datetime.date(2019, 10, 1)
    entries = _entries("people.membership_start_corrected")
    assert [e.user_id for e in entries] == [hr.user_id, hr.user_id]
    assert entries[0].data["previous_ends"] == "2023-05-01"


def test_a_start_after_a_gap_cannot_overlap_the_row_before(ashiya):
    dept = DepartmentFactory(municipality=ashiya)
    person = StaffMemberFactory(municipality=ashiya, department=dept, start_date=datetime.date(2020, 4, 1))
    services.staff_deactivate(staff=person, on=datetime.date(2022, 4, 1))
    services.staff_reactivate(staff=person, on=datetime.date(2024, 4, 1))
    back = DepartmentMembership.objects.get(staff=person, valid_from=datetime.date(2024, 4, 1))
    with pytest.raises(services.PeopleError, match="重なる"):
        services.membership_start_correct(membership=back, valid_from=datetime.date(2022, 3, 1))
    services.membership_start_correct(membership=back, valid_from=datetime.date(2022, 4, 1))
    assert DepartmentMembership.objects.get(
        staff=person, valid_from=datetime.date(2020, 4, 1)
    ).valid_to == datetime.date(2022, 4, 1)


def test_the_report_tree_names_departments_as_of_a_day_in_one_query(ashiya, django_assert_num_queries):
    dept = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課")
    DepartmentFactory(municipality=ashiya, code="120", name="秘書課")
    services.department_rename(department=dept, name="デジタル推進課", on=TODAY)
    with django_assert_num_queries(1):
        index = department_index(municipality=ashiya)
    assert index.get(dept.pk).name == "デジタル推進課"
    assert index.as_of(LAST_YEAR).get(dept.pk).name == "情報政策課"
    assert index.as_of(LAST_YEAR).by_code["120"].name == "秘書課"
    assert len(index.as_of(LAST_YEAR)) == 2


def test_a_department_master_rename_is_history_from_the_commit_day(ashiya, hr):
    from people.models import RosterImport

    dept = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課")
    content = "所属コード,名称,上位所属コード\n110,デジタル推進課,\n130,新設課,\n".encode()
    upload = services.roster_import_create(
        municipality=ashiya, kind=RosterImport.Kind.DEPARTMENTS, file_name="m.csv", content=content, user=hr.user
    )
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    names = {
        (n.department.code, n.name, n.valid_from, n.valid_to)
        for n in DepartmentName.objects.filter(department__municipality=ashiya).select_related("department")
    }
    assert ("110", "情報政策課", DepartmentName.SINCE_ALWAYS, TODAY) in names
    assert ("110", "デジタル推進課", TODAY, None) in names
    assert ("130", "新設課", DepartmentName.SINCE_ALWAYS, None) in names
    assert department_names_on(municipality=ashiya, day=LAST_YEAR)[dept.pk] == "情報政策課"


def _upload(ashiya, hr, text, effective_on=None):
    from people.models import RosterImport

    return services.roster_import_create(
        municipality=ashiya,
        kind=RosterImport.Kind.DEPARTMENTS,
        file_name="reorg.csv",
        content=text.encode(),
        user=hr.user,
        effective_on=effective_on,
    )


def test_the_department_master_renames_merges_and_abolishes_from_an_effective_day(ashiya, hr):
    """The April reorganisation prepared ahead: a dry run, one commit, changes dated the day."""
    top = DepartmentFactory(municipality=ashiya, code="100", name="総務部")
    info = DepartmentFactory(municipality=ashiya, code="110", name="情報政策課", parent=top)
    citizens = DepartmentFactory(municipality=ashiya, code="120", name="市民課", parent=top)
    desk = DepartmentFactory(municipality=ashiya, code="130", name="窓口課", parent=top)
    empty = DepartmentFactory(municipality=ashiya, code="140", name="臨時給付金室", parent=top)
    person = StaffMemberFactory(municipality=ashiya, department=citizens)
    text = (
        "所属コード,名称,上位所属コード,廃止,統合先コード\n"
        "110,デジタル推進課,100,,\n"
        "120,市民課,100,,130\n"
        "140,臨時給付金室,100,1,\n"
    )
    upload = _upload(ashiya, hr, text, effective_on=NEXT_MONTH)
    counts = upload.summary["counts"]
    assert (counts["rename"], counts["merge"], counts["retire"]) == (1, 1, 1)
    details = {row["key"]: row["detail"] for table in upload.summary["tables"] for row in table["rows"]}
    assert "130" in details["120"] and "1人" in details["120"]
    services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    for dept in (info, citizens, desk, empty):
        dept.refresh_from_db()
    assert info.name == "情報政策課"  # until the effective day
    assert (citizens.retired_on, citizens.merged_into_id, empty.retired_on) == (NEXT_MONTH, desk.pk, NEXT_MONTH)
    assert DepartmentMembership.objects.on(NEXT_MONTH).get(staff=person).department_id == desk.pk
    assert services.department_changes_apply(municipality=ashiya, on=NEXT_MONTH) == {
        "renamed": 1,
        "moved": 1,
        "placed": 0,
        "deactivated": 0,
    }
    info.refresh_from_db()
    person.refresh_from_db()
    assert (info.name, person.department_id) == ("デジタル推進課", desk.pk)
    assert department_names_on(municipality=ashiya, day=TODAY)[info.pk] == "情報政策課"
    assert [e.data["into"] for e in _entries("people.department_merged")] == ["130"]


def test_the_dry_run_refuses_abolishing_a_department_with_people_or_live_children(ashiya, hr):
    top = DepartmentFactory(municipality=ashiya, code="100", name="総務部")
    citizens = DepartmentFactory(municipality=ashiya, code="120", name="市民課", parent=top)
    StaffMemberFactory(municipality=ashiya, department=citizens)
    text = "所属コード,名称,上位所属コード,廃止,統合先コード\n100,総務部,,1,\n120,市民課,100,1,\n999,新課,,,120\n"
    upload = _upload(ashiya, hr, text)
    messages = {e["key"]: e["message"] for e in upload.summary["errors"]}
    assert "職員が1人いる所属は廃止できません" in messages["120"]
    assert "廃止されない下位所属" not in messages.get("100", "")  # its only child goes too
    assert "登録されていない所属" in messages["999"]
    with pytest.raises(services.PeopleError, match="エラーのある行"):
        services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=hr.user)
    assert not Department.objects.filter(retired_on__isnull=False).exists()


def test_an_effective_day_is_for_department_masters_only(ashiya, hr):
    from people.models import RosterImport

    with pytest.raises(services.PeopleError, match="所属マスタだけ"):
        services.roster_import_create(
            municipality=ashiya,
            kind=RosterImport.Kind.STAFF,
            file_name="r.csv",
            content=b"x",
            user=hr.user,
            effective_on=NEXT_MONTH,
        )
