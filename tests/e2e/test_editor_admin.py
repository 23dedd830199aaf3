"""An editor of 芦屋市 in the page editor (issue 16): the chapter's clauses show no key to type,
removing a clause that a live question cites asks first and names the question (dismissed, the
clause stays; accepted, it goes), and the footer's main button is 「承認フローに提出」. axe-core
finds nothing on the editor."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import staff_account
from .helpers import axe_violations, log_in


def _editor_and_chapter(accounts):
    from courses.models import ChapterPage, GuidelinePage
    from courses.services import editorial_setup
    from people.models import Department, StaffMember
    from tests.factories import QuestionFactory

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    editors, _approvers = editorial_setup(guideline=guideline)
    department = Department.objects.get(municipality=guideline.municipality, code="3100")
    account = staff_account(
        accounts,
        department=department,
        staff_number="000778",
        name="編集 次郎",
        email="editor2@ashiya.example.jp",
        role="employee",
    )
    StaffMember.objects.get(staff_number="000778", municipality=guideline.municipality).user.groups.add(editors)
    chapter = ChapterPage.objects.child_of(guideline).live().get(key="5").specific
    cited = chapter.clause_keys()[1]
    QuestionFactory(
        guideline=guideline, clause_key=cited, external_id="ashiya-e2e-cites", prompt="引用している設問です。"
    )
    return account, chapter


def test_removing_a_cited_clause_asks_first_and_names_the_question(page, accounts, axe_js, settings):
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    account, chapter = _editor_and_chapter(accounts)
    log_in(page, account)

    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    page.wait_for_load_state("networkidle")
    clauses = page.locator("[data-contentpath='body'] [data-streamfield-child]:visible")
    expect(clauses.first).to_be_visible()
    count = clauses.count()
    # No key to type: the clause key fields are hidden, the chapter key is shown as text.
    assert page.locator("input[name$='-value-key']").first.is_hidden()
    expect(page.locator("input[name='key']")).to_have_count(0)
    # The footer's main button submits to the workflow; publishing is not offered.
    expect(page.locator("footer button[name='action-submit']").first).to_have_text("承認フローに提出")
    expect(page.locator("button[name='action-publish']")).to_have_count(0)
    assert axe_violations(page, axe_js) == []

    delete = clauses.nth(1).locator("button[data-streamfield-action='DELETE']").first
    messages: list[str] = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    delete.click()
    page.wait_for_timeout(500)
    assert messages and "ashiya-e2e-cites" in messages[0] and "引用" in messages[0], messages
    # The script's English msgid comes back Japanese from the admin's JavaScript catalog.
    assert messages[0].startswith("「") and messages[0].endswith("削除しますか？"), messages
    assert "「削除する条項を引用している設問を廃止する」" in messages[0], messages
    expect(clauses).to_have_count(count)

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    delete.click()
    expect(clauses).to_have_count(count - 1)


def _order_of(page, prefix: str) -> str:
    return page.locator(f"input[name='{prefix}-order']").input_value()


def test_moving_a_cited_clause_asks_first_and_names_the_question(page, accounts, settings):
    """The move buttons and the drag grip: dismissed, the clause keeps its place (the order field
    the form posts is unchanged); accepted, it moves."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    account, chapter = _editor_and_chapter(accounts)
    log_in(page, account)

    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    page.wait_for_load_state("networkidle")
    clauses = page.locator("[data-contentpath='body'] [data-streamfield-child]:visible")
    expect(clauses.first).to_be_visible()
    cited = clauses.nth(1)
    prefix = cited.locator("input[name$='-value-key']").first.get_attribute("name").removesuffix("-value-key")
    assert _order_of(page, prefix) == "1"
    messages: list[str] = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    # Moving the first (uncited) clause down swaps it with the cited one: asked too.
    page.once("dialog", dismiss)
    clauses.nth(0).locator("button[data-streamfield-action='MOVE_DOWN']").first.click()
    page.wait_for_timeout(300)
    assert len(messages) == 1 and "ashiya-e2e-cites" in messages[0] and "順序" in messages[0], messages
    assert messages[0].endswith("順序を変更しますか？"), messages
    assert _order_of(page, prefix) == "1"

    page.once("dialog", dismiss)
    cited.locator("button[data-streamfield-action='MOVE_DOWN']").first.click()
    page.wait_for_timeout(300)
    assert len(messages) == 2 and "ashiya-e2e-cites" in messages[1], messages
    assert _order_of(page, prefix) == "1"

    # Dragged by the grip below the next clause and dropped, then cancelled: moved back.
    page.once("dialog", dismiss)
    grip = cited.locator("[data-streamfield-action='DRAG']").first
    page.set_viewport_size({"width": 1280, "height": 3000})  # both places on screen for the drag
    page.evaluate("window.scrollTo(0, 0)")
    start = grip.bounding_box()
    target = clauses.nth(2).bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 5, start["y"] + 20, steps=5)
    page.mouse.move(start["x"] + 5, target["y"] + target["height"] * 0.75, steps=20)
    page.mouse.up()
    page.wait_for_timeout(800)
    assert len(messages) == 3 and "ashiya-e2e-cites" in messages[2], messages
    assert _order_of(page, prefix) == "1"

    # Moving two uncited clauses past each other asks nothing.
    clauses.nth(3).locator("button[data-streamfield-action='MOVE_DOWN']").first.click()
    page.wait_for_timeout(300)
    assert len(messages) == 3, messages

    page.once("dialog", accept)
    cited.locator("button[data-streamfield-action='MOVE_DOWN']").first.click()
    page.wait_for_timeout(300)
    assert len(messages) == 4, messages
    assert _order_of(page, prefix) == "2"
