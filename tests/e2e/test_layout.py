"""The pages on a 360 px phone, at 200 % zoom and on a desktop: no sideways scrolling, Japanese
drawn in a Japanese font, and a screenshot of each page in E2E_SHOTS_DIR (/tmp/e2e-shots)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import axe_violations, horizontal_overflow, log_in, rendered_fonts

# 200 % zoom of a 1280 x 800 window lays out like a 640 x 400 CSS-pixel viewport at scale 2.
VIEWPORTS = {
    "phone-360": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1},
    "zoom-200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}
# A chapter with lettered sub-clauses (ア, イ, …) in each guideline.
CHAPTER_WITH_ITEMS = {"ashiya": "6", "sukagawa": "4"}
CJK_FONT_HINTS = ("CJK", "Noto Sans JP", "Hiragino", "Yu Gothic", "Meiryo")


def _check(page, name: str, width: int, shots_dir) -> None:
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_visible()
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= width, f"{name}: scrolls sideways at {width}px: {overflow}"
    box = heading.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{name}: heading off screen: {box}"
    fonts = rendered_fonts(page, "h1")
    assert any(hint in font for font in fonts for hint in CJK_FONT_HINTS), (
        f"{name}: h1 not drawn in a Japanese font (install fonts-noto-cjk): {fonts}"
    )
    page.screenshot(path=str(shots_dir / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("city, by", [("ashiya", "email"), ("sukagawa", "staff_number")])
def test_pages_fit_the_screen(new_context, accounts, shots_dir, city, by, viewport):
    options = VIEWPORTS[viewport]
    width = options["viewport"]["width"]
    page = new_context(**options).new_page()
    account = accounts[city]

    page.goto("/accounts/login/")
    _check(page, f"{city}-{viewport}-1-login", width, shots_dir)

    log_in(page, account, by=by)
    _check(page, f"{city}-{viewport}-2-mypage", width, shots_dir)
    # The next step is one button, and on a phone it fits the screen too.
    next_step = page.get_by_role("link", name=re.compile("^次へ："))
    expect(next_step).to_be_visible()
    box = next_step.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"next-step button off screen: {box}"

    page.goto(account.guideline_url)
    _check(page, f"{city}-{viewport}-3-course", width, shots_dir)

    key = CHAPTER_WITH_ITEMS[city]
    page.goto(account.chapter_url(key))
    _check(page, f"{city}-{viewport}-4-chapter", width, shots_dir)
    items = page.locator(".sub-clause")
    expect(items.first).to_be_visible()
    for index in range(items.count()):
        box = items.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"sub-clause {index} off screen: {box}"


def test_account_pages_fit_a_phone_and_pass_axe(new_context, accounts, shots_dir, axe_js):
    """Password change (linked from my page), second factor, sessions and log-out: the site's
    styles at 360 px, like every page staff read."""
    options = VIEWPORTS["phone-360"]
    page = new_context(**options).new_page()
    log_in(page, accounts["ashiya"])
    found = {}
    for step, link in enumerate(
        ("パスワードの変更", "二要素認証（認証アプリ・パスキー・リカバリーコード）", "ログイン中のセッション")
    ):
        page.goto("/mypage/")
        page.get_by_role("link", name=link).click()
        _check(page, f"account-{step}", 360, shots_dir)
        found[link] = axe_violations(page, axe_js)
    page.goto("/accounts/logout/")
    _check(page, "account-logout", 360, shots_dir)
    found["logout"] = axe_violations(page, axe_js)
    assert found == {key: [] for key in found}, found
