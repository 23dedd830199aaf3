"""Quizzes in the browser: an ordinary 芦屋市 employee completes the course by keyboard alone (with
one failed chapter and its retake), axe-core on every quiz page, and the quiz page on a phone.

The right answers come from the database the live server writes to: for each AttemptItem of the
open attempt, the correct Choice ids; the input for a choice is #choice-<item pk>-<choice pk>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import expect

from .helpers import axe_violations, focused, has_focus, horizontal_overflow, log_in, tab_to
from .test_accessibility import _report

ATTEMPT_URL = re.compile(r"/quiz/attempt/(\d+)/$")
SUBMIT = "回答を送信して採点する"
RETAKE = "間違えた条項だけ再挑戦する"
# Chapter 1 keeps only its "all that apply" question, so every run ticks checkboxes (the draw is
# random: with all questions live, a run draws no checkbox question about one time in fifty).
SINGLE_ANSWER_ONLY_ELSEWHERE = ["ashiya-1-1", "ashiya-1-3"]


@dataclass(frozen=True)
class Item:
    """One question as drawn for an attempt: its choices in the order shown and the right ones."""

    pk: int
    position: int
    question: int
    clause_key: str
    multiple: bool
    shown: tuple[int, ...]
    correct: frozenset[int]

    def input_id(self, choice: int) -> str:
        return f"choice-{self.pk}-{choice}"

    def right(self) -> list[int]:
        return [c for c in self.shown if c in self.correct]

    def wrong(self) -> list[int]:
        """A wrong choice; for "all that apply", only one of the right ones."""
        if self.multiple:
            return self.right()[:1]
        return [next(c for c in self.shown if c not in self.correct)]


def _items(attempt_id: int) -> list[Item]:
    from quizzes.models import AttemptItem, ScenarioQuestion

    items = AttemptItem.objects.filter(attempt_id=attempt_id).select_related("question").order_by("position")
    return [
        Item(
            pk=item.pk,
            position=item.position,
            question=item.question_id,
            clause_key=item.clause_key,
            multiple=item.question.kind == ScenarioQuestion.Kind.MULTIPLE,
            shown=tuple(item.choice_order),
            correct=frozenset(item.question.choices.filter(is_correct=True).values_list("pk", flat=True)),
        )
        for item in items
    ]


def _attempt_id(page) -> int:
    expect(page).to_have_url(ATTEMPT_URL)
    return int(ATTEMPT_URL.search(page.url).group(1))


def _wrong_count_to_fail(clauses: int) -> int:
    """The fewest clauses missed that leave a chapter of `clauses` clauses below the pass mark."""
    from courses.models import GuidelinePage

    pass_mark = GuidelinePage.objects.get(slug="ashiya-sns-guideline").pass_mark
    return next(k for k in range(1, clauses + 1) if 100 * (clauses - k) < pass_mark * clauses)


# Keyboard steps. After log-in nothing is clicked or filled: Tab / Shift+Tab to move, Space to tick,
# arrow keys within a radio group, Enter to follow a link or press a button.


def _press_enter_on(page, locator, *, limit: int = 40) -> None:
    tab_to(page, locator, limit=limit)
    page.keyboard.press("Enter")


def _choose(page, item: Item, chosen: list[int]) -> None:
    """Answer one question from the keyboard: Space on each checkbox, or arrow keys in the radios."""
    if item.multiple:
        for choice in item.shown:  # the order the page shows them, which is the tab order
            if choice in chosen:
                box = page.locator(f"#{item.input_id(choice)}")
                tab_to(page, box, limit=15)
                page.keyboard.press("Space")
                expect(box).to_be_checked()
    else:
        group = page.locator(f'input[name="item-{item.pk}"]')
        tab_to(page, group, limit=15)  # a radio group is one tab stop
        current = item.shown.index(int(page.evaluate("document.activeElement.value")))
        target = item.shown.index(chosen[0])
        size = len(item.shown)
        down, up = (target - current) % size, (current - target) % size
        for _ in range(down if down <= up else up):  # each arrow moves to the next radio and picks it
            page.keyboard.press("ArrowDown" if down <= up else "ArrowUp")
        page.keyboard.press("Space")  # picks the focused radio (the first, when no arrow was needed)
        radio = page.locator(f"#{item.input_id(chosen[0])}")
        assert has_focus(radio), f"arrow keys left the focus on {focused(page)}"
        expect(radio).to_be_checked()
    for choice in item.shown:
        box = page.locator(f"#{item.input_id(choice)}")
        (expect(box).to_be_checked if choice in chosen else expect(box).not_to_be_checked)()


def _answer_and_submit(page, items: list[Item], wrong_keys=()) -> None:
    for item in items:
        _choose(page, item, item.wrong() if item.clause_key in wrong_keys else item.right())
    _press_enter_on(page, page.get_by_role("button", name=SUBMIT), limit=15)
    expect(page.get_by_role("heading", level=1)).to_contain_text("採点結果")


def _open_next_chapter_quiz(page, account, key: str) -> list[Item]:
    """From my page: the one next-step button to the chapter, then its 確認問題に答える button."""
    chapter = account.chapter(key)
    next_step = page.get_by_role("link", name=re.compile("^次へ："))
    expect(next_step).to_contain_text(chapter["title"])
    _press_enter_on(page, next_step)
    page.wait_for_url(f"**{account.chapter_url(key)}")
    _press_enter_on(page, page.get_by_role("button", name="確認問題に答える"), limit=80)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"確認問題：{chapter['number']} {chapter['title']}")
    items = _items(_attempt_id(page))
    assert [i.clause_key for i in items] == [c["key"] for c in chapter["clauses"]]
    expect(page.locator("fieldset.question")).to_have_count(len(items))
    return items


def _back_to_mypage(page) -> None:
    _press_enter_on(page, page.get_by_role("link", name="マイページへ", exact=True))
    page.wait_for_url("**/mypage/")


def _status_of(page, account, key: str):
    """The status tag of a chapter on my page (4 and 7, 5 and 8, 6 and 9 share their titles)."""
    number = page.locator(".toc__number", has_text=re.compile(f"^{re.escape(account.chapter(key)['number'])}$"))
    return page.locator(".chapter-list li").filter(has=number).locator(".status")


def test_ordinary_employee_completes_the_course_by_keyboard_alone(page, questions):
    from quizzes.models import ScenarioQuestion

    ScenarioQuestion.objects.filter(external_id__in=SINGLE_ANSWER_ONLY_ELSEWHERE).update(live=False)
    account = questions["ashiya"]
    required = [c["key"] for c in account.guideline["chapters"] if c["audience"] == "all"]
    assert required == ["1", "2", "3", "7", "8", "9"]
    log_in(page, account)

    # 業務編 (chapters 4–6) is not required of an ordinary employee.
    for key in ("4", "5", "6"):
        expect(_status_of(page, account, key)).to_have_text("対象外（任意）")
    expect(page.get_by_label("合格した章：6章中 0章")).to_have_attribute("value", "0")

    for number, key in enumerate(required, start=1):
        items = _open_next_chapter_quiz(page, account, key)

        if key == "1":
            # Sent with nothing chosen: the error takes the focus; its link to the unanswered
            # question leads there, and the next Tab is that question's first choice.
            assert items[0].multiple, "chapter 1 should draw its 'all that apply' question"
            _press_enter_on(page, page.get_by_role("button", name=SUBMIT), limit=40)
            error = page.get_by_role("alert")
            expect(error).to_contain_text("第1問に回答してください。")
            expect(error).to_be_focused()
            expect(page).to_have_title(re.compile("^エラー："))
            page.keyboard.press("Tab")
            expect(
                page.locator(".error-summary").get_by_role("link", name="第1問：まだ回答していません")
            ).to_be_focused()
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile("#question-1$"))
            page.keyboard.press("Tab")
            expect(page.locator(f"#{items[0].input_id(items[0].shown[0])}")).to_be_focused()

        if key == "3":
            # Miss as few clauses as leave the chapter below the pass mark (80 % of 5: two).
            missed = {i.clause_key for i in items[: _wrong_count_to_fail(len(items))]}
            _answer_and_submit(page, items, wrong_keys=missed)
            expect(page.locator(".result")).to_contain_text("合格基準")
            expect(page.locator(".result")).not_to_contain_text("この章は合格です。")
            for item in items:
                verdict = page.locator(f"#review-{item.position} .verdict")
                expect(verdict).to_have_text("不正解" if item.clause_key in missed else "正解")
            # Retake: only the missed clauses are drawn, with questions not seen before.
            _press_enter_on(page, page.get_by_role("button", name=RETAKE), limit=15)
            expect(page.get_by_role("heading", level=1)).to_contain_text("確認問題：")
            retake = _items(_attempt_id(page))
            assert len(retake) < len(items)
            assert {i.clause_key for i in retake} == missed
            assert not {i.question for i in retake} & {i.question for i in items}
            expect(page.locator("fieldset.question")).to_have_count(len(retake))
            items = retake

        _answer_and_submit(page, items)
        expect(page.locator(".result")).to_contain_text("この章は合格です。")
        expect(page.locator(".verdict")).to_have_text(["正解"] * len(items))
        expect(page.get_by_role("button", name=RETAKE)).to_have_count(0)
        _back_to_mypage(page)
        expect(page.get_by_label(f"合格した章：6章中 {number}章")).to_have_attribute("value", str(number))
        expect(_status_of(page, account, key)).to_have_text("合格")

    # Every required chapter passed: no next step, but the attestation.
    expect(page.get_by_role("link", name=re.compile("^次へ："))).to_have_count(0)
    _press_enter_on(page, page.get_by_role("link", name="誓約へ進む"))
    page.wait_for_url(re.compile(r"/quiz/attest/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ガイドライン遵守の誓約")

    # Pressed before ticking: refused, and the error takes the focus.
    attest = page.get_by_role("button", name="誓約して修了する")
    _press_enter_on(page, attest)
    expect(page.get_by_role("alert")).to_have_text("誓約するには、確認のチェックを入れてください。")
    expect(page.get_by_role("alert")).to_be_focused()
    # Past the checkbox to the button, back with Shift+Tab, tick it, on to the button.
    agree = page.get_by_role("checkbox", name=re.compile("遵守することを誓約します"))
    tab_to(page, attest, limit=10)
    tab_to(page, agree, backwards=True, limit=3)
    page.keyboard.press("Space")
    expect(agree).to_be_checked()
    page.keyboard.press("Tab")
    expect(attest).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/quiz/certificate/\d+/$"))
    certificate = page.locator("article.certificate")
    expect(certificate.get_by_role("heading", level=1)).to_have_text("修了証")
    expect(certificate.locator(".certificate__name")).to_have_text(f"{account.name} 殿")
    number = certificate.locator("dt", has_text="職員番号").locator("xpath=following-sibling::dd[1]")
    expect(number).to_have_text(account.staff_number)
    expect(certificate).to_contain_text(account.guideline["title"])
    expect(page.get_by_role("status")).to_contain_text("誓約を受け付けました。")

    # And back: my page shows the course completed, with the certificate one Enter away.
    _press_enter_on(page, page.get_by_role("link", name="マイページへ戻る"))
    page.wait_for_url("**/mypage/")
    expect(page.get_by_text("今年度の研修を修了しました。")).to_be_visible()
    _press_enter_on(page, page.get_by_role("link", name="修了証を見る"))
    page.wait_for_url(re.compile(r"/quiz/certificate/\d+/$"))


# Set-up outside the browser, for the tests that look at pages rather than at how one gets there.


def _chapter_page(key: str):
    from courses.models import ChapterPage

    return ChapterPage.objects.get(key=key, url_path__contains="/ashiya-sns-guideline/")


def _pass_by_services(account, keys) -> None:
    from people.models import StaffMember
    from quizzes import services

    staff = StaffMember.objects.get(staff_number=account.staff_number, municipality__code=account.code)
    for key in keys:
        attempt = services.attempt_start(staff=staff, chapter=_chapter_page(key))
        items = _items(attempt.pk)
        submission = services.Submission(
            item_ids=tuple(i.pk for i in items), answers={i.pk: tuple(i.right()) for i in items}
        )
        services.attempt_submit(attempt_id=attempt.pk, user=staff.user, submission=submission)


def _start_quiz(page, account, key: str) -> list[Item]:
    page.goto(account.chapter_url(key))
    page.get_by_role("button", name="確認問題に答える").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("確認問題：")
    return _items(_attempt_id(page))


def _submit(page, items: list[Item], wrong_keys=()) -> None:
    for item in items:
        for choice in item.wrong() if item.clause_key in wrong_keys else item.right():
            page.locator(f"#{item.input_id(choice)}").check()
    page.get_by_role("button", name=SUBMIT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("採点結果")


def test_axe_reports_no_violations_on_the_quiz_pages(page, questions, axe_js):
    account = questions["ashiya"]
    found: dict[str, list[dict]] = {}
    log_in(page, account)

    items = _start_quiz(page, account, "3")
    found["quiz, unanswered"] = axe_violations(page, axe_js)

    page.get_by_role("button", name=SUBMIT).click()
    expect(page.get_by_role("alert")).to_contain_text("第1問に回答してください。")
    expect(page.get_by_role("alert")).to_be_focused()
    found["quiz, 400 nothing chosen"] = axe_violations(page, axe_js)

    _submit(page, items, wrong_keys={items[0].clause_key, items[1].clause_key})
    expect(page.get_by_role("button", name=RETAKE)).to_be_visible()
    found["review, failed"] = axe_violations(page, axe_js)

    _submit(page, _start_quiz(page, account, "1"))
    expect(page.locator(".result")).to_contain_text("この章は合格です。")
    found["review, passed"] = axe_violations(page, axe_js)

    # My page part-way: chapters passed, started, not started and not required.
    page.goto("/mypage/")
    expect(page.locator(".status--started")).to_have_count(1)
    found["my page, in progress"] = axe_violations(page, axe_js)

    _pass_by_services(account, ["2", "3", "7", "8", "9"])
    page.goto("/mypage/")
    page.get_by_role("link", name="誓約へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ガイドライン遵守の誓約")
    found["attestation"] = axe_violations(page, axe_js)

    page.get_by_role("button", name="誓約して修了する").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["attestation, 400 not ticked"] = axe_violations(page, axe_js)

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="誓約して修了する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("修了証")
    found["certificate"] = axe_violations(page, axe_js)

    page.goto("/mypage/")
    expect(page.get_by_role("link", name="修了証を見る")).to_be_visible()
    found["my page, completed"] = axe_violations(page, axe_js)

    assert not any(found.values()), _report(found)


def test_quiz_page_fits_a_360px_phone(new_context, questions, shots_dir):
    width = 360
    page = new_context(viewport={"width": width, "height": 740}, device_scale_factor=1).new_page()
    account = questions["ashiya"]
    log_in(page, account)

    def check(name: str) -> None:
        overflow = horizontal_overflow(page)
        assert overflow["scrollWidth"] <= width, f"{name}: scrolls sideways at {width}px: {overflow}"
        page.screenshot(path=str(shots_dir / f"ashiya-phone-360-quiz-{name}.png"), full_page=True)

    items = _start_quiz(page, account, "8")
    check("1-form")
    for item in items:
        box = page.locator(f"#question-{item.position}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"question {item.position} off screen: {box}"

    page.get_by_role("button", name=SUBMIT).click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("2-error")

    _submit(page, items, wrong_keys={items[0].clause_key})
    check("3-review")
