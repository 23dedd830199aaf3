"""An editor of 芦屋市 opens a lesson in the Wagtail page editor: once the admin's scripts have
drawn it (sidebar, side panels, the StreamField, the footer's status), every visible string is
checked against the translation catalogs (none may be an admin msgid without Japanese, none may be
English outside them); the status badge reads モデレーション中, typing raises the Japanese
"unsaved changes" prompt, the tab names the site, and axe-core finds nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.sns_training.admin_catalog import english_left, untranslated_on

from .conftest import staff_account
from .helpers import axe_violations, log_in

SITE_NAME = "SNSガイドライン研修"


def _shown_markup(page) -> str:
    """The page as shown: elements the browser does not render (closed pop-ups, such as the date
    picker's button that Wagtail never displays) are marked hidden, so the check skips them."""
    page.evaluate(
        """() => document.body.querySelectorAll('*').forEach((el) => {
          if (!el.checkVisibility({visibilityProperty: true}) && !el.closest('script, template')) {
            el.setAttribute('hidden', '');
          }
        })"""
    )
    return page.content()


def _editor_with_a_change_in_moderation(accounts):
    """An editor of 芦屋市 and the chapter they have sent for approval (as the edit form's
    "submit" does: a new revision, then the workflow started on it)."""
    from courses.models import ChapterPage, GuidelinePage
    from courses.services import editorial_setup
    from people.models import Department

    guideline = GuidelinePage.objects.get(municipality__code=accounts["ashiya"].code)
    editors, _approvers = editorial_setup(guideline=guideline)
    department = Department.objects.get(municipality=guideline.municipality, code="3100")
    account = staff_account(
        accounts,
        department=department,
        staff_number="000777",
        name="編集 花子",
        email="editor@ashiya.example.jp",
        role="employee",
    )
    from people.models import StaffMember

    user = StaffMember.objects.get(staff_number="000777", municipality=guideline.municipality).user
    user.groups.add(editors)
    chapter, other = [p.specific for p in ChapterPage.objects.child_of(guideline).live()[:2]]
    chapter.save_revision(user=user)
    chapter.get_workflow().start(chapter, user)
    return account, chapter, other


def test_the_page_editor_is_japanese_for_an_editor(page, accounts, axe_js, shots_dir, settings):
    account, chapter, other = _editor_with_a_change_in_moderation(accounts)
    log_in(page, account)

    page.goto(f"/admin/pages/{chapter.pk}/edit/")
    expect(page.locator("#w-editor-form, form[data-edit-form], #page-edit-form").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert SITE_NAME in page.title() and "Wagtail" not in page.title()
    # Wagtail's status badge, in the status side panel the header's toggle opens.
    page.get_by_role("button", name="ステータスの切り替え").click()
    expect(page.get_by_text("モデレーション中").filter(visible=True).first).to_be_visible()
    # The sidebar's logo names the site.
    expect(page.get_by_role("img", name=SITE_NAME)).to_be_attached()

    markup = _shown_markup(page)
    found = untranslated_on(markup) | english_left(markup)
    assert not found, sorted(found)

    # In another lesson (live, not in moderation, so the editor may type), typing raises Wagtail's
    # unsaved-changes prompt, in Japanese. (Wagtail 8 autosaves edits every half second by default;
    # the prompt is what editors see where autosave is off or paused.)
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    page.goto(f"/admin/pages/{other.pk}/edit/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("公開", exact=True).filter(visible=True).first).to_be_visible()
    page.wait_for_timeout(11_000)  # Wagtail starts watching for edits 10 s after the editor loads
    page.locator("#id_title").press("End")
    page.locator("#id_title").press_sequentially("（改訂）")
    page.locator("#id_title").blur()
    expect(page.get_by_text("保存していない編集があります")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("移動する前に変更を保存してください")).to_be_visible()
    page.screenshot(path=str(shots_dir / "admin-editor-japanese.png"), full_page=True)

    assert axe_violations(page, axe_js) == []
    markup = _shown_markup(page)
    found = untranslated_on(markup) | english_left(markup)
    assert not found, sorted(found)
