"""Roles appointed on screen (issue 12, decision 0027): the services in people/appointments.py,
the admin pages of 「役割の任命」, 所属長 as a post of the department, and the roster's 役割 column."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from wagtail.models import ModelLogEntry

from courses.services import editorial_setup
from identity.models import AccessEvent
from people import appointments, roster, selectors, services
from people.appointments import AppointmentError
from people.models import RosterImport, StaffMember
from tests.factories import (
    GuidelinePageFactory,
    StaffMemberFactory,
    UserFactory,
    department_tree,
    roster_csv,
)

pytestmark = pytest.mark.django_db

Role = StaffMember.Role


@pytest.fixture
def world(ashiya, sukagawa, home):
    tree = department_tree(ashiya, sukagawa)

    def person(number, department, role=Role.EMPLOYEE, municipality=ashiya, name=None):
        return StaffMemberFactory(
            municipality=municipality,
            department=department,
            staff_number=number,
            name=name or f"職員{number}",
            role=role,
        )

    for municipality, slug in ((ashiya, "ashiya-roles"), (sukagawa, "sukagawa-roles")):
        editorial_setup(guideline=GuidelinePageFactory(municipality=municipality, slug=slug, title=slug))
    return SimpleNamespace(
        ashiya=ashiya,
        sukagawa=sukagawa,
        tree=tree,
        hr=person("000900", tree["jinji"], Role.HR, name="人事 太郎"),
        kacho=person("000110", tree["koho"], Role.DEPARTMENT_HEAD, name="広報 課長"),
        kakari=person("000111", tree["koho_kakari"], name="広報 係員"),
        somu=person("000200", tree["somu"], name="総務 職員"),
        employee=person("000112", tree["koho"], name="広報 職員"),
        other_hr=person("500900", tree["s_somu"], Role.HR, municipality=sukagawa, name="須賀 人事"),
        other=person("500100", tree["s_somu"], municipality=sukagawa, name="須賀 職員"),
    )


def _refresh(member):
    return StaffMember.objects.select_related("user", "department").get(pk=member.pk)


def _events(member):
    return list(
        AccessEvent.objects.filter(kind=AccessEvent.Kind.ROLE_CHANGED, subject=member.user)
        .order_by("pk")
        .values_list("detail", flat=True)
    )


# --- services -------------------------------------------------------------------------------


class TestServices:
    def test_hr_appoints_a_head_of_the_persons_own_department_logged(self, world):
        appointments.role_appoint(
            by=world.hr.user, staff=world.somu, role="department_head", department=world.tree["somu"]
        )
        assert _refresh(world.somu).role == Role.DEPARTMENT_HEAD
        [event] = _events(world.somu)
        assert event == {
            "role": "department_head",
            "action": "appoint",
            "department": "2000",
            "department_name": "総務部",
            "previous": "employee",
            "source": "admin",
        }
        row = AccessEvent.objects.get(subject=world.somu.user)
        assert row.actor == world.hr.user and row.municipality == world.ashiya
        assert ModelLogEntry.objects.filter(action="people.role_appointed", object_id=str(world.somu.pk)).exists()

    def test_a_head_is_chosen_among_the_departments_people(self, world):
        with pytest.raises(AppointmentError, match="その所属"):
            appointments.role_appoint(
                by=world.hr.user, staff=world.somu, role="department_head", department=world.tree["koho"]
            )
        assert _refresh(world.somu).role == Role.EMPLOYEE
        assert _events(world.somu) == []

    def test_a_department_has_one_head(self, world):
        with pytest.raises(AppointmentError, match="既に所属長（広報 課長）"):
            appointments.role_appoint(by=world.hr.user, staff=world.employee, role="department_head")
        assert _refresh(world.employee).role == Role.EMPLOYEE

    def test_the_database_holds_one_head_per_department(self, world):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            StaffMember.objects.filter(pk=world.employee.pk).update(role=Role.DEPARTMENT_HEAD)

    def test_hr_appoints_hr_and_removes_it(self, world):
        appointments.role_appoint(by=world.hr.user, staff=world.somu, role="hr")
        somu = _refresh(world.somu)
        assert somu.role == Role.HR and somu.user.has_perm("people.import_roster")
        appointments.role_remove(by=world.hr.user, staff=world.somu, role="hr")
        somu = _refresh(world.somu)
        assert somu.role == Role.EMPLOYEE and not somu.user.has_perm("people.import_roster")
        assert [e["action"] for e in _events(world.somu)] == ["appoint", "remove"]
        assert ModelLogEntry.objects.filter(action="people.role_removed", object_id=str(world.somu.pk)).exists()

    @pytest.mark.parametrize(("role", "group"), [("editor", "芦屋市 編集者"), ("approver", "芦屋市 承認者")])
    def test_editors_and_approvers_are_the_municipalitys_groups(self, world, role, group):
        appointments.role_appoint(by=world.hr.user, staff=world.somu, role=role)
        user = _refresh(world.somu).user
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert user.has_perm("wagtailadmin.access_admin")
        assert selectors.staff_roles(staff=_refresh(world.somu)) == [role]
        appointments.role_remove(by=world.hr.user, staff=world.somu, role=role)
        assert not _refresh(world.somu).user.groups.exists()
        assert [(e["role"], e["action"]) for e in _events(world.somu)] == [(role, "appoint"), (role, "remove")]

    def test_another_municipalitys_person_is_not_found(self, world):
        for role in ("department_head", "hr", "editor", "approver"):
            with pytest.raises(Http404):
                appointments.role_appoint(by=world.hr.user, staff=world.other, role=role)
        with pytest.raises(Http404):
            appointments.role_remove(by=world.hr.user, staff=world.other_hr, role="hr")
        assert _refresh(world.other).role == Role.EMPLOYEE and not _refresh(world.other).user.groups.exists()
        assert _refresh(world.other_hr).role == Role.HR
        assert not AccessEvent.objects.filter(kind=AccessEvent.Kind.ROLE_CHANGED).exists()

    @pytest.mark.parametrize("who", ["employee", "kacho", "editor"])
    def test_only_hr_appoints(self, world, who):
        if who == "editor":
            appointments.role_appoint(by=world.hr.user, staff=world.employee, role="editor")
            who = "employee"
        by = _refresh(getattr(world, who)).user
        with pytest.raises(PermissionDenied):
            appointments.role_appoint(by=by, staff=world.somu, role="hr")
        with pytest.raises(PermissionDenied):
            appointments.role_appoint(by=by, staff=_refresh(getattr(world, who)), role="hr")
        assert _refresh(world.somu).role == Role.EMPLOYEE

    @pytest.mark.parametrize("role", ["superuser", "is_staff", "platform_admin", "employee", ""])
    def test_platform_admin_cannot_be_granted(self, world, role):
        with pytest.raises(AppointmentError, match="任命できない役割"):
            appointments.role_appoint(by=world.hr.user, staff=world.somu, role=role)
        user = _refresh(world.somu).user
        assert not user.is_superuser and not user.is_staff

    def test_an_inactive_person_cannot_be_appointed(self, world):
        services.staff_deactivate(staff=world.somu, user=world.hr.user)
        for role in ("department_head", "hr", "editor"):
            with pytest.raises(AppointmentError, match="在職していない"):
                appointments.role_appoint(by=world.hr.user, staff=world.somu, role=role)
        assert _refresh(world.somu).role == Role.EMPLOYEE

    def test_hr_cannot_remove_their_own_hr_role(self, world):
        with pytest.raises(AppointmentError, match="ご自身"):
            appointments.role_remove(by=world.hr.user, staff=world.hr, role="hr")
        with pytest.raises(AppointmentError, match="ご自身"):
            appointments.role_appoint(by=world.hr.user, staff=world.hr, role="department_head")
        assert _refresh(world.hr).role == Role.HR

    def test_a_platform_admin_appoints_anywhere(self, world):
        admin = UserFactory(is_superuser=True, is_staff=True)
        appointments.role_appoint(by=admin, staff=world.other, role="hr")
        assert _refresh(world.other).role == Role.HR
        assert AccessEvent.objects.get(subject=world.other.user).municipality == world.sukagawa


class TestHeadIsAPost:
    def test_a_transfer_vacates_the_post(self, world):
        services.staff_transfer(staff=world.kacho, department=world.tree["somu"], user=world.hr.user)
        kacho = _refresh(world.kacho)
        assert kacho.role == Role.EMPLOYEE and kacho.department == world.tree["somu"]
        assert _events(world.kacho)[-1] == {
            "role": "department_head",
            "action": "vacated",
            "department": "1100",
            "department_name": "広報課",
            "previous": "department_head",
            "source": "transfer",
        }
        heads = dict(selectors.department_heads(user=world.hr.user))
        assert heads[world.tree["koho"]] is None
        vacant = [d.code for d, _h in selectors.department_heads(user=world.hr.user, vacant=True)]
        assert "1100" in vacant
        # The old department's people are no longer in their scope.
        visible = set(StaffMember.objects.visible_to(kacho.user).values_list("name", flat=True))
        assert visible == {"広報 課長"}

    def test_a_deactivation_vacates_the_post_logged(self, world):
        services.staff_deactivate(staff=world.kacho, user=world.hr.user)
        assert _events(world.kacho)[-1]["action"] == "vacated"
        assert _events(world.kacho)[-1]["source"] == "deactivation"

    def test_a_newly_appointed_head_sees_their_subtree(self, world, client):
        services.staff_transfer(staff=world.kacho, department=world.tree["somu"], user=world.hr.user)
        appointments.role_appoint(by=world.hr.user, staff=world.employee, role="department_head")
        head = _refresh(world.employee)
        names = set(StaffMember.objects.visible_to(head.user).values_list("name", flat=True))
        assert names == {"広報 職員", "広報 係員", "広報 課長"} - {"広報 課長"}
        client.force_login(_refresh(world.kakari).user)
        assert client.get("/department/").status_code == 404  # an employee has no 所属長 page
        client.force_login(head.user)
        response = client.get("/department/")
        assert response.status_code == 200
        assert "広報課" in response.content.decode()


# --- admin pages ----------------------------------------------------------------------------


class TestAdminViews:
    def test_hr_appoints_a_head_on_screen(self, world, client):
        services.staff_transfer(staff=world.kacho, department=world.tree["somu"], user=world.hr.user)
        client.force_login(world.hr.user)
        index = client.get("/admin/roles/")
        assert index.status_code == 200
        assert "広報 職員" in index.content.decode() and "須賀" not in index.content.decode()
        detail = client.get(f"/admin/roles/{world.employee.pk}/")
        assert detail.status_code == 200 and "所属長に任命する" in detail.content.decode()
        confirm = client.get(f"/admin/roles/{world.employee.pk}/appoint/department_head/")
        assert confirm.status_code == 200 and "広報課" in confirm.content.decode()
        assert _refresh(world.employee).role == Role.EMPLOYEE  # GET changes nothing
        response = client.post(
            f"/admin/roles/{world.employee.pk}/appoint/department_head/", {"department": world.tree["koho"].pk}
        )
        assert response.status_code == 302
        assert _refresh(world.employee).role == Role.DEPARTMENT_HEAD
        departments = client.get("/admin/roles/departments/").content.decode()
        assert "広報 職員" in departments
        vacant = client.get("/admin/roles/departments/?head=vacant").content.decode()
        assert "広報課" not in vacant and "総務部" in vacant and "空席" in vacant

    @pytest.mark.parametrize("role", ["department_head", "hr", "editor", "approver"])
    def test_each_role_appointed_and_removed_on_screen(self, world, client, role):
        target = world.somu
        client.force_login(world.hr.user)
        assert client.post(f"/admin/roles/{target.pk}/appoint/{role}/").status_code == 302
        assert role in selectors.staff_roles(staff=_refresh(target))
        assert client.post(f"/admin/roles/{target.pk}/remove/{role}/").status_code == 302
        assert selectors.staff_roles(staff=_refresh(target)) == []
        assert [e["action"] for e in _events(target)] == ["appoint", "remove"]

    def test_another_municipalitys_person_answers_404(self, world, client):
        client.force_login(world.hr.user)
        for url in (
            f"/admin/roles/{world.other.pk}/",
            f"/admin/roles/{world.other.pk}/appoint/hr/",
            f"/admin/roles/{world.other_hr.pk}/remove/hr/",
        ):
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
        assert _refresh(world.other).role == Role.EMPLOYEE and _refresh(world.other_hr).role == Role.HR
        assert "500100" not in client.get("/admin/roles/?q=500").content.decode()
        assert "該当する職員はいません" in client.get("/admin/roles/?q=500").content.decode()
        assert "須賀" not in client.get("/admin/roles/departments/").content.decode()

    def test_a_refused_appointment_says_why(self, world, client):
        client.force_login(world.hr.user)
        response = client.post(f"/admin/roles/{world.employee.pk}/appoint/department_head/", follow=True)
        assert "既に所属長（広報 課長）" in response.content.decode()
        assert _refresh(world.employee).role == Role.EMPLOYEE

    def test_an_unknown_role_answers_404(self, world, client):
        client.force_login(world.hr.user)
        assert client.post(f"/admin/roles/{world.somu.pk}/appoint/superuser/").status_code == 404
        assert not _refresh(world.somu).user.is_superuser

    @pytest.mark.parametrize("who", ["employee", "kacho", "editor", "approver"])
    def test_others_cannot_open_it(self, world, client, who):
        if who in ("editor", "approver"):
            appointments.role_appoint(by=world.hr.user, staff=world.employee, role=who)
            who = "employee"
        client.force_login(_refresh(getattr(world, who)).user)
        for url in ("/admin/roles/", "/admin/roles/departments/", f"/admin/roles/{world.somu.pk}/"):
            assert client.get(url).status_code in (302, 403, 404)
        assert client.post(f"/admin/roles/{world.somu.pk}/appoint/hr/").status_code in (302, 403, 404)
        assert _refresh(world.somu).role == Role.EMPLOYEE

    def test_csrf_is_required(self, world):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(world.hr.user)
        assert client.post(f"/admin/roles/{world.somu.pk}/appoint/hr/").status_code == 403
        assert _refresh(world.somu).role == Role.EMPLOYEE

    def test_the_menu_shows_it_to_hr_only(self, world, client):
        client.force_login(world.hr.user)
        assert '"/admin/roles/"' in client.get("/admin/").content.decode()
        appointments.role_appoint(by=world.hr.user, staff=world.employee, role="editor")
        client.force_login(_refresh(world.employee).user)
        assert '"/admin/roles/"' not in client.get("/admin/").content.decode()


# --- the roster's 役割 column -----------------------------------------------------------------

HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職,役割"


def _line(number, name, code, role="", active="1", email=""):
    return f"{number},{name},ショクイン,{code},一般職,2020-04-01,{email},{active},{role}"


def _plan(world, *lines, header=HEADER):
    return roster.staff_plan(municipality=world.ashiya, content=roster_csv(*lines, header=header), user=world.hr.user)


def _commit(world, *lines):
    imported = services.roster_import_create(
        municipality=world.ashiya,
        kind=RosterImport.Kind.STAFF,
        file_name="roles.csv",
        content=roster_csv(*lines, header=HEADER),
        user=world.hr.user,
    )
    services.roster_import_commit(roster_import=imported, plan_digest=imported.plan_digest, user=world.hr.user)
    return imported


class TestRosterRoleColumn:
    def test_without_the_column_roles_stay(self, world):
        header = HEADER.rsplit(",", 1)[0]
        plan = roster.staff_plan(
            municipality=world.ashiya,
            content=roster_csv("000110,広報 課長,カナ,1100,一般職,2020-04-01,,1", header=header),
            user=world.hr.user,
        )
        assert plan.errors == [] and plan.rows[0].role is None and "role" not in plan.rows[0].changes

    def test_empty_keeps_and_values_change(self, world):
        plan = _plan(
            world,
            _line("000110", "広報 課長", "1100"),
            _line("000200", "総務 職員", "2000", role="所属長"),
            _line("000112", "広報 職員", "1100", role="人事課"),
            _line("000111", "広報 係員", "1110", role="HR"),
        )
        assert plan.errors == []
        assert [(r.number, r.kind, r.changes.get("role")) for r in plan.rows] == [
            ("000110", "unchanged", None),
            ("000200", "update", ("employee", "department_head")),
            ("000112", "update", ("employee", "hr")),
            ("000111", "update", ("employee", "hr")),
        ]
        details = {row["key"]: row["detail"] for t in plan.summary()["tables"] for row in t["rows"]}
        assert details["000200"] == "役割: 職員 → 所属長"

    def test_bad_values_and_conflicts_are_errors(self, world):
        plan = _plan(
            world,
            _line("000200", "総務 職員", "2000", role="部長"),
            _line("000112", "広報 職員", "1100", role="所属長"),
            _line("000111", "広報 係員", "1110", role="所属長", active="0"),
            _line("000900", "人事 太郎", "2100", role="職員"),
        )
        assert [(e.key, e.message) for e in plan.errors] == [
            ("000200", "役割「部長」は使えません（職員、所属長、人事課 のいずれか。空欄は変更なし）。"),
            (
                "000112",
                "広報課（1100）には既に所属長（職員番号 000110）がいます。その人の役割を変える行を入れるか、画面で先に外してください。",
            ),
            ("000111", "在職でない人に役割（所属長・人事課）は付けられません。"),
            ("000900", "ご自身の人事担当の役割は名簿では変えられません。"),
        ]

    def test_two_heads_of_one_department_in_the_file(self, world):
        plan = _plan(
            world,
            _line("000200", "総務 職員", "2000", role="所属長"),
            _line("000201", "総務 新人", "2000", role="所属長"),
        )
        assert {e.key for e in plan.errors} == {"000200", "000201"}
        assert "ファイル内で複数" in plan.errors[0].message

    def test_commit_swaps_a_head_and_logs(self, world):
        _commit(
            world,
            _line("000110", "広報 課長", "1100", role="職員"),
            _line("000112", "広報 職員", "1100", role="所属長"),
            _line("000300", "新任 人事", "2100", role="人事課"),
        )
        assert _refresh(world.kacho).role == Role.EMPLOYEE
        assert _refresh(world.employee).role == Role.DEPARTMENT_HEAD
        new = StaffMember.objects.get(municipality=world.ashiya, staff_number="000300")
        assert new.role == Role.HR
        assert [(e["action"], e["source"]) for e in _events(world.kacho)] == [("remove", "roster")]
        assert [(e["action"], e["department"]) for e in _events(world.employee)] == [("appoint", "1100")]
        assert [e["role"] for e in _events(new)] == ["hr"]
        assert AccessEvent.objects.filter(subject=world.employee.user).get().actor == world.hr.user

    def test_a_transfer_through_the_roster_vacates_the_post(self, world):
        plan = _plan(world, _line("000110", "広報 課長", "2000"))
        [row] = plan.rows
        assert row.kind == "transfer" and row.demote
        assert any("空席" in w for w in plan.warnings)
        _commit(world, _line("000110", "広報 課長", "2000"))
        kacho = _refresh(world.kacho)
        assert kacho.role == Role.EMPLOYEE and kacho.department == world.tree["somu"]
        assert [(e["action"], e["department"]) for e in _events(world.kacho)] == [("vacated", "1100")]
        assert dict(selectors.department_heads(user=world.hr.user))[world.tree["koho"]] is None

    def test_a_head_transferred_as_head_heads_the_new_department(self, world):
        _commit(world, _line("000110", "広報 課長", "2000", role="所属長"))
        kacho = _refresh(world.kacho)
        assert kacho.role == Role.DEPARTMENT_HEAD and kacho.department == world.tree["somu"]
        assert [(e["action"], e["department"]) for e in _events(world.kacho)] == [
            ("vacated", "1100"),
            ("appoint", "2000"),
        ]
