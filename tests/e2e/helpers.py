"""Steps and measurements the browser tests share: log in, move by keyboard, run axe-core, measure
overflow and fonts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Account:
    """One employee as the log-in form sees them, with their guideline as the fixture has it."""

    code: str
    municipality: str
    staff_number: str
    email: str
    name: str
    department: str
    password: str
    guideline: dict

    @property
    def guideline_url(self) -> str:
        return f"/{self.guideline['slug']}/"

    def chapter(self, key: str) -> dict:
        return next(c for c in self.guideline["chapters"] if c["key"] == key)

    def chapter_url(self, key: str) -> str:
        return f"{self.guideline_url}chapter-{key}/"


def _user_of(account: Account):
    from people.models import StaffMember

    return (
        StaffMember.objects.select_related("user")
        .get(staff_number=account.staff_number, municipality__code=account.code)
        .user
    )


def second_factor_ensure(account: Account) -> str | None:
    """A privileged account (HR, editor, approver, platform admin) gets an authenticator app, as
    its owner would have set one up (decision 0025); its TOTP secret, or None for anyone else."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt

    from identity.mfa import requires_second_factor

    user = _user_of(account)
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    if not requires_second_factor(user):
        return None
    TOTP.activate(user, E2E_TOTP_SECRET)
    return E2E_TOTP_SECRET


E2E_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_USED_CODES: set[tuple[str, int]] = set()


def totp_code_fresh(secret: str) -> str:
    """The current TOTP code (RFC 6238, tests/helpers.totp_code), waiting for the next window when
    this one's code was already used: the site refuses a code twice."""
    import time

    from tests.helpers import totp_code

    counter = int(time.time() // 30)
    if (secret, counter) in _USED_CODES:
        time.sleep(30 - time.time() % 30 + 0.5)
        counter = int(time.time() // 30)
    _USED_CODES.add((secret, counter))
    return totp_code(secret, at=counter * 30)


def pass_second_factor(page, secret: str) -> None:
    """allauth's MFA step of the log-in: type the authenticator app's code."""
    page.locator('input[name="code"]').fill(totp_code_fresh(secret))
    page.locator('form[action="/accounts/2fa/authenticate/"] button[type="submit"]').first.click()


def log_in(page, account: Account, *, by: str = "email", second_factor: bool = True) -> None:
    """Fill in and submit the real log-in form (a privileged account passes its second factor);
    land on my page. By e-mail on the first page; by 職員番号: choose the 自治体, 次へ, then that
    municipality's 職員番号 form."""
    secret = second_factor_ensure(account) if second_factor else None
    page.goto("/accounts/login/")
    if by == "email":
        page.get_by_label("メールアドレス").fill(account.email)
        page.get_by_label("パスワード").fill(account.password)
        page.get_by_role("button", name="ログイン", exact=True).click()
    else:
        choose_municipality(page, account.code)
        form = page.locator("form", has=page.locator('input[name="method"][value="password"]'))
        form.get_by_label("職員番号").fill(account.staff_number)
        form.get_by_label("パスワード").fill(account.password)
        form.get_by_role("button", name="職員番号でログイン").click()
    if secret is not None:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        pass_second_factor(page, secret)
    page.wait_for_url("**/mypage/")


def choose_municipality(page, code: str) -> None:
    """The log-in page's first step: the 自治体, then 次へ (a plain GET form, no JavaScript)."""
    page.get_by_label("自治体", exact=True).select_option(code)
    page.get_by_role("button", name="次へ").click()
    page.wait_for_url(f"**/login/?*municipality={code}*")


def focused(page) -> str:
    """document.activeElement, described for messages: tag#id[name] "text"."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return 'body';
          const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
          return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? `[${el.name}]` : '')
            + (text ? ` "${text}"` : '');
        }"""
    )


def has_focus(locator) -> bool:
    """Whether document.activeElement is (one of) the element(s) the locator matches."""
    return locator.evaluate_all("(els) => els.includes(document.activeElement)")


def tab_to(page, locator, *, backwards: bool = False, limit: int = 120) -> int:
    """Press Tab (Shift+Tab when backwards) until the locator, or one of its elements (a radio
    group), has focus; how many presses it took. Fails after `limit` presses, naming where the
    focus went, so a focus trap or an unreachable control shows up as such."""
    key = "Shift+Tab" if backwards else "Tab"
    trail = []
    for presses in range(limit + 1):
        if has_focus(locator):
            return presses
        if presses < limit:
            page.keyboard.press(key)
            trail.append(focused(page))
    raise AssertionError(f"{locator} not reached in {limit} presses of {key}; focus went: {' > '.join(trail[-15:])}")


# WCAG 2.2 A/AA (which includes target-size, off by default in axe) and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def totp_activate(page, first_privileged_url: str) -> str:
    """A privileged person's first visit to `first_privileged_url`: sent to set up an authenticator
    app (decision 0025), they type its code and reach the recovery codes. Returns the secret."""
    import re

    page.goto(first_privileged_url)
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator('input[name="code"]').fill(totp_code_fresh(secret))
    page.locator('form[action="/accounts/2fa/totp/activate/"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    return secret


def decision_buttons(page):
    """The approver's 「承認」 and 「差し戻し」 in an editor's footer (page, question or self-check
    rule; courses/action_menu.py), checked to be visible main buttons without opening the dropdown."""
    from playwright.sync_api import expect

    footer = page.locator("footer")
    approve = footer.locator("button[data-workflow-action-name='approve']")
    reject = footer.locator("button[data-workflow-action-name='reject']")
    expect(approve).to_be_visible()
    expect(approve).to_have_text("承認")
    expect(reject).to_be_visible()
    expect(reject).to_have_text("差し戻し")
    return approve, reject


def axe_violations(page, axe_path: Path) -> list[dict]:
    """Run axe-core on the current page; each violation as {id, impact, help, targets}."""
    # Evaluated through DevTools, not added as an inline <script>, which the site's
    # Content-Security-Policy refuses (decision 0017); the page runs under its real policy.
    page.wait_for_load_state("load")  # a click that navigates: the new document, not an empty one
    # Colours are only final once CSS transitions end: Wagtail's messages and filter panel
    # fade in and out, and axe would read a half-faded label as low contrast.
    page.evaluate(
        """() => Promise.race([
          Promise.all(document.getAnimations()
            .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
            .map((a) => a.finished.catch(() => null))),
          new Promise((resolve) => setTimeout(resolve, 5000)),
        ])"""
    )
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Runtime.evaluate", {"expression": axe_path.read_text(encoding="utf-8")})
    finally:
        cdp.detach()
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
        }
        for v in result["violations"]
    ]


def horizontal_overflow(page) -> dict:
    """How far the document is wider than the viewport, and the widest offenders."""
    return page.evaluate(
        """() => {
          const vw = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > vw + 1)
            .slice(0, 5)
            .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
          return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, wide};
        }"""
    )


def rendered_fonts(page, selector: str) -> list[str]:
    """The platform fonts Chromium actually drew the element's text with (CDP)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return [f["familyName"] for f in fonts if f["glyphCount"]]
    finally:
        cdp.detach()
