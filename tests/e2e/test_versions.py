"""An employee reads what changed in their guideline: 改正履歴 → 新旧対照表 (issue 14)."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import axe_violations, log_in


def _amend_definition(slug: str) -> None:
    """An editor's amendment of the definition chapter, published (the system makes 第2版)."""
    from courses.models import ChapterPage, GuidelinePage

    guideline = GuidelinePage.objects.get(slug=slug)
    chapter = ChapterPage.objects.child_of(guideline).get(key="2").get_latest_revision_as_object()
    raw = chapter.body.raw_data
    raw[0]["value"]["body"] = raw[0]["value"]["body"].replace("Instagram、", "Instagram、LINE、")
    chapter.body = raw
    chapter.substantive_changes = [raw[0]["value"]["key"]]
    chapter.save_revision().publish()


def test_an_employee_reads_the_comparison_of_two_versions(page, accounts, axe_js, shots_dir):
    account = accounts["ashiya"]
    _amend_definition(account.guideline["slug"])
    log_in(page, account)

    page.goto(account.guideline_url)
    page.get_by_role("link", name="改正履歴・新旧対照表").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("改正履歴")
    found = {"versions": axe_violations(page, axe_js)}
    page.get_by_role("link", name="第1版との対照表").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("新旧対照表")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="改正後")).to_be_visible()
    expect(table.get_by_role("columnheader", name="改正前")).to_be_visible()
    expect(table.locator("mark.diff--new")).to_have_text("、LINE")
    expect(table).to_contain_text("実質")
    found["comparison"] = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "guideline-comparison.png"), full_page=True)
    assert found == {"versions": [], "comparison": []}, found

    with page.expect_download() as info:
        page.get_by_role("link", name="PDFでダウンロード").click()
    assert info.value.suggested_filename.endswith(".pdf")
