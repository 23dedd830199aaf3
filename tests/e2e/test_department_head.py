"""A 所属長 in the browser: from the header to their department's page, where they press 督促 for
one of their people; the e-mail goes out once, a second press the same day is refused with a
message; axe-core finds nothing on the page. On a 360 px phone each person is a card (name and
所属, status, progress, due date, a full-width 督促) with no sideways scrolling and the column
headings still there for screen readers; on a desktop the list stays a table."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from .conftest import staff_account
from .helpers import Account, axe_violations, horizontal_overflow, log_in
from .test_accessibility import _report

HEAD_EMAIL = "kacho@ashiya.example.jp"


@pytest.fixture
def department_head(accounts) -> Account:
    """A 所属長 of 芦屋市 広報課 (where the `accounts` employee works), a colleague without e-mail,
    and this 年度's cycle of the real 芦屋市 guideline, opened as HR opens it."""
    from django.utils import timezone

    from courses.models import GuidelinePage
    from people import services as people
    from people.models import Department, Municipality
    from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_of
    from training.services import cycle_open

    ashiya = accounts["ashiya"]
    municipality = Municipality.objects.get(code=ashiya.code)
    department = Department.objects.get(municipality=municipality, code="3100")
    head = staff_account(
        accounts,
        department=department,
        staff_number="000900",
        name="広報 課長",
        email=HEAD_EMAIL,
        role="department_head",
    )
    people.staff_create(
        municipality=municipality,
        staff_number="000901",
        name="芦屋 無線",
        department=department,
        start_date=datetime.date(2020, 4, 1),
    )
    today = timezone.localdate()
    year = fiscal_year_of(today)
    start, end = fiscal_year_bounds(year)
    cycle_open(
        guideline=GuidelinePage.objects.get(slug=ashiya.guideline["slug"]),
        fiscal_year=year,
        opens_on=start,
        due_on=max(start, today - datetime.timedelta(days=3)),
        closes_on=end,
    )
    return head


def test_a_head_presses_tokusoku_once(page, accounts, department_head, axe_js):
    employee = accounts["ashiya"]
    log_in(page, department_head)

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="所属の受講状況").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("所属の受講状況")
    row = page.locator("tr", has=page.get_by_role("rowheader", name=employee.name))
    expect(row).to_contain_text("0/")
    expect(page.get_by_role("heading", name="メールのない職員")).to_be_visible()
    found = {"department page": axe_violations(page, axe_js)}

    row.get_by_role("button", name=f"{employee.name} さんに督促").click()

    expect(page.get_by_role("status")).to_have_text(f"{employee.name} さんに督促メールを送信しました。")
    sent = [m for m in mail.outbox if m.to == [employee.email]]
    assert len(sent) == 1 and "所属長から受講の督促です" in sent[0].subject
    assert employee.guideline_url in sent[0].body

    page.locator("tr", has=page.get_by_role("rowheader", name=employee.name)).get_by_role(
        "button", name=f"{employee.name} さんに督促"
    ).click()

    expect(page.get_by_role("status")).to_contain_text(
        "本日すでに督促メールを送信しました。督促は1人につき1日1回までです。"
    )
    assert len([m for m in mail.outbox if m.to == [employee.email]]) == 1
    found["after a second press"] = axe_violations(page, axe_js)
    assert not any(found.values()), _report(found)


STAFF_COLUMNS = ["職員番号", "氏名", "所属", "状況", "進捗", "受講期限", "督促"]
STATUS_LABEL = re.compile(r"^(未受講|受講中|修了|期限超過)$")


def _accessibility_tree(page) -> list[tuple[str, str]]:
    """(role, name) of every node Chromium itself exposes to screen readers (CDP), so what CSS
    does to the table's semantics shows, unlike Playwright's role engine, which reads the DOM."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [(n["role"]["value"], n.get("name", {}).get("value", "")) for n in nodes if not n.get("ignored")]


def _within(box: dict, left: float, right: float) -> bool:
    return box["x"] >= left - 0.5 and box["x"] + box["width"] <= right + 0.5


def test_the_staff_list_reads_as_cards_on_a_phone(new_context, accounts, department_head, axe_js, shots_dir):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in(page, department_head)
    page.goto("/department/")
    staff_list = page.get_by_role("region", name="職員ごとの状況の表")
    expect(staff_list).to_be_visible()

    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["viewport"], f"the page scrolls sideways at 360px: {overflow}"
    sizes = staff_list.evaluate("(el) => ({scrollWidth: el.scrollWidth, clientWidth: el.clientWidth})")
    assert sizes["scrollWidth"] <= sizes["clientWidth"], f"the staff list scrolls sideways at 360px: {sizes}"

    rows = staff_list.locator("tbody tr")
    names = sorted(rows.get_by_role("rowheader").all_inner_texts())
    assert names == sorted([accounts["ashiya"].name, department_head.name, "芦屋 無線"])
    buttons = 0
    for row in rows.all():
        name = row.get_by_role("rowheader")
        row.scroll_into_view_if_needed()
        card, name_box = row.bounding_box(), name.bounding_box()
        department_box = row.get_by_text("広報課", exact=True).bounding_box()
        assert _within(card, 0, 360), f"{name.inner_text()}'s card is cut off at 360px: {card}"
        # Name and 所属 share the card's first line; everything else follows below it.
        assert name_box["y"] < department_box["y"] + department_box["height"] / 2 < name_box["y"] + name_box["height"]

        status = row.locator(".status")
        expect(status).to_have_text(STATUS_LABEL)
        expect(status).to_be_in_viewport(ratio=1)
        status_box = status.bounding_box()
        assert _within(status_box, 0, 360) and status_box["y"] >= name_box["y"] + name_box["height"] - 1
        expect(row).to_contain_text(re.compile(r"\d+/\d+章"))

        button = row.get_by_role("button", name=f"{name.inner_text()} さんに督促")
        if button.count():
            buttons += 1
            button.scroll_into_view_if_needed()
            expect(button).to_be_in_viewport(ratio=1)
            box = button.bounding_box()
            assert _within(box, card["x"], card["x"] + card["width"]) and box["width"] >= 0.8 * card["width"], (
                f"督促 is not the card's full width: {box} in {card}"
            )
        scrolled = page.evaluate("() => window.scrollX") + staff_list.evaluate("(el) => el.scrollLeft")
        assert scrolled == 0, "reaching a card needed sideways scrolling"
    assert buttons == 2, "the colleague without e-mail has no 督促 button; the other two have one each"

    tree = _accessibility_tree(page)
    headers = [name for role, name in tree if role == "columnheader"]
    assert all(column in headers for column in STAFF_COLUMNS), f"column headings gone for screen readers: {headers}"
    assert ("rowheader", accounts["ashiya"].name) in tree
    # The on-screen label (data-label) is not read a second time inside the cell.
    assert ("cell", status.inner_text()) in tree, [t for t in tree if t[0] == "cell"]

    page.screenshot(path=str(shots_dir / "ashiya-phone-360-department.png"), full_page=True)
    found = axe_violations(page, axe_js)
    assert not found, _report({"department page at 360px": found})


def test_the_staff_list_stays_a_table_on_a_desktop(new_context, department_head):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, department_head)
    page.goto("/department/")
    table = page.get_by_role("region", name="職員ごとの状況の表").get_by_role("table")
    header_row = table.get_by_role("row").first
    expect(header_row).to_be_visible()
    for column in STAFF_COLUMNS:
        expect(header_row.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    assert table.evaluate("(el) => getComputedStyle(el).display") == "table"
    # One line per person: name, status and 督促 side by side under their headings.
    row = table.locator("tbody tr", has=page.get_by_role("rowheader", name=department_head.name))
    name_box = row.get_by_role("rowheader").bounding_box()
    button_box = row.get_by_role("button", name=f"{department_head.name} さんに督促").bounding_box()
    heading_box = header_row.get_by_role("columnheader", name="督促").bounding_box()
    assert abs(name_box["y"] - button_box["y"]) < name_box["height"]
    assert heading_box["x"] <= button_box["x"] < heading_box["x"] + heading_box["width"]
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["viewport"], overflow
