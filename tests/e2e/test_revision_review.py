"""改正点の確認 in the browser (issue 14, decision 0037): an employee who completed 第N版 of 芦屋市's
guideline finds the review on their page after a substantive amendment, reads the changed clause in
the 新旧対照表, answers only its question, attests, and sees 確認済み. Axe on the review page."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from sns_training.dates import date_display

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


def _editor_and_approver(accounts):
    """An editor and an approver of 芦屋市 (the groups and workflow of its guideline), each logging
    in by e-mail with an authenticator app."""
    from courses.models import GuidelinePage
    from courses.services import editorial_setup
    from people.models import Department, StaffMember

    from .conftest import staff_account

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    editors, approvers = editorial_setup(guideline=guideline)
    department = Department.objects.get(municipality=guideline.municipality, code="3100")
    result = []
    for number, name, email, group in (
        ("000777", "編集 花子", "editor@ashiya.example.jp", editors),
        ("000778", "承認 次郎", "approver@ashiya.example.jp", approvers),
    ):
        result.append(
            staff_account(accounts, department=department, staff_number=number, name=name, email=email, role="employee")
        )
        StaffMember.objects.get(staff_number=number, municipality=guideline.municipality).user.groups.add(group)
    return result


def _more_actions(page) -> None:
    """Open the edit form's footer menu (Wagtail's 「その他のアクション」 beside the main button)."""
    page.locator("footer .w-dropdown-button .w-dropdown__toggle").first.click()


def test_the_whole_loop_from_the_editor_to_hrs_export(page, questions, axe_js, shots_dir):
    """Editor changes the definition in the admin and marks it 実質 → submits to the approval
    workflow → the approver opens the 新旧対照表 of the draft and approves → the employee who had
    completed confirms the change → HR sees 確認済み in the staff report and exports it."""
    import io
    import re

    import openpyxl

    from courses.models import ChapterPage, GuidelinePage
    from quizzes.models import Choice, ScenarioQuestion

    from .conftest import hr_account

    account = questions["ashiya"]
    _completed(account)
    editor, approver = _editor_and_approver(questions)
    hr = hr_account(questions)
    guideline = GuidelinePage.objects.get(slug=account.guideline["slug"])
    chapter = ChapterPage.objects.child_of(guideline).get(key="2")
    first = chapter.body[0].value
    key, old_body = first["key"], first["body"]
    # Editors mark which questions ask about the new text (a question snippet's own field).
    question = ScenarioQuestion.objects.live().filter(guideline=guideline, clause_key=key).order_by("pk").first()
    ScenarioQuestion.objects.filter(pk=question.pk).update(covers_revision=True)

    # The editor changes the clause, marks it 実質 and submits it to the approval workflow.
    log_in(page, editor)
    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    body = page.locator('textarea[name="body-0-value-body"]')
    expect(body).to_have_value(old_body)
    body.fill(old_body.replace("Instagram、", "Instagram、LINE、"))
    page.locator(f'input[name="substantive_changes"][value="{key}"]').check()
    _more_actions(page)
    page.locator('button[name="action-submit"]').click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/(edit/)?$"))
    chapter.refresh_from_db()
    assert chapter.current_workflow_state is not None
    page.context.clear_cookies()

    # The approver opens the draft's 新旧対照表 (改正後 | 改正前, 実質) and approves.
    log_in(page, approver)
    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    comparison = page.get_by_role("link", name="新旧対照表")
    if not comparison.is_visible():  # the header's buttons sit in its 「その他のアクション」 menu
        page.locator("header .w-dropdown__toggle, .w-slim-header .w-dropdown__toggle").first.click()
    comparison.click()
    table = page.get_by_role("table")
    expect(table.locator("mark.diff--new")).to_have_text("、LINE")
    expect(table).to_contain_text("実質")
    found = {"admin-comparison": axe_violations(page, axe_js)}
    page.screenshot(path=str(shots_dir / "revision-loop-approver.png"), full_page=True)
    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    # 承認 is the approver's main button; it confirms in a dialog with a comment (decision 0046).
    page.locator("footer button[data-workflow-action-name='approve']").click()
    dialog = page.locator(".modal-dialog, [role='dialog']:visible").first
    expect(dialog).to_be_visible()
    dialog.locator("button[type='submit'], input[type='submit']").first.click()
    page.wait_for_url(re.compile(r"/admin/"))
    expect(page.locator(".messages")).to_contain_text("承認しました")
    page.context.clear_cookies()

    # The employee: 改正点の確認 on my page, the changed clause, its one question, the attestation.
    log_in(page, account)
    reviews = page.locator("#revision-reviews")
    expect(reviews).to_contain_text("改正点未確認")
    reviews.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("改正点の確認")
    expect(page.get_by_role("table").locator("mark.diff--new")).to_have_text("、LINE")
    expect(page.locator("fieldset.question")).to_have_count(1)
    for pk in Choice.objects.filter(question=question, is_correct=True).values_list("pk", flat=True):
        page.locator(f"#choice-{question.pk}-{pk}").check()
    page.locator("#agree").check()
    page.get_by_role("button", name="回答して新しい版に誓約する").click()
    expect(page.locator(".revision-review__status")).to_have_text("確認済み")
    page.context.clear_cookies()

    # HR: the staff report shows 確認済み; the XLSX carries it.
    log_in(page, hr)
    page.goto("/admin/hr-reports/staff/")
    row = page.locator("#listing-results").get_by_role("row").filter(has_text=account.name)
    expect(row).to_contain_text("確認済み")
    found["staff-report"] = axe_violations(page, axe_js)
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSXでダウンロード").click()
    book = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()))
    header, *rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    mine = next(r for r in rows if r[header.index("職員番号")] == account.staff_number)
    assert any("確認済み" in str(cell) for cell in mine), (header, mine)
    assert found == {"admin-comparison": [], "staff-report": []}, found


def test_the_refusals_show_their_message_in_the_admin_and_save_nothing(page, questions, axe_js, shots_dir):
    """Each refused edit of a published chapter, as the editor makes it in the page editor: the
    Japanese message on the form, no revision saved, the live text unchanged."""
    import datetime

    from django.utils import timezone
    from wagtail.models import Revision

    from courses import versions
    from courses.models import ChapterPage, ClauseKey, GuidelinePage, GuidelineVersion
    from tests.factories import clause

    account = questions["ashiya"]
    editor, _approver = _editor_and_approver(questions)
    guideline = GuidelinePage.objects.get(slug=account.guideline["slug"])
    chapter = ChapterPage.objects.child_of(guideline).get(key="2")
    key = chapter.body[0].value["key"]
    # A clause removed in an earlier version: its key is retired for good.
    ClauseKey.objects.create(
        guideline=guideline, key="2-99", first_published_at=timezone.now(), retired_at=timezone.now()
    )
    latest = versions.current(guideline)
    revisions = Revision.page_revisions.filter(object_id=str(chapter.pk)).count()
    live_clauses = list(chapter.clauses())
    edit_url = f"/admin/pages/{chapter.pk}/edit/"
    log_in(page, editor)

    def save_draft_and_expect(message: str) -> None:
        page.locator("footer button[name='action-submit']").first.click()  # the editor's main button
        expect(page.locator("main")).to_contain_text(message)

    # Keys are the system's (issue 16): the editor sees no key field to retype ...
    page.goto(edit_url)
    key_field = page.locator('input[name="body-0-value-key"]')
    expect(key_field).to_be_hidden()
    # ... and a form posted with one retyped anyway (9-6 → 9-60 was the example) is refused.
    key_field.evaluate("(input, value) => { input.value = value; }", f"{key}0")
    save_draft_and_expect(f"公開済みの条項キー「{key}」は変更できません")
    found = {"refused": axe_violations(page, axe_js)}
    page.screenshot(path=str(shots_dir / "revision-refused-key.png"), full_page=True)

    # A retired key given to a clause of a new chapter (a draft never published).
    new = ChapterPage(
        title="第99章（新設）",
        slug="chapter-99",
        key="99",
        number="99",
        live=False,
        body=[clause("99-1", "(1)", "新設の条項。")],
    )
    guideline.add_child(instance=new)
    new.save_revision()
    page.goto(f"/admin/pages/{new.pk}/edit/")
    page.locator('input[name="body-0-value-key"]').evaluate("(input) => { input.value = '2-99'; }")
    save_draft_and_expect("条項キー 2-99 は廃止された条項のキーです。別の条項に使うことはできません。")

    # A clause removed while live questions cite it (their retirement not ticked), in a chapter
    # of several clauses (a chapter cannot be left without any).
    several = ChapterPage.objects.child_of(guideline).get(key="5")
    several_revisions = Revision.page_revisions.filter(object_id=str(several.pk)).count()
    cited_key = several.body[0].value["key"]
    page.goto(f"/admin/pages/{several.pk}/edit/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator('[data-streamfield-action="DELETE"]').first.click()
    assert asked and "設問" in asked[0]  # the confirmation names the questions that cite it
    save_draft_and_expect(f"削除しようとしている条項 {cited_key}")
    expect(page.locator("main")).to_contain_text("を出題中の設問が引用しています")

    # A 施行日 in the past.
    page.goto(edit_url)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.locator('input[name="revision_effective_date"]').fill(yesterday.isoformat())
    save_draft_and_expect("施行日に過去の日付は指定できません。")

    # A 施行日 before the previous version's.
    later = timezone.localdate() + datetime.timedelta(days=20)
    GuidelineVersion.objects.filter(pk=latest.pk).update(effective_date=later)
    page.goto(edit_url)
    page.locator('input[name="revision_effective_date"]').fill((later - datetime.timedelta(days=1)).isoformat())
    save_draft_and_expect(f"施行日は前の版（{latest.label}、施行日 {date_display(later)}）より前にできません。")

    assert Revision.page_revisions.filter(object_id=str(chapter.pk)).count() == revisions
    assert Revision.page_revisions.filter(object_id=str(several.pk)).count() == several_revisions
    assert list(ChapterPage.objects.get(pk=chapter.pk).clauses()) == live_clauses
    assert not ClauseKey.objects.filter(guideline=guideline, key=f"{key}0").exists()
    assert Revision.page_revisions.filter(object_id=str(new.pk)).count() == 1
    assert GuidelineVersion.objects.filter(guideline=guideline).count() == 1
    assert found == {"refused": []}, found
