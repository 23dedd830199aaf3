"""A new municipality without a developer (decision 0038): sns_training.services.municipality_onboard
and the admin's 自治体の追加 form. Everything load_demo builds comes with it, bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.models import GroupPagePermission, ModelLogEntry, Page, WorkflowPage

from courses.models import ChapterPage, GuidelinePage
from identity.models import AccessEvent, LoginPolicy, SetupCode
from identity.services import setup_code_redeem
from people.models import Department, Municipality, StaffMember, User
from sns_training.services import FirstHR, OnboardingError, municipality_onboard
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
HR = FirstHR(
    staff_number="000001", name="北杜 人事", kana="ホクト ジンジ", department_code="2100", department_name="人事課"
)


def _fixture(code="192104", name="北杜市", slug="hokuto", guideline_slug="hokuto-sns-guideline") -> dict:
    """芦屋市's guideline file, relabelled as another city's: a real, valid fixture."""
    data = json.loads((FIXTURES / "ashiya.json").read_text(encoding="utf-8"))
    data["municipality"] = {"code": code, "name": name, "slug": slug}
    data["slug"] = guideline_slug
    data["title"] = "北杜市ソーシャルメディア利用ガイドライン"
    return data


def _counts() -> tuple:
    return (
        Municipality.objects.count(),
        Page.objects.count(),
        Group.objects.count(),
        LoginPolicy.objects.count(),
        StaffMember.objects.count(),
        Department.objects.count(),
        SetupCode.objects.count(),
        User.objects.count(),
        WorkflowPage.objects.count(),
    )


@pytest.fixture
def platform_admin(db):
    return UserFactory(is_superuser=True, username="platform")


def test_onboarding_builds_everything_load_demo_built_by_hand(platform_admin):
    done = municipality_onboard(
        code="192104",
        name="北杜市",
        slug="hokuto",
        actor=platform_admin,
        guideline_data=_fixture(),
        guideline_source="hokuto.json",
        hr=HR,
    )

    m = done.municipality
    assert (m.code, m.name, m.slug) == ("192104", "北杜市", "hokuto")
    guideline = GuidelinePage.objects.get(municipality=m)
    assert guideline.live and guideline.title == "北杜市ソーシャルメディア利用ガイドライン"
    assert (
        ChapterPage.objects.child_of(guideline).live().count()
        == ChapterPage.objects.filter(
            path__startswith=GuidelinePage.objects.get(slug="hokuto-sns-guideline").path
        ).count()
    )
    assert ChapterPage.objects.child_of(guideline).count() == len(_fixture()["chapters"])
    editors, approvers = Group.objects.get(name="北杜市 編集者"), Group.objects.get(name="北杜市 承認者")
    # Page permissions on its own tree only.
    assert set(
        GroupPagePermission.objects.filter(group__in=[editors, approvers]).values_list("page_id", flat=True)
    ) == {guideline.pk}
    assert editors.permissions.filter(codename="change_scenarioquestion").exists()
    assert approvers.permissions.filter(codename="publish_scenarioquestion").exists()
    workflow = WorkflowPage.objects.get(page=guideline).workflow
    assert workflow.name == "北杜市 ガイドライン承認フロー"
    assert [t.specific.groups.get() for t in workflow.tasks] == [approvers]
    assert LoginPolicy.objects.get(municipality=m).password_allowed
    hr = StaffMember.objects.get(municipality=m, staff_number="000001")
    assert hr.role == StaffMember.Role.HR and hr.department.code == "2100"
    assert not hr.user.has_usable_password()
    # The letter's code works once, for this person only.
    assert done.letter.staff == hr
    assert AccessEvent.objects.filter(kind="setup_code_issued", subject=hr.user, actor=platform_admin).count() == 1
    user = setup_code_redeem(municipality=m, staff_number="000001", code=done.letter.code, password="Hokuto-2026-pass")
    assert user.check_password("Hokuto-2026-pass")
    entry = ModelLogEntry.objects.get(action="sns_training.municipality_onboarded")
    assert entry.user_id == platform_admin.pk and entry.object_id == str(m.pk)


def test_an_empty_guideline_page_when_no_file_is_given(platform_admin):
    done = municipality_onboard(
        code="192104",
        name="北杜市",
        slug="hokuto",
        actor=platform_admin,
        guideline_title="北杜市SNS運用ガイドライン",
        guideline_issuer="秘書広報課",
        hr=HR,
    )

    guideline = done.guideline
    assert guideline.live and guideline.slug == "hokuto-sns-guideline" and guideline.issuer == "秘書広報課"
    assert not guideline.get_children().exists()
    assert WorkflowPage.objects.filter(page=guideline).exists()


def test_without_passwords_no_letter_is_issued(platform_admin):
    done = municipality_onboard(
        code="192104",
        name="北杜市",
        slug="hokuto",
        actor=platform_admin,
        guideline_title="北杜市SNS運用ガイドライン",
        password_allowed=False,
        hr=HR,
    )
    assert done.letter is None and not SetupCode.objects.exists()
    assert done.hr.role == StaffMember.Role.HR


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "282065"}, "団体コード 282065 の自治体は既に登録されています。"),
        ({"name": "芦屋市"}, "自治体名「芦屋市」は既に登録されています。"),
        ({"slug": "ashiya"}, "スラッグ「ashiya」は既に使われています。"),
        ({"code": "12345"}, "団体コードは6桁の数字で入力してください。"),
        ({"guideline_data": {"slug": "x"}}, "「chapters」に章が1つもありません。"),
        ({"guideline_data": _fixture(code="999999")}, "ファイルの団体コード（999999）が入力した団体コード（192104）と一致しません。"),
        ({"guideline_data": _fixture(guideline_slug="ashiya-sns-guideline")}, "別の自治体のガイドラインで使われています。"),
        ({"hr": FirstHR(staff_number="", name="x", department_code="2100", department_name="人事課")}, ""),
        ({"hr": FirstHR(staff_number="1", name="x", department_code="bad code!", department_name="人事課")}, ""),
    ],
    ids=["duplicate-code", "duplicate-name", "duplicate-slug", "bad-code", "invalid-fixture", "fixture-of-another-city",
         "fixture-slug-taken", "no-staff-number", "bad-department-code"],
)  # fmt: skip
def test_bad_input_is_refused_in_japanese_with_nothing_written(platform_admin, change, message):
    from courses.services import guidelines_import_files

    guidelines_import_files(paths=[FIXTURES / "ashiya.json"])  # 芦屋市 exists, with its guideline
    before = _counts()
    kwargs = {
        "code": "192104",
        "name": "北杜市",
        "slug": "hokuto",
        "actor": platform_admin,
        "guideline_data": _fixture(),
        "guideline_source": "hokuto.json",
        "hr": HR,
    } | change

    with pytest.raises(OnboardingError) as refused:
        municipality_onboard(**kwargs)

    assert message in "\n".join(refused.value.errors)
    assert all(any("\u3040" <= ch <= "\u9fff" for ch in e) for e in refused.value.errors), refused.value.errors
    assert _counts() == before
    assert not Group.objects.filter(name__startswith="北杜市").exists()


def test_only_the_platform_admin_onboards_in_the_service(platform_admin):
    """Anyone else as the actor gets nothing: not even the municipality."""
    with pytest.raises(OnboardingError):
        municipality_onboard(
            code="192104", name="北杜市", slug="hokuto", actor=UserFactory(), guideline_title="x", hr=HR
        )
    assert not Municipality.objects.filter(code="192104").exists()


# --- the admin form -------------------------------------------------------------------------------


def _form(**extra) -> dict:
    return {
        "code": "192104",
        "name": "北杜市",
        "slug": "hokuto",
        "guideline_title": "",
        "guideline_issuer": "",
        "password_allowed": "on",
        "no_mailbox_contact": "人事課 内線100",
        "hr_department_code": "2100",
        "hr_department_name": "人事課",
        "hr_staff_number": "000001",
        "hr_name": "北杜 人事",
        "hr_kana": "ホクト ジンジ",
        "hr_email": "",
    } | extra


def test_the_admin_form_onboards_from_an_uploaded_file_and_answers_with_the_letter(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get("/admin/municipalities/new/").status_code == 200
    upload = SimpleUploadedFile("hokuto.json", json.dumps(_fixture(), ensure_ascii=False).encode(), "application/json")

    response = client.post("/admin/municipalities/new/", _form(guideline_file=upload))

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="setup-letter-192104-')
    assert response.content.startswith(b"%PDF")
    assert GuidelinePage.objects.get(municipality__code="192104").get_children().count() == len(_fixture()["chapters"])
    assert LoginPolicy.objects.get(municipality__code="192104").no_mailbox_contact == "人事課 内線100"
    assert SetupCode.objects.filter(staff__staff_number="000001", staff__municipality__code="192104").count() == 1


def test_the_admin_form_shows_an_invalid_file_in_japanese_and_writes_nothing(client, platform_admin):
    client.force_login(platform_admin)
    broken = _fixture()
    broken["chapters"][0]["clauses"][0]["key"] = ""
    upload = SimpleUploadedFile("hokuto.json", json.dumps(broken, ensure_ascii=False).encode(), "application/json")
    before = _counts()

    response = client.post("/admin/municipalities/new/", _form(guideline_file=upload))

    text = response.content.decode()
    assert response.status_code == 200 and "自治体を追加できませんでした（何も作成していません）" in text
    assert "hokuto.json" in text
    assert _counts() == before
    not_json = SimpleUploadedFile("hokuto.json", b"{not json", "application/json")
    response = client.post("/admin/municipalities/new/", _form(guideline_file=not_json))
    assert "JSON の書式誤り" in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("role", ["employee", "department_head", "hr"])
def test_no_one_but_the_platform_admin_onboards(client, role):
    from tests.factories import DepartmentFactory, MunicipalityFactory, StaffMemberFactory

    ashiya = MunicipalityFactory.ashiya()
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya), role=role)
    client.force_login(staff.user)
    assert client.get("/admin/municipalities/new/").status_code in (302, 403, 404)
    response = client.post("/admin/municipalities/new/", _form())
    assert response.status_code in (302, 403, 404)
    assert not Municipality.objects.filter(code="192104").exists()
