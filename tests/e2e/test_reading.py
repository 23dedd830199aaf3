"""An employee of each city logs in through the real form and reads a chapter of their guideline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import log_in


def _read_chapter_three(page, account, other):
    # My page lists this city's course only, never the other city's.
    expect(page.get_by_role("heading", level=1, name="マイページ")).to_be_visible()
    expect(page.locator(".greeting")).to_contain_text(account.name)
    # The log-in message names the person, not the internal "<団体コード>-<職員番号>" username.
    expect(page.get_by_role("status")).to_contain_text(account.name)
    expect(page.get_by_role("status")).not_to_contain_text(f"{account.code}-{account.staff_number}")
    expect(page.get_by_role("link", name=account.guideline["title"])).to_be_visible()
    expect(page.get_by_role("link", name=other.guideline["title"])).to_have_count(0)

    # Into the course: its table of contents.
    page.get_by_role("link", name=account.guideline["title"]).click()
    page.wait_for_url(f"**{account.guideline_url}")
    expect(page.get_by_role("heading", level=1)).to_have_text(account.guideline["title"])
    toc = page.get_by_role("navigation", name="目次")
    chapter = account.chapter("3")
    toc.get_by_role("link", name=f"{chapter['number']} {chapter['title']}").click()

    # Chapter 3: the title, the first clause's heading and verbatim body, its anchor.
    page.wait_for_url(f"**{account.chapter_url('3')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{chapter['number']} {chapter['title']}")
    clause = chapter["clauses"][0]
    heading = f"{clause['number']} {clause['heading']}".strip()
    anchor = page.locator(f"#clause-{clause['key']}")
    expect(anchor).to_have_count(1)
    expect(anchor.get_by_role("heading", level=2)).to_have_text(heading)
    first_paragraph = clause["body"].splitlines()[0]
    expect(anchor.get_by_text(first_paragraph, exact=False)).to_be_visible()

    # A link to the clause's anchor lands on it.
    page.goto(f"{account.chapter_url('3')}#clause-{clause['key']}")
    expect(page.locator(f"#clause-{clause['key']}:target")).to_be_visible()

    # Next chapter, from the pager at the foot of the chapter.
    following = account.chapter("4")
    pager = page.get_by_role("navigation", name="章の移動")
    pager.get_by_role("link", name=re.compile(re.escape(following["title"]))).click()
    page.wait_for_url(f"**{account.chapter_url('4')}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{following['number']} {following['title']}")
    expect(
        page.get_by_role("navigation", name="章の移動").get_by_role("link", name=re.compile("前の章"))
    ).to_contain_text(chapter["title"])


def test_ashiya_employee_logs_in_by_email_and_reads_a_chapter(page, accounts):
    page.goto("/mypage/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/mypage/$"))

    log_in(page, accounts["ashiya"], by="email")

    _read_chapter_three(page, accounts["ashiya"], other=accounts["sukagawa"])


def test_sukagawa_employee_logs_in_by_staff_number_and_reads_a_chapter(page, accounts):
    log_in(page, accounts["sukagawa"], by="staff_number")

    _read_chapter_three(page, accounts["sukagawa"], other=accounts["ashiya"])
    expect(page).to_have_url(re.compile(re.escape(accounts["sukagawa"].chapter_url("4")) + "$"))


def test_other_citys_chapter_is_not_found(page, accounts):
    log_in(page, accounts["sukagawa"], by="staff_number")

    response = page.goto(f"{accounts['ashiya'].chapter_url('3')}")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("ページが見つかりません")


def test_wrong_password_shows_one_generic_message(page, accounts):
    account = accounts["ashiya"]
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(account.email)
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text("ログインできませんでした。入力内容をご確認ください。")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
