"""A whole 年度 in 芦屋市 (issue 15, decision 0045), as one story in the browser:
HR loads the department master and the roster together (one dry run, one commit; a 職員番号 whose
zeros Excel dropped is warned and resolved); the cycle runs; on the exceptions screen HR extends one
person's due date and exempts another; that person sees the new due date on my page, passes every
chapter, is 誓約待ち and attests; the 所属長 reminds everyone still open in one action; the April
reorganisation (a rename, a department moved under another 部, a retirement) is prepared before
4月1日 as one upload of both files dated ahead, nothing current changes until the daily job runs for
the day; last year's department report still shows last year's names and tree; HR exports the
retired person's disclosure file and erases their personal data. axe-core on every new page.
Onboarding a municipality is tests/e2e/test_onboarding.py (not part of this story yet)."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from .conftest import hr_account, staff_account
from .helpers import axe_violations, log_in
from .test_accessibility import _report
from .test_personal_data import _zip_of
from .test_quiz import _pass_by_services, _start_quiz, _submit

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
MASTER_HEADER = "所属コード,名称,上位所属コード,廃止,統合先コード"
ROSTER_HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職"


def _csv(*lines: str) -> bytes:
    """As Excel saves a CSV on Japanese Windows."""
    return "\r\n".join([*lines, ""]).encode("cp932")


def _upload_both(page, *, master: bytes, roster: bytes, effective_on: datetime.date) -> None:
    page.goto("/admin/roster-import/")
    page.get_by_label("所属マスタと職員名簿").check()
    page.get_by_label("適用日").fill(effective_on.isoformat())
    page.get_by_label(re.compile(r"^\s*CSVファイル")).set_input_files(
        {"name": "名簿.csv", "mimeType": "text/csv", "buffer": roster}
    )
    page.get_by_label(re.compile(r"^\s*所属マスタのCSVファイル")).set_input_files(
        {"name": "所属.csv", "mimeType": "text/csv", "buffer": master}
    )
    page.get_by_role("button", name="確認する（まだ取り込みません）").click()
    page.wait_for_url(re.compile(r"/admin/roster-import/\d+/$"))


def _summary_codes(page) -> list[str]:
    """The department report's rows, by 所属コード, in the order of the tree it shows."""
    rows = page.locator("#listing-results tbody tr")
    expect(rows.first).to_be_visible()
    return [text.split()[0] for text in rows.all_inner_texts()]


def test_a_year_in_a_city(page, questions, axe_js, shots_dir):
    from courses.models import GuidelinePage, live_chapters_of
    from people import services as people_services
    from people.models import Department, DepartmentMembership, Municipality, StaffMember
    from quizzes.selectors import chapter_required_for
    from tests.reports.conftest import make_record
    from training.models import Assignment, TrainingCycle

    accounts = questions  # every question imported and published
    found: dict[str, list[dict]] = {}
    ashiya = Municipality.objects.get(code=accounts["ashiya"].code)
    hr = hr_account(accounts)  # 人事 太郎 in 人事課 (2100); 芦田 健 (000103) is in 広報課 (3100)
    today = datetime.date.today()
    # The next 1 April is ahead: the reorganisation is prepared before it (decision 0045).
    april = datetime.date(today.year + (today.month >= 4), 4, 1)
    start = datetime.date(april.year - 1, 4, 1)

    # --- 1. The start of this 年度: HR loads the organisation and the roster in one go. ---------
    log_in(page, hr)
    page.goto("/admin/roster-import/")
    found["import form"] = axe_violations(page, axe_js)
    _upload_both(
        page,
        master=_csv(
            MASTER_HEADER,
            "1000,企画部,,,",
            "2000,総務部,,,",
            "3100,広報課,1000,,",
            "3200,広聴課,1000,,",  # new, and named by the roster below
            "2100,人事課,2000,,",
        ),
        roster=_csv(
            ROSTER_HEADER,
            "103,芦田 健,アシダ ケン,3100,一般職,2020-04-01,,1",  # Excel dropped 000103's zeros
            f"000201,広田 聴,ヒロタ キク,3200,一般職,{start},kiku@ashiya.example.jp,1",
            f"000202,退田 職,タイダ ショク,3100,会計年度任用職員,{start},,1",
            f"000203,広沢 遅,ヒロサワ オソ,3100,一般職,{start},oso@ashiya.example.jp,1",
            "000900,人事 太郎,ジンジ タロウ,2100,一般職,2015-04-01,,1",
        ),
        effective_on=start,
    )
    expect(page.get_by_role("heading", name="1. 所属マスタ")).to_be_visible()
    expect(page.get_by_role("heading", name="2. 職員名簿")).to_be_visible()
    expect(page.get_by_test_id("departments-table-create")).to_contain_text("広聴課")
    expect(page.get_by_test_id("departments-table-move")).to_contain_text("上位所属: （最上位） → 1000")
    expect(page.get_by_test_id("staff-table-create")).to_contain_text("広聴課（3200）")
    warned = page.get_by_test_id("staff-resembling-2")
    expect(warned).to_contain_text("先頭の 0 が落ちたもの")
    found["first dry run"] = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "year-first-dry-run.png"), full_page=True)
    assert not Department.objects.filter(municipality=ashiya, code="3200").exists()  # nothing yet

    page.get_by_role("button", name="取り込む").click()  # without a choice for the warned line
    expect(page.get_by_text("警告のある行が1件あります")).to_be_visible()
    assert not Department.objects.filter(municipality=ashiya, code="3200").exists()  # still nothing
    page.get_by_test_id("staff-resembling-2").get_by_label("既存の職員（000103）の番号の誤りとして扱う").check()
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()
    found["first result"] = axe_violations(page, axe_js)

    kiku = StaffMember.objects.get(municipality=ashiya, staff_number="000201")
    leaver = StaffMember.objects.get(municipality=ashiya, staff_number="000202")
    assert kiku.department.code == "3200" and kiku.department.parent.code == "1000"
    assert not StaffMember.objects.filter(municipality=ashiya, staff_number="103").exists()

    # --- 2. This 年度's cycle runs; everyone completes but three people. ----------------------------
    head = staff_account(
        accounts,
        department=Department.objects.get(municipality=ashiya, code="3100"),
        staff_number="000950",
        name="広報 課長",
        email="kacho@ashiya.example.jp",
        role="department_head",
    )
    guideline = GuidelinePage.objects.get(municipality=ashiya)
    cycle = TrainingCycle.objects.create(
        municipality=ashiya,
        guideline=guideline,
        fiscal_year=start.year,
        opens_on=start,
        due_on=datetime.date(start.year, 6, 30),
        closes_on=april - datetime.timedelta(days=1),
    )
    people = StaffMember.objects.filter(municipality=ashiya, is_active=True).order_by("staff_number")
    for n, person in enumerate(people):
        record = None
        if person.staff_number not in ("000103", "000201", "000203"):
            completed = datetime.datetime(start.year, 5, 10 + n, 10, tzinfo=TOKYO)
            record = make_record(person, guideline, completed_at=completed, cycle=cycle)
        Assignment.objects.create(
            cycle=cycle,
            staff=person,
            reason="cycle_open",
            assigned_on=start,
            due_on=cycle.due_on,
            completion=record,
            completed_at=record.attested_at if record else None,
        )

    # HR extends 芦田 健's due date (育児休業) and exempts 広田 聴 (休職) on the exceptions screen.
    new_due = min(april - datetime.timedelta(days=1), today + datetime.timedelta(days=40))
    page.goto(f"/admin/training-exceptions/cycle/{cycle.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("期限延長・免除")
    found["exceptions"] = axe_violations(page, axe_js)
    page.get_by_label("芦田 健 を選択").check()
    page.get_by_label("操作").select_option("extend")
    page.get_by_label("新しい受講期限").fill(new_due.isoformat())
    page.get_by_label("理由").select_option(label="育児休業")
    page.get_by_role("button", name="実行する").click()
    expect(page.get_by_text("1人の受講期限を延長しました。")).to_be_visible()
    page.get_by_label("広田 聴 を選択").check()
    page.get_by_label("操作").select_option("exempt")
    page.get_by_label("理由").select_option(label="休職")
    page.get_by_role("button", name="実行する").click()
    expect(page.get_by_text("1人を今年度の受講から免除しました。")).to_be_visible()

    # 芦田 健 sees the new due date on my page.
    page.context.clear_cookies()
    log_in(page, accounts["ashiya"])
    deadline = page.locator(".deadline").first
    expect(deadline).to_contain_text(f"{new_due.year}年{new_due.month}月{new_due.day}日")
    expect(deadline).to_contain_text("（延長）")
    found["my page"] = axe_violations(page, axe_js)

    # ... passes every chapter (the last one here, in the browser), is 誓約待ち, and attests.
    employee = accounts["ashiya"]
    me = StaffMember.objects.get(municipality=ashiya, staff_number="000103")
    required = [c.key for c in live_chapters_of(guideline) if chapter_required_for(staff=me, chapter=c)]
    _pass_by_services(employee, required[1:])
    items = _start_quiz(page, employee, required[0])
    _submit(page, items)
    expect(page.locator(".result")).to_contain_text("この章は合格です。")
    found["review"] = axe_violations(page, axe_js)
    page.goto("/mypage/")
    expect(page.locator(".deadline__status").first).to_have_text("誓約待ち")
    page.get_by_role("link", name="誓約へ進む").first.click()
    page.wait_for_url(re.compile(r"/quiz/attest/\d+/$"))
    found["attestation"] = axe_violations(page, axe_js)
    page.get_by_role("checkbox", name=re.compile("遵守することを誓約します")).check()
    page.get_by_role("button", name="誓約して修了する").click()
    page.wait_for_url(re.compile(r"/quiz/certificate/\d+/$"))
    page.goto("/mypage/")
    expect(page.locator(".deadline__status").first).to_have_text("修了")

    # The 所属長 of 広報課 reminds everyone still open in one action.
    page.context.clear_cookies()
    log_in(page, head)
    page.goto("/department/")
    page.get_by_role("link", name="未修了の全員に督促").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("未修了の全員に督促")
    expect(page.get_by_text("000203 広沢 遅")).to_be_visible()
    found["remind-all confirmation"] = axe_violations(page, axe_js)
    page.get_by_role("button", name="督促メールを送信する").click()
    expect(page.get_by_role("status")).to_contain_text("人に督促メールを送信しました")
    page.context.clear_cookies()
    log_in(page, hr)

    # --- 3. The April reorganisation, prepared before 4月1日: both files again, one commit. -------
    _upload_both(
        page,
        master=_csv(
            MASTER_HEADER,
            "3100,広報戦略課,1000,,",  # renamed
            "3200,広聴課,2000,,",  # moved from 企画部 to 総務部
        ),
        roster=_csv(
            ROSTER_HEADER,
            f"000202,退田 職,タイダ ショク,3100,会計年度任用職員,{start},,0",  # leaves on 31 March
        ),
        effective_on=april,
    )
    expect(page.get_by_test_id("departments-table-rename")).to_contain_text("広報課 → 広報戦略課")
    expect(page.get_by_test_id("departments-table-move")).to_contain_text("上位所属: 1000 → 2000")
    expect(page.get_by_test_id("staff-table-deactivate")).to_contain_text("退田 職")
    expect(page.get_by_text(re.compile("適用日（.*）が先の日付です"))).to_be_visible()  # what waits for the day
    found["april dry run"] = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "year-april-dry-run.png"), full_page=True)
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()

    # Until the day: today's organisation and people; the changes are recorded for 4月1日.
    kouchou = Department.objects.get(municipality=ashiya, code="3200")
    assert kouchou.parent.code == "1000"
    assert Department.objects.get(municipality=ashiya, code="3100").name == "広報課"
    leaver.refresh_from_db()
    assert leaver.is_active
    assert not DepartmentMembership.objects.on(april).filter(staff=leaver).exists()

    # 4月1日: the daily job (apply_department_history) makes them current.
    assert people_services.department_changes_apply(municipality=ashiya, on=april)["deactivated"] == 1
    kouchou.refresh_from_db()
    assert kouchou.parent.code == "2000"
    assert Department.objects.get(municipality=ashiya, code="3100").name == "広報戦略課"
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert DepartmentMembership.objects.on(april - datetime.timedelta(days=1)).get(staff=leaver).department.code

    # --- 4. Last year's department report: last year's names, last year's tree. -----------------
    page.goto("/admin/hr-reports/departments/")  # the latest cycle that opened: the 年度 just ended
    results = page.locator("#listing-results")
    expect(results).to_contain_text("広報課")
    expect(results).not_to_contain_text("広報戦略課")
    codes = _summary_codes(page)
    # 広聴課 still under 企画部 (before 総務部), as it stood on 31 March.
    assert codes.index("1000") < codes.index("3200") < codes.index("2000"), codes
    found["last year's report"] = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "year-last-years-report.png"), full_page=True)

    # --- 5. The person who left: HR erases their personal data; the evidence stays. --------------
    page.goto("/admin/personal-data/")
    page.get_by_label("職員番号または氏名").fill("000202")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name="000202").click()
    # First the disclosure (本人開示) HR prepares on the person's written request.
    page.get_by_label("開示請求の内容（受付番号・受付日など）").fill("開示請求 第1号")
    with page.expect_download() as info:
        page.get_by_role("button", name="開示ファイルを作成する").click()
    archive = _zip_of(info.value)
    assert archive.read("00_summary.pdf").startswith(b"%PDF")
    assert "000202" in archive.read("01_profile.csv").decode("utf-8-sig")
    page.get_by_role("link", name="個人情報の消去へ進む").click()
    expect(page.get_by_role("heading", name="残すもの")).to_be_visible()
    found["erasure"] = axe_violations(page, axe_js)
    page.get_by_label("確認のため、この職員の職員番号を入力してください").fill("000202")
    page.get_by_role("button", name="個人情報を消去する").click()
    expect(page.get_by_text("の個人情報を消去しました")).to_be_visible()
    leaver.refresh_from_db()
    assert leaver.name == "（消去済み）" and leaver.staff_number == "000202"
    assert leaver.completion_records.count() == 1  # kept until the retention period ends

    assert not any(found.values()), _report(found)
