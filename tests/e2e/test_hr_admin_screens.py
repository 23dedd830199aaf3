"""HR's admin screens at 1280 px (issue 16, decision 0043): the cycle form with the browser's date
pickers and the department tree (ticking a 部 ticks its 課 and 係 through a static script), the
cycle's detail page with its audience, and the dashboard, each without horizontal scrolling of the
page and checked with axe-core."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from .helpers import axe_violations, horizontal_overflow, log_in
from .test_hr_reports import WAGTAIL_FILTER_TOGGLE, _hr_and_records

WIDTH = 1280


def _tree(accounts) -> None:
    """企画部 › 企画課 › 企画係 of 芦屋市 with two people, and 須賀川市's own 総務部."""
    from people import services as people
    from people.models import Municipality

    ashiya = Municipality.objects.get(code=accounts["ashiya"].code)
    bu = people.department_create(municipality=ashiya, code="1000", name="企画部")
    ka = people.department_create(municipality=ashiya, code="1100", name="企画課", parent=bu)
    kakari = people.department_create(municipality=ashiya, code="1110", name="企画係", parent=ka)
    for number, dept in (("001100", ka), ("001110", kakari)):
        people.staff_create(
            municipality=ashiya,
            staff_number=number,
            name=f"企画 {number}",
            department=dept,
            start_date=datetime.date(2020, 4, 1),
        )
    sukagawa = Municipality.objects.get(code=accounts["sukagawa"].code)
    people.department_create(municipality=sukagawa, code="9000", name="須賀川総務部")


def _fits(page) -> None:
    overflow = horizontal_overflow(page)
    assert overflow["scrollWidth"] <= overflow["viewport"], overflow


def _violations(page, axe_js) -> list[dict]:
    return [v for v in axe_violations(page, axe_js) if (v["id"], tuple(v["targets"])) != WAGTAIL_FILTER_TOGGLE]


def test_hr_opens_a_cycle_for_a_whole_bu_and_sees_its_audience(page, accounts, axe_js, shots_dir):
    from training.models import TrainingCycle

    hr = _hr_and_records(accounts)
    _tree(accounts)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    log_in(page, hr, by="email")

    page.goto("/admin/training_cycles/new/")
    for name in ("opens_on", "due_on", "closes_on"):
        expect(page.locator(f"input[name={name}]")).to_have_attribute("type", "date")
    bu = page.get_by_role("checkbox", name="企画部（1000）")
    ka = page.get_by_role("checkbox", name="企画課（1100）")
    kakari = page.get_by_role("checkbox", name="企画係（1110）")
    expect(page.get_by_text("須賀川総務部")).to_have_count(0)
    # The tree is indented: a 課 starts right of its 部, a 係 right of its 課.
    xs = [box.bounding_box()["x"] for box in (bu, ka, kakari)]
    assert xs[0] < xs[1] < xs[2], xs
    # Tree order, siblings by 所属コード: 企画部 › 企画課 › 企画係, 人事課, 広報課.
    labels = page.locator("[data-department-tree] label").all_inner_texts()
    assert [label.strip() for label in labels] == [
        "企画部（1000）",
        "企画課（1100）",
        "企画係（1110）",
        "人事課（2100）",
        "広報課（3100）",
    ]
    bu.check()
    expect(ka).to_be_checked()
    expect(kakari).to_be_checked()
    kakari.uncheck()  # one below left out: the 部 no longer stands for all of it
    expect(bu).not_to_be_checked()
    expect(ka).not_to_be_checked()
    bu.check()
    expect(kakari).to_be_checked()
    page.screenshot(path=str(shots_dir / "hr-cycle-form.png"), full_page=True)
    _fits(page)
    assert _violations(page, axe_js) == []

    page.locator("select[name=guideline]").select_option(index=1)
    page.locator("input[name=due_on]").fill("2027-02-26")
    page.get_by_role("button", name="作成").click()
    expect(page.get_by_text("人を対象にしました")).to_be_visible()
    cycle = TrainingCycle.objects.get(fiscal_year=2026)
    assert sorted(cycle.departments.values_list("code", flat=True)) == ["1000", "1100", "1110"]

    page.goto(f"/admin/training_cycles/inspect/{cycle.pk}/")
    expect(page.get_by_text("企画部 › 企画課（1100） とその下の所属")).to_be_visible()
    expect(page.get_by_test_id("assigned-count")).to_have_text("2人")
    page.screenshot(path=str(shots_dir / "hr-cycle-detail.png"), full_page=True)
    _fits(page)
    assert _violations(page, axe_js) == []

    page.goto("/admin/hr-reports/dashboard/")
    expect(page.get_by_role("table", name="所属別の修了率（表）")).to_be_visible()
    page.screenshot(path=str(shots_dir / "hr-dashboard-1280.png"), full_page=True)
    _fits(page)
    assert _violations(page, axe_js) == []

    # 令和7年度's cycle has someone overdue without a 所属長: its table fits too.
    earlier = TrainingCycle.objects.get(fiscal_year=2025)
    page.goto(f"/admin/hr-reports/dashboard/?cycle={earlier.pk}")
    expect(page.get_by_role("table", name="所属長のいない期限超過者（表）")).to_contain_text("芦田 健")
    _fits(page)
    assert _violations(page, axe_js) == []
