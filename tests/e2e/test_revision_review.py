"""改正点の確認 in the browser (issue 14, decision 0037): an employee who completed 第N版 of 芦屋市's
guideline finds the review on their page after a substantive amendment, reads the changed clause in
the 新旧対照表, answers only its question, attests, and sees 確認済み. Axe on the review page."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from .helpers import axe_violations, log_in


def _completed(account) -> None:
    """The employee completed the current version in this 年度's cycle (set up as the quiz and
    attestation services would leave it; the quiz itself is other tests' concern)."""
    from django.utils import timezone

    from courses import versions
    from courses.models import ChapterPage, GuidelinePage
    from people.models import StaffMember
    from quizzes import services as quiz_services
    from quizzes.models import ClauseProgress
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.services import cycle_open

    guideline = GuidelinePage.objects.get(slug=account.guideline["slug"])
    staff = StaffMember.objects.get(municipality=guideline.municipality, staff_number=account.staff_number)
    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    cycle_open(
        guideline=guideline,
        fiscal_year=year,
        opens_on=start,
        due_on=max(start, today - datetime.timedelta(days=1)),
        closes_on=end,
    )
    keys = {key for chapter in ChapterPage.objects.child_of(guideline).live() for key in chapter.clause_keys()}
    ClauseProgress.objects.bulk_create(
        [ClauseProgress(staff=staff, guideline=guideline, clause_key=k, state="mastered") for k in keys]
    )
    quiz_services.attestation_create(
        staff=staff, guideline=guideline, version_shown=str(versions.current(guideline).number), agreed=True
    )


def _amend(slug: str, *, substantive: bool) -> str:
    """An editor changes the definition (clause of chapter 2), marks it 実質 or not, and publishes;
    returns the changed clause key. One live question on it is marked as covering the new text."""
    from courses.models import ChapterPage, GuidelinePage
    from quizzes.models import ScenarioQuestion

    guideline = GuidelinePage.objects.get(slug=slug)
    chapter = ChapterPage.objects.child_of(guideline).get(key="2").get_latest_revision_as_object()
    raw = chapter.body.raw_data
    raw[0]["value"]["body"] = raw[0]["value"]["body"].replace("Instagram、", "Instagram、LINE、")
    key = raw[0]["value"]["key"]
    chapter.body = raw
    chapter.substantive_changes = [key] if substantive else []
    question = ScenarioQuestion.objects.live().filter(guideline=guideline, clause_key=key).order_by("pk").first()
    ScenarioQuestion.objects.filter(pk=question.pk).update(covers_revision=True)
    chapter.save_revision().publish()
    return key


def test_a_completed_employee_confirms_the_changed_clause(page, questions, axe_js, shots_dir):
    from quizzes.models import Choice, RevisionAttestation, ScenarioQuestion

    account = questions["ashiya"]
    _completed(account)
    key = _amend(account.guideline["slug"], substantive=True)
    log_in(page, account)

    page.goto("/mypage/")
    reviews = page.locator("#revision-reviews")
    expect(reviews).to_contain_text("改正点未確認")
    reviews.get_by_role("link").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("改正点の確認")
    table = page.get_by_role("table")
    expect(table.locator("mark.diff--new")).to_have_text("、LINE")
    # Only the changed clause's question is asked.
    expect(page.locator("fieldset.question")).to_have_count(1)
    found = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "revision-review.png"), full_page=True)

    question = ScenarioQuestion.objects.get(covers_revision=True, clause_key=key)
    right = Choice.objects.filter(question=question, is_correct=True).values_list("pk", flat=True)
    for pk in right:
        page.locator(f"#choice-{question.pk}-{pk}").check()
    page.locator("#agree").check()
    page.get_by_role("button", name="回答して新しい版に誓約する").click()

    expect(page.locator(".revision-review__status")).to_have_text("確認済み")
    assert found == [], found
    attestation = RevisionAttestation.objects.get()
    assert attestation.clause_keys == [key]
    page.goto("/mypage/")
    expect(page.locator("#revision-reviews")).to_contain_text("確認済み")


def test_a_minor_change_gives_nobody_a_review(page, questions):
    from training.models import RevisionReview

    account = questions["ashiya"]
    _completed(account)
    _amend(account.guideline["slug"], substantive=False)
    log_in(page, account)

    page.goto("/mypage/")
    expect(page.locator("#revision-reviews")).to_have_count(0)
    expect(page.get_by_text("今年度の研修を修了しました。")).to_be_visible()
    assert not RevisionReview.objects.exists()
