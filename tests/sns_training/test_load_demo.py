"""`manage.py load_demo`: both municipalities with every employment type and role, both
guidelines live, and running it again loads nothing twice."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, Revision, Workflow, WorkflowPage

from courses.models import ChapterPage, GuidelinePage
from people.models import Department, Municipality, StaffMember, User
from quizzes.models import CompletionRecord, QuizAttempt
from sns_training.fiscal_year import current_fiscal_year
from tests.helpers import visible_text
from training.models import Assignment, TrainingCycle

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"
MODELS = [
    Municipality,
    Department,
    StaffMember,
    User,
    EmailAddress,
    Group,
    Page,
    Revision,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    TrainingCycle,
    Assignment,
    CompletionRecord,
    QuizAttempt,
]


@pytest.fixture(scope="module")
def demo(module_db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_first_run_reports_what_it_loaded(demo):
    assert "芦屋市: 所属 13 件、職員 40 名を読み込みました。" in demo
    assert "須賀川市: 所属 12 件、職員 40 名を読み込みました。" in demo
    assert "デモデータの準備ができました。" in demo


@pytest.mark.parametrize("code", ["282065", "072079"])
def test_this_years_cycle_is_under_way(demo, code):
    """Everyone the guideline binds is assigned (須賀川市's guideline binds its 職員, not its six
    contractors and 指定管理者: decision 0019); 4 in 10 of the staff outside the README's log-ins
    have completed through the real quiz services (in 須賀川市 one of them is a 指定管理者, outside
    the guideline), 3 in 10 are part-way; the README's log-ins start from nothing."""
    municipality = Municipality.objects.get(code=code)
    cycle = TrainingCycle.objects.get(municipality=municipality, fiscal_year=current_fiscal_year())
    assignments = Assignment.objects.filter(cycle=cycle)
    active = StaffMember.objects.filter(municipality=municipality, is_active=True)
    outside = active.filter(employment_type__in=["contractor", "designated_manager"]) if code == "072079" else []
    assert len(outside) == {"282065": 0, "072079": 6}[code]
    assert assignments.count() == active.count() - len(outside)
    assert not assignments.filter(staff__in=outside).exists()
    completed = {"282065": 16, "072079": 15}[code]
    assert assignments.completed().count() == completed
    assert CompletionRecord.objects.filter(staff__municipality=municipality, cycle=cycle).count() == completed
    # 1 in 10 passed every chapter without attesting: 誓約待ち (decision 0030).
    awaiting = assignments.filter(completion__isnull=True, chapters_passed_at__isnull=False)
    assert awaiting.exists()
    statuses = set(assignments.with_status(timezone.localdate()).values_list("status", flat=True))
    assert Assignment.Status.AWAITING_ATTESTATION in statuses
    for number in {"282065": ("000103", "000106"), "072079": ("004003", "004006")}[code]:
        staff = StaffMember.objects.get(municipality=municipality, staff_number=number)
        assert not QuizAttempt.objects.filter(staff=staff).exists()


def test_running_it_again_loads_nothing_twice(demo):
    before = _counts()
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert _counts() == before
    assert "芦屋市: 既に読み込み済みです。" in out.getvalue()
    assert before["StaffMember"] == 80 and before["Municipality"] == 2


@pytest.mark.parametrize("code", ["282065", "072079"])
def test_every_employment_type_and_role_is_present(demo, code):
    staff = StaffMember.objects.filter(municipality__code=code)
    assert set(staff.values_list("employment_type", flat=True)) == set(StaffMember.EmploymentType.values)
    assert set(staff.values_list("role", flat=True)) == set(StaffMember.Role.values)
    assert Department.objects.filter(municipality__code=code, depth=3).exists()


def test_both_guidelines_are_live_with_their_chapters(demo):
    guidelines = GuidelinePage.objects.live()
    assert {g.municipality.name for g in guidelines} == {"芦屋市", "須賀川市"}
    for guideline in guidelines:
        chapters = ChapterPage.objects.child_of(guideline)
        assert chapters.count() == chapters.live().count() == {"芦屋市": 9, "須賀川市": 5}[guideline.municipality.name]
        assert WorkflowPage.objects.get(page=guideline).workflow.active


def test_editors_and_approvers_are_in_their_municipalitys_groups(demo):
    assert User.objects.get(email="editor@ashiya.example.jp").groups.get().name == "芦屋市 編集者"
    assert User.objects.get(email="approver@sukagawa.example.jp").groups.get().name == "須賀川市 承認者"


@pytest.mark.parametrize(
    ("credentials", "greeting"),
    [
        ({"login": "employee@ashiya.example.jp"}, "芦屋市職員ソーシャルメディア利用ガイドライン"),
        ({"municipality": "072079", "login": "004006"}, "市職員のソーシャルメディアの利用に関するガイドライン"),
    ],
)
def test_the_demo_log_ins_of_the_readme_work(client, demo, credentials, greeting):
    response = client.post("/accounts/login/", {**credentials, "password": DEMO_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == "/mypage/"
    assert greeting in visible_text(response.content.decode())


def test_the_platform_admin_can_open_the_admin(client, demo):
    from allauth.mfa.models import Authenticator

    from tests.helpers import totp_code

    response = client.post(
        "/accounts/login/", {"login": "admin@example.jp", "password": DEMO_PASSWORD, "next": "/admin/"}, follow=True
    )
    # A platform admin sets up a second factor before the admin (decision 0025).
    assert response.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(response.context["form"].secret)})
    # (This test's transaction never commits, so allauth's on-commit signal that marks the session
    # does not run: the admin passes the second factor once more, with a recovery code.)
    codes = Authenticator.objects.get(user__email="admin@example.jp", type="recovery_codes").wrap()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/reauthenticate/")
    response = client.post(response.redirect_chain[-1][0], {"code": codes.get_unused_codes()[0]}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200


def test_the_demo_has_an_amendment_with_its_comparison(demo):
    from courses import versions

    guideline = GuidelinePage.objects.get(slug="ashiya-sns-guideline")
    first, second = guideline.versions.order_by("number")
    chapters = versions.compare(first, second)
    rows = {row.key: row for chapter in chapters for row in chapter.rows}
    assert set(rows) == {"2", "8-6"}
    assert 'Instagram<mark class="diff diff--new">、LINE</mark>、YouTube' in rows["2"].new_html
    assert second.classifications == {"2": "substantive", "8-6": "substantive"}
    # The seed text stays the first version, verbatim.
    seed = json.loads((settings.BASE_DIR / "fixtures" / "guidelines" / "ashiya.json").read_text(encoding="utf-8"))
    assert [c for c in first.clauses if c["key"] == "2"][0]["body"] == seed["chapters"][1]["clauses"][0]["body"]
    assert GuidelinePage.objects.get(slug="sukagawa-sns-guideline").versions.count() == 1


def test_the_demo_cities_are_onboarded_as_a_new_one_would_be(demo):
    """load_demo makes each city through sns_training.services.municipality_onboard (decision 0038)."""
    from wagtail.models import ModelLogEntry, WorkflowPage

    from identity.models import LoginPolicy

    assert "芦屋市: 自治体を追加しました。" in demo and "須賀川市: 自治体を追加しました。" in demo
    onboarded = ModelLogEntry.objects.filter(action="sns_training.municipality_onboarded")
    assert onboarded.count() == 2
    for municipality in Municipality.objects.all():
        assert LoginPolicy.objects.filter(municipality=municipality).exists()
        guideline = GuidelinePage.objects.get(municipality=municipality)
        assert WorkflowPage.objects.get(page=guideline).workflow.name == f"{municipality.name} ガイドライン承認フロー"


def test_the_staff_who_completed_the_first_version_have_their_review(demo):
    """The README's 山田 花子 (001100) completed 第1版: she has a 改正点の確認 of 第2版 on the amended
    clauses, with a question marked as covering the new text; the completion record stays."""
    from quizzes.models import CompletionRecord, ScenarioQuestion
    from training.models import RevisionReview

    guideline = GuidelinePage.objects.get(slug="ashiya-sns-guideline")
    second = guideline.versions.get(number=2)
    reviews = RevisionReview.objects.filter(version=second)
    completed = CompletionRecord.objects.filter(guideline=guideline)
    assert reviews.count() == completed.count() > 0
    assert set(completed.values_list("guideline_version", flat=True)) == {"第1版"}
    yamada = reviews.get(staff__staff_number="001100")
    assert set(yamada.clause_keys) <= {"2", "8-6"} and "2" in yamada.clause_keys
    assert ScenarioQuestion.objects.live().filter(guideline=guideline, clause_key="2", covers_revision=True).exists()
