"""Who may open the roster import: every URL (GET and POST) answered for each role as Wagtail's own
admin views answer a missing permission (wagtail.admin.auth.require_admin_access), never with the
import's contents: admin users without people.import_roster go back to the dashboard with
「アクセス権がありません。」; staff without admin access go to the log-in page with 「管理画面を利用する
権限がありません。」; HR of another municipality gets 404 for its imports."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from people import services
from people.models import RosterImport, StaffMember
from tests.factories import StaffMemberFactory, roster_csv
from tests.helpers import refused_as_not_for_staff

pytestmark = pytest.mark.django_db

INDEX = "/admin/roster-import/"
SECRET = "芦屋 秘密"  # a name in Ashiya's uploaded file, never to be shown to anyone but Ashiya's HR
NO_PERMISSION = "アクセス権がありません。"  # Wagtail's "Sorry, you do not have permission to access this area."


@pytest.fixture
def imported(tree) -> RosterImport:
    ashiya = tree["jinji"].municipality
    hr = StaffMemberFactory(municipality=ashiya, department=tree["jinji"], role="hr", staff_number="000900")
    return services.roster_import_create(
        municipality=ashiya,
        kind="staff",
        file_name="meibo.csv",
        content=roster_csv(f"000201,{SECRET},ヒミツ,1100,一般職,2026-04-01,,1"),
        user=hr.user,
    )


def _group(name: str, *codenames: str) -> Group:
    """The admin groups as courses.services.editorial_setup gives them (admin access, questions)."""
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    group.permissions.add(*Permission.objects.filter(content_type__app_label="quizzes", codename__in=codenames))
    return group


def person(role: str, tree) -> StaffMember:
    if role == "other_hr":
        return StaffMemberFactory(
            municipality=tree["s_somu"].municipality, department=tree["s_somu"], role="hr", staff_number="004900"
        )
    ashiya = tree["koho"].municipality
    staff_role = {"editor": "employee", "approver": "department_head"}.get(role, role)
    staff = StaffMemberFactory(municipality=ashiya, department=tree["koho"], role=staff_role, staff_number="000150")
    if role == "editor":
        staff.user.groups.add(_group("芦屋市 編集者", "add_scenarioquestion", "change_scenarioquestion"))
    if role == "approver":  # the demo's 承認者 is also 所属長 of 広報
        staff.user.groups.add(_group("芦屋市 承認者", "change_scenarioquestion", "publish_scenarioquestion"))
    return staff


def requests(imported: RosterImport) -> list[tuple[str, str, dict]]:
    """Every roster import URL with the methods a browser or a forged form could use."""
    pk = imported.pk
    upload = {
        "kind": "staff",
        "file": SimpleUploadedFile("x.csv", roster_csv("000202,侵入,シンニュウ,1100,一般職,2026-04-01,,1")),
    }
    return [
        ("get", INDEX, {}),
        ("post", INDEX, upload),
        ("get", f"{INDEX}{pk}/", {}),
        ("post", f"{INDEX}{pk}/", {}),
        ("get", f"{INDEX}{pk}/errors.csv", {}),
        ("get", f"{INDEX}{pk}/commit/", {}),
        ("post", f"{INDEX}{pk}/commit/", {"plan_digest": imported.plan_digest}),
    ]


def nothing_written(imported: RosterImport) -> bool:
    imported.refresh_from_db()
    return (
        imported.status == RosterImport.Status.DRY_RUN
        and RosterImport.objects.count() == 1
        and not StaffMember.objects.filter(staff_number__in=["000201", "000202"]).exists()
    )


@pytest.mark.parametrize("role", ["editor", "approver"])
def test_admin_users_without_the_permission_are_sent_to_the_dashboard_with_wagtails_message(
    client, tree, imported, role
):
    client.force_login(person(role, tree).user)
    for method, url, data in requests(imported):
        response = getattr(client, method)(url, data)
        assert (response.status_code, response["Location"]) == (302, "/admin/"), (method, url)
        dashboard = client.get(response["Location"]).content.decode()
        assert NO_PERMISSION in dashboard, (method, url)
        assert SECRET not in dashboard
    # XMLHttpRequest (Wagtail's own fetches) gets the PermissionDenied as a 403 page in Japanese.
    ajax = client.get(f"{INDEX}{imported.pk}/", headers={"x-requested-with": "XMLHttpRequest"})
    assert ajax.status_code == 403 and "このページを閲覧する権限がありません。" in ajax.content.decode()
    assert SECRET not in ajax.content.decode()
    assert nothing_written(imported)


@pytest.mark.parametrize("role", ["department_head", "employee"])
def test_staff_without_admin_access_are_told_what_the_admin_is_for(client, tree, imported, role):
    client.force_login(person(role, tree).user)
    for method, url, data in requests(imported):
        response = getattr(client, method)(url, data)
        assert refused_as_not_for_staff(response), (method, url)
        assert SECRET not in response.content.decode()
    assert nothing_written(imported)


def test_hr_of_another_municipality_gets_404_for_its_imports(client, tree, imported):
    client.force_login(person("other_hr", tree).user)
    answers = {}
    for method, url, data in requests(imported):
        if url == INDEX:
            continue  # their own upload page (tested in test_roster_admin)
        response = getattr(client, method)(url, data)
        answers[method, url.removeprefix(f"{INDEX}{imported.pk}")] = response.status_code
        assert SECRET not in response.content.decode()
    assert answers == {
        ("get", "/"): 404,
        ("post", "/"): 404,
        ("get", "/errors.csv"): 404,
        ("get", "/commit/"): 405,  # POST only, before any lookup: the same answer for an import of theirs
        ("post", "/commit/"): 404,
    }
    listing = client.get(INDEX)
    assert listing.status_code == 200 and "meibo.csv" not in listing.content.decode()
    assert nothing_written(imported)


def test_an_import_that_does_not_exist_answers_as_another_municipalitys_does(client, tree, imported):
    """Neither the refusal nor the 404 tells anyone whether an import number exists."""
    editor, other_hr = person("editor", tree), person("other_hr", tree)
    missing = imported.pk + 1000
    client.force_login(editor.user)
    assert client.get(f"{INDEX}{missing}/")["Location"] == client.get(f"{INDEX}{imported.pk}/")["Location"]
    client.force_login(other_hr.user)
    for suffix in ("/", "/errors.csv"):
        assert client.get(f"{INDEX}{missing}{suffix}").status_code == 404
