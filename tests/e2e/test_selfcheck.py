"""投稿前セルフチェック in the browser: an employee of 芦屋市 pastes a draft from my page, sees the
passages highlighted with the clauses of their own guideline, follows a clause link to the lesson's
anchor; on a 360 px phone the page does not scroll sideways; axe finds nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import axe_violations, horizontal_overflow, log_in

DRAFT = "窓口に来た小松原茂さん、生活保護の相談で大変そうだった。\nまだ言えないけど、某課で大きな話が進んでいます。<b>太字</b>"


def test_paste_a_draft_see_the_highlights_and_follow_the_clause(page, accounts, axe_js):
    from selfcheck import nlp

    # The live server runs in this process: load GiNZA here first, as a gunicorn worker would have
    # by its second request, so the first check is not also the model's load (seconds on a busy CI).
    nlp.warm()
    account = accounts["ashiya"]
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, account)
    page.get_by_role("link", name="投稿前セルフチェックを開く").click()
    expect(page.get_by_role("heading", level=1, name="投稿前セルフチェック")).to_be_visible()
    assert not axe_violations(page, axe_js)

    page.get_by_label("投稿の下書き").fill(DRAFT)
    page.get_by_label("個人のアカウント（プライベート）").check()
    page.get_by_label("サービス").select_option("X")
    page.get_by_label("投稿する予定の日時（任意）").fill("20:30")
    with page.expect_navigation(timeout=120_000):
        page.get_by_role("button", name="チェックする").click()

    result = page.locator("#result")
    expect(result.get_by_role("heading", name="チェックの結果")).to_be_visible()
    draft = page.get_by_test_id("highlighted-draft")
    expect(draft.locator("mark").filter(has_text="小松原茂さん")).to_have_count(1)
    expect(draft.locator("mark").filter(has_text="まだ言えない")).to_have_count(1)
    expect(draft).to_contain_text("<b>太字</b>")  # the markup is shown as text, not rendered
    expect(draft.locator("b")).to_have_count(0)
    personal = page.locator('[data-rule="personal_info"]')
    expect(personal).to_contain_text("個人情報")
    expect(personal).to_contain_text("秘密情報等の発信禁止")
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["viewport"], overflow
    assert not axe_violations(page, axe_js)

    personal.locator("a[data-clause='9-1']").click()
    page.wait_for_url("**#clause-9-1")
    expect(page.locator("#clause-9-1:target")).to_be_visible()
    expect(page.locator("#clause-9-1")).to_contain_text("職務上知り得た個人情報")
