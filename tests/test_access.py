"""Invariant 2, role × object: an employee, a 所属長, an HR user and an editor of 芦屋市 try to reach
須賀川市's staff, pages and admin objects, and another department's staff. Each answers 404/403
(or a redirect away), and no response ever shows the other person or the other guideline.

The same matrix runs against a third municipality, 北杜市, made as the platform admin's
自治体の追加 makes one (sns_training.services.municipality_onboard, decision 0038): its guideline,
groups and first HR person come from onboarding, not from factories."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group

from courses.services import EDITOR_GROUP, editorial_setup
from people.models import StaffMember, User
from sns_training.services import FirstHR
from tests.factories import (
    ChapterPageFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    StaffMemberFactory,
    clause,
    department_tree,
    onboarded_municipality,
)
from tests.helpers import response_text

pytestmark = pytest.mark.django_db

Role = StaffMember.Role

SUKAGAWA_SECRETS = ["須賀 花子", "S-77001", "須賀川テストガイドライン", "須賀川の第一章", "須賀川だけの条項本文"]
ONBOARDED_SECRETS = [
    "北杜 花子",
    "H-77001",
    "北杜テストガイドライン",
    "北杜の第一章",
    "北杜だけの条項本文",
    "北杜 人事",
]
OTHER_MUNICIPALITIES = ["sukagawa", "onboarded"]
OTHER_DEPARTMENT_SECRETS = ["芦屋 総務", "A-10006"]


@pytest.fixture(scope="module")
def world(module_db):
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    tree = department_tree(ashiya, sukagawa)
    kikaku, koho, koho_kakari = tree["kikaku"], tree["koho"], tree["koho_kakari"]
    somu, jinji, s_somu = tree["somu"], tree["jinji"], tree["s_somu"]

    def staff(number, name, department, role=Role.EMPLOYEE, municipality=ashiya):
        return StaffMemberFactory(
            municipality=municipality, department=department, staff_number=number, name=name, role=role
        )

    people = {
        "employee": staff("A-10001", "芦屋 一郎", koho),
        "head": staff("A-10002", "芦屋 部長", kikaku, Role.DEPARTMENT_HEAD),
        "sub": staff("A-10003", "芦屋 係員", koho_kakari),
        "hr": staff("A-10004", "芦屋 人事", jinji, Role.HR),
        "editor": staff("A-10005", "芦屋 編集", koho),
        "other_dept": staff("A-10006", "芦屋 総務", somu),
        "suka": staff("S-77001", "須賀 花子", s_somu, municipality=sukagawa),
    }
    ga = GuidelinePageFactory(municipality=ashiya, title="芦屋テストガイドライン", slug="ashiya-test")
    ca = ChapterPageFactory(
        parent=ga, key="1", title="芦屋の第一章", body=[clause("1", "１", "芦屋だけの条項本文です。", heading="目的")]
    )
    gs = GuidelinePageFactory(municipality=sukagawa, title="須賀川テストガイドライン", slug="sukagawa-test")
    cs = ChapterPageFactory(
        parent=gs,
        key="1",
        title="須賀川の第一章",
        body=[clause("1", "1", "須賀川だけの条項本文です。", heading="定義")],
    )
    editors, _approvers = editorial_setup(guideline=ga)
    editorial_setup(guideline=gs)
    people["editor"].user.groups.add(editors)
    hokuto = onboarded_municipality(
        code="192104",
        name="北杜市",
        slug="hokuto",
        hr=FirstHR(staff_number="H-77002", name="北杜 人事", department_code="H2100", department_name="北杜人事課"),
        guideline_slug="hokuto-test",
        title="北杜テストガイドライン",
        chapter_title="北杜の第一章",
        body="北杜だけの条項本文です。",
    )
    hokuto_person = staff("H-77001", "北杜 花子", hokuto.hr.department, municipality=hokuto.municipality)
    ch = hokuto.guideline.get_children().get().specific
    ch.save_revision()  # a draft revision, as 須賀川市's chapter has
    others = {
        "sukagawa": SimpleNamespace(
            staff=people["suka"].pk,
            user=people["suka"].user_id,
            g=gs.pk,
            c=cs.pk,
            g_url=gs.url,
            c_url=cs.url,
            c_revision=cs.latest_revision_id,
            secrets=SUKAGAWA_SECRETS,
        ),
        "onboarded": SimpleNamespace(
            staff=hokuto_person.pk,
            user=hokuto_person.user_id,
            g=hokuto.guideline.pk,
            c=ch.pk,
            g_url=hokuto.guideline.url,
            c_url=ch.url,
            c_revision=ch.latest_revision_id,
            secrets=ONBOARDED_SECRETS,
        ),
    }
    hokuto_editor = staff("H-77003", "北杜 編集", hokuto.hr.department, municipality=hokuto.municipality)
    hokuto_editor.user.groups.add(hokuto.editors)
    return SimpleNamespace(
        others=others,
        hokuto_hr=hokuto.hr.user_id,
        hokuto_editor=hokuto_editor.user_id,
        staff={key: member.pk for key, member in people.items()},
        users={key: member.user_id for key, member in people.items()},
        ga=ga.pk,
        ca=ca.pk,
        gs=gs.pk,
        cs=cs.pk,
        ca_url=ca.url,
        ga_url=ga.url,
        cs_url=cs.url,
        gs_url=gs.url,
        cs_revision=cs.latest_revision_id,
    )


ACTORS = ["employee", "head", "hr", "editor"]

# (id, url template ({o} is the other municipality), may a listing answer 200 (or the admin API 400 "parent page doesn't exist")
# without the data?)
FOREIGN_TARGETS = [
    ("staff-detail", "/staff/{o.staff}/", False),
    ("course-page", "{o.g_url}", False),
    ("chapter-page", "{o.c_url}", False),
    ("admin-edit-guideline", "/admin/pages/{o.g}/edit/", False),
    ("admin-edit-chapter", "/admin/pages/{o.c}/edit/", False),
    ("admin-explore", "/admin/pages/{o.g}/", False),
    ("admin-history", "/admin/pages/{o.c}/history/", False),
    ("admin-view-draft", "/admin/pages/{o.c}/view_draft/", False),
    ("admin-revision", "/admin/pages/{o.c}/revisions/{o.c_revision}/view/", False),
    ("admin-preview", "/admin/pages/{o.c}/edit/preview/", False),
    ("admin-usage", "/admin/pages/{o.c}/usage/", False),
    ("admin-add-chapter", "/admin/pages/add/courses/chapterpage/{o.g}/", False),
    ("admin-delete", "/admin/pages/{o.c}/delete/", False),
    ("admin-copy", "/admin/pages/{o.c}/copy/", False),
    ("admin-user", "/admin/users/{o.user}/", False),
    ("admin-user-list", "/admin/users/", True),
    ("admin-api-page", "/admin/api/main/pages/{o.c}/", False),
    ("admin-api-children", "/admin/api/main/pages/?child_of={o.g}", True),
    ("admin-search", "/admin/pages/search/?q=第一章", True),
    ("admin-chooser-children", "/admin/choose-page/{o.g}/", True),
    ("admin-chooser-search", "/admin/choose-page/search/?q=第一章", True),
    ("admin-site-history", "/admin/reports/site-history/", True),
]
OTHER_DEPARTMENT_TARGETS = [
    ("staff-detail", "/staff/{w.staff[other_dept]}/", False),
    ("admin-user", "/admin/users/{w.users[other_dept]}/", False),
]


def _matrix():
    for actor in ACTORS:
        for other in OTHER_MUNICIPALITIES:
            for name, url, listing in FOREIGN_TARGETS:
                yield pytest.param(actor, url, listing, other, id=f"{actor}-{other}-{name}")
        for name, url, listing in OTHER_DEPARTMENT_TARGETS:
            if actor == "hr" and name == "staff-detail":
                continue  # HR sees the whole municipality: a positive case below
            yield pytest.param(actor, url, listing, None, id=f"{actor}-other-department-{name}")


def _login(client, world, actor):
    client.force_login(User.objects.get(pk=world.users[actor]))


@pytest.mark.parametrize(("actor", "url", "listing", "other"), list(_matrix()))
def test_forbidden_objects_answer_without_their_data(client, world, actor, url, listing, other):
    _login(client, world, actor)
    target = url.format(w=world, o=world.others.get(other))
    secrets = world.others[other].secrets if other else OTHER_DEPARTMENT_SECRETS

    response = client.get(target)

    allowed = {302, 403, 404} | ({200, 400} if listing else set())
    assert response.status_code in allowed, f"{actor} {target} answered {response.status_code}"
    leaked = [s for s in secrets if s in response_text(response)]
    assert leaked == [], f"{actor} {target} shows {leaked}"
    hops = 0
    while response.status_code == 302 and hops < 5:
        location = response["Location"]
        assert urlsplit(location).path != urlsplit(target).path, f"{target} redirects to itself"
        response = client.get(location)
        hops += 1
        leaked = [s for s in secrets if s in response_text(response)]
        assert leaked == [], f"{actor} {target} → {location} shows {leaked}"


@pytest.mark.parametrize("actor", ACTORS)
def test_every_actor_reads_their_own_guideline(client, world, actor):
    _login(client, world, actor)

    response = client.get(world.ca_url)

    assert response.status_code == 200
    assert "芦屋だけの条項本文です。" in response_text(response)
    mypage = response_text(client.get("/mypage/"))
    assert "芦屋テストガイドライン" in mypage
    assert "須賀川テストガイドライン" not in mypage
    assert "北杜テストガイドライン" not in mypage


def test_hr_sees_staff_of_every_department_of_their_municipality(client, world):
    _login(client, world, "hr")

    detail = client.get(f"/staff/{world.staff['other_dept']}/")
    listing = response_text(client.get("/staff/"))

    assert detail.status_code == 200
    assert "芦屋 総務" in response_text(detail) and "A-10006" in response_text(detail)
    for name in ("芦屋 一郎", "芦屋 部長", "芦屋 係員", "芦屋 人事", "芦屋 編集", "芦屋 総務"):
        assert name in listing
    assert "須賀 花子" not in listing
    assert "北杜 花子" not in listing


def test_a_department_head_sees_their_subtree_only(client, world):
    _login(client, world, "head")

    detail = client.get(f"/staff/{world.staff['sub']}/")
    listing = response_text(client.get("/staff/"))

    assert detail.status_code == 200
    assert "芦屋 係員" in response_text(detail) and "A-10003" in response_text(detail)
    for name in ("芦屋 一郎", "芦屋 部長", "芦屋 係員", "芦屋 編集"):
        assert name in listing
    for name in ("芦屋 人事", "芦屋 総務", "須賀 花子"):
        assert name not in listing


def test_an_employee_sees_themselves_only(client, world):
    _login(client, world, "employee")

    assert client.get(f"/staff/{world.staff['employee']}/").status_code == 200
    assert client.get(f"/staff/{world.staff['sub']}/").status_code == 404
    listing = response_text(client.get("/staff/"))
    assert "芦屋 一郎" in listing
    assert "芦屋 係員" not in listing


def test_the_editor_opens_their_guideline_in_the_admin(client, world):
    _login(client, world, "editor")

    guideline = client.get(f"/admin/pages/{world.ga}/edit/")
    chapter = client.get(f"/admin/pages/{world.ca}/edit/")
    explorer = client.get(f"/admin/pages/{world.ga}/")

    assert guideline.status_code == 200
    assert "芦屋テストガイドライン" in response_text(guideline)
    assert chapter.status_code == 200
    assert 'value="芦屋の第一章"' in response_text(chapter)
    assert explorer.status_code == 200
    assert "芦屋の第一章" in response_text(explorer)
    chooser = client.get(f"/admin/choose-page/{world.ga}/")
    assert chooser.status_code == 200
    assert "芦屋の第一章" in response_text(chooser)


def test_the_editor_group_is_the_one_editorial_setup_creates(world):
    editor = User.objects.get(pk=world.users["editor"])
    assert list(editor.groups.values_list("name", flat=True)) == [EDITOR_GROUP.format(municipality="芦屋市")]
    assert Group.objects.filter(name="須賀川市 編集者").exists()


def test_the_editor_cannot_move_the_guideline_to_another_municipality(client, world):
    _login(client, world, "editor")

    form = response_text(client.get(f"/admin/pages/{world.ga}/edit/"))

    assert "須賀川市" not in form
    assert "北杜市" not in form


def test_the_onboarded_hr_sees_their_own_city_only(client, world):
    client.force_login(User.objects.get(pk=world.hokuto_hr))

    listing = response_text(client.get("/staff/"))

    assert "北杜 花子" in listing and "北杜 人事" in listing
    for name in ("芦屋 一郎", "芦屋 人事", "須賀 花子"):
        assert name not in listing
    assert client.get(f"/staff/{world.staff['employee']}/").status_code == 404


def test_the_onboarded_editor_group_edits_its_own_tree_only(client, world):
    client.force_login(User.objects.get(pk=world.hokuto_editor))
    hokuto = world.others["onboarded"]

    own = client.get(f"/admin/pages/{hokuto.c}/edit/")
    foreign = client.get(f"/admin/pages/{world.ca}/edit/")

    assert own.status_code == 200 and 'value="北杜の第一章"' in response_text(own)
    assert foreign.status_code in (302, 403, 404)
    assert "芦屋の第一章" not in response_text(foreign)
