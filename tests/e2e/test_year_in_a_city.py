"""A whole 年度 in a city that starts on the platform that day (issue 15, decisions 0038, 0045), as
one story in the browser: the platform admin adds 北杜市 in the admin with its guideline file and
downloads its first HR person's first-access letter; that person sets a password as the letter
says, logs in by 自治体 + 職員番号 and sets up the second factor; then, for THIS city, HR loads the
department master and the roster together (one dry run, one commit; a 職員番号 whose zeros Excel
dropped is warned and resolved); HR opens this 年度's cycle; on the exceptions screen HR extends
one person's due date and exempts another; that person sees the new due date on my page, passes
every chapter, is 誓約待ち and attests; the 所属長 reminds everyone still open in one action; the
April reorganisation (a rename, a department moved under another 部, a retirement) is prepared
before 4月1日 as one upload of both files dated ahead, nothing current changes until the daily job
runs for the day; last year's department report still shows last year's names and tree; HR exports
the retired person's disclosure file and erases their personal data. axe-core on every new page.

Each person has a browser of their own (the platform admin, HR, the employee, the 所属長), as in a
city hall. What the issue does not ask to see in the browser is done through services, and says so:
the city's questions (its editors write them in the admin, tests/e2e/test_editor_admin.py), the
employee's and the 所属長's passwords (first-access letters, tests/e2e/test_first_access.py), the
所属長's post (役割の任命, tests/e2e/test_appointments.py) and the colleagues who completed earlier."""

from __future__ import annotations

import datetime
import json
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.factories import guideline_fixture

from .conftest import PASSWORD
from .helpers import Account, axe_violations, log_in, totp_activate
from .test_accessibility import _report
from .test_onboarding import onboarding_form_open
from .test_personal_data import _zip_of
from .test_quiz import _items, _start_quiz, _submit

TOKYO = datetime.timezone(datetime.timedelta(hours=9))
MASTER_HEADER = "所属コード,名称,上位所属コード,廃止,統合先コード"
ROSTER_HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職"
CODE, CITY, SLUG = "192104", "北杜市", "hokuto"
CODE_RE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
HR_PASSWORD = "Hokuto-jinji-2026"


def _csv(*lines: str) -> bytes:
    """As Excel saves a CSV on Japanese Windows."""
    return "\r\n".join([*lines, ""]).encode("cp932")


def _guideline() -> dict:
    """北杜市's guideline file as its editors would hand it to the platform admin: two chapters,
    three clauses (keys as the import requires: a chapter's own key, or it and a number) (the format of fixtures/guidelines/, validated as import_guidelines validates)."""
    data = guideline_fixture(
        code=CODE,
        name=CITY,
        slug=SLUG,
        guideline_slug="hokuto-sns-guideline",
        title="北杜市職員ソーシャルメディア利用ガイドライン",
        chapter_title="目的と適用範囲",
        body="北杜市の職員がソーシャルメディアを利用する際の指針を定める。",
    )
    data["chapters"][0]["clauses"][0].update(key="1-1", number="(1)")
    data["chapters"][0]["clauses"].append(
        {
            "key": "1-2",
            "number": "(2)",
            "heading": "適用範囲",
            "body": "このガイドラインは、業務と私的な利用の別を問わず、すべての職員に適用する。",
            "items": [],
        }
    )
    data["chapters"].append(
        {
            "key": "2",
            "number": "２",
            "title": "私的な利用",
            "part": "",
            "audience": "all",
            "clauses": [
                {
                    "key": "2",
                    "number": "２",
                    "heading": "職務上知り得た情報",
                    "body": "私的な利用においても、職務上知り得た情報を発信してはならない。",
                    "items": [],
                }
            ],
        }
    )
    return data


def _questions(guideline_slug: str) -> dict:
    """One scenario question per clause, in the format of fixtures/questions/."""

    def question(clause: str, situation: str, right: str, wrong: tuple[str, str]) -> dict:
        return {
            "id": f"hokuto-{clause}-1",
            "clause": clause,
            "also_cites": [],
            "kind": "single",
            "situation": situation,
            "prompt": "ガイドラインに照らして、最も適切なものはどれですか。",
            "choices": [
                {"text": right, "correct": True, "feedback": f"条項{clause}のとおりです。"},
                *(
                    {"text": text, "correct": False, "feedback": f"条項{clause}を読み直してください。"}
                    for text in wrong
                ),
            ],
            "explanation": f"条項{clause}を参照してください。",
        }

    return {
        "guideline": guideline_slug,
        "questions": [
            question(
                "1-1",
                "新規採用のAさんは、ガイドラインが何のためにあるのかを同僚に尋ねられました。",
                "職員がソーシャルメディアを利用する際の指針だと答える。",
                ("公式アカウントの担当者だけの決まりだと答える。", "私的な利用を禁じる規則だと答える。"),
            ),
            question(
                "1-2",
                "会計年度任用職員のBさんは、このガイドラインが自分にも当てはまるかを気にしています。",
                "業務か私的かを問わず、すべての職員に当てはまる。",
                ("正規の職員だけに当てはまる。", "業務で利用するときだけ当てはまる。"),
            ),
            question(
                "2",
                "Cさんは休日、職場で聞いた未発表の工事計画を友人向けのSNSに書こうとしています。",
                "私的な利用でも職務上知り得た情報なので書かない。",
                ("鍵付きのアカウントなら書いてよい。", "休日の投稿なので書いてよい。"),
            ),
        ],
    }


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


def _own_browser(browser, live_server):
    """Another person's browser: their own cookies, Japanese, Japan time."""
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo")
    return context, context.new_page()


def _password_set(staff_number: str) -> None:
    """The first password of someone the roster brought in. In a city hall it comes from HR's
    first-access letter (tests/e2e/test_first_access.py walks that); not this story's step."""
    from people.models import StaffMember

    user = StaffMember.objects.get(municipality__code=CODE, staff_number=staff_number).user
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])


def _account(staff_number: str, name: str, email: str, department: str) -> Account:
    return Account(CODE, CITY, staff_number, email, name, department, PASSWORD, _guideline())


def test_a_year_in_a_city(page, browser, live_server, accounts, axe_js, shots_dir, tmp_path):
    from courses.models import GuidelinePage
    from identity.models import SetupCode
    from people import services as people_services
    from people.models import Department, DepartmentMembership, Municipality, StaffMember
    from quizzes.importing import questions_import_files
    from tests.reports.conftest import make_record
    from training.models import Assignment, TrainingCycle

    found: dict[str, list[dict]] = {}
    today = datetime.date.today()
    # The next 1 April is ahead: the reorganisation is prepared before it (decision 0045).
    april = datetime.date(today.year + (today.month >= 4), 4, 1)
    start = datetime.date(april.year - 1, 4, 1)
    browsers = []

    # --- 0. The platform admin adds 北杜市 with its guideline file (decision 0038). ----------------
    # 芦屋市 and 須賀川市 are on the platform already (the `accounts` fixture); the platform admin is
    # a superuser with a second factor, as in tests/e2e/test_onboarding.py.
    onboarding_form_open(page, accounts)
    found["onboarding form"] = axe_violations(page, axe_js)
    page.get_by_label("団体コード").fill(CODE)
    page.get_by_label("自治体名").fill(CITY)
    page.get_by_label("スラッグ").fill(SLUG)
    page.get_by_label("人事担当の所属コード").fill("2100")
    page.get_by_label("人事担当の所属名").fill("人事課")
    page.get_by_label("人事担当の職員番号").fill("000900")
    page.get_by_label("人事担当の氏名").fill("人事 太郎")
    page.get_by_label("人事担当のカナ").fill("ジンジ タロウ")
    page.get_by_label("人事担当のメールアドレス（任意）").fill("jinji@hokuto.example.jp")
    guideline_file = tmp_path / "hokuto.json"
    guideline_file.write_text(json.dumps(_guideline(), ensure_ascii=False), encoding="utf-8")
    page.get_by_label("ガイドラインのファイル（任意）").set_input_files(str(guideline_file))
    # Generous: the import and the PDF share two cores with other test runs here.
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="自治体を追加する").click(no_wait_after=True)
    letter = re.sub(r"\s+", "", PdfReader(info.value.path()).pages[0].extract_text())
    assert "人事太郎" in letter and "000900" in letter and CITY in letter
    [code] = CODE_RE.findall(letter)
    # The letter's 設定ページ (an absolute address on the site), opened below as printed.
    setup_path = re.search(r"https?://[^/]+(/accounts/setup/)", letter).group(1)
    page.goto("/admin/municipalities/")
    expect(page.locator(".messages")).to_contain_text(f"{CITY} を追加しました")
    found["municipalities, after adding"] = axe_violations(page, axe_js)
    page.screenshot(path=str(shots_dir / "year-municipalities.png"), full_page=True)
    hokuto = Municipality.objects.get(code=CODE)
    guideline = GuidelinePage.objects.get(municipality=hokuto)
    assert [c.key for c in guideline.get_children().specific()] == ["1", "2"]

    # Its editors write the questions for its clauses (tests/e2e/test_editor_admin.py shows the
    # admin for that); here the same import as `manage.py import_questions`, published.
    questions_file = tmp_path / "hokuto-questions.json"
    questions_file.write_text(json.dumps(_questions(guideline.slug), ensure_ascii=False), encoding="utf-8")
    assert questions_import_files(paths=[questions_file]) == (3, 0)

    # --- 1. The first HR person, as the letter says: the setup page, a password, log-in, 2FA. -----
    context, hr_page = _own_browser(browser, live_server)
    browsers.append(context)
    hr_page.goto(setup_path)
    hr_page.get_by_label("自治体").select_option(label=CITY)
    hr_page.get_by_label("職員番号").fill("000900")
    hr_page.get_by_label("設定コード").fill(code)
    hr_page.get_by_label("新しいパスワード（必須）", exact=True).fill(HR_PASSWORD)
    hr_page.get_by_label("新しいパスワード（確認）").fill(HR_PASSWORD)
    hr_page.get_by_role("button", name="パスワードを設定する").click()
    hr_page.wait_for_url(f"**/accounts/login/?municipality={CODE}")
    expect(hr_page.get_by_text("パスワードを設定しました。")).to_be_visible()
    form = hr_page.locator("form", has=hr_page.locator('input[name="method"][value="password"]'))
    form.get_by_label("職員番号").fill("000900")
    form.get_by_label("パスワード").fill(HR_PASSWORD)
    form.get_by_role("button", name="職員番号でログイン").click()
    hr_page.wait_for_url("**/mypage/")
    found["HR's my page, first day"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-hr-first-day.png"), full_page=True)
    assert SetupCode.objects.get(staff__municipality=hokuto).used_at is not None
    # HR is privileged: the second factor first (decision 0025).
    totp_activate(hr_page, "/admin/roster-import/")

    # --- 2. The start of this 年度: HR loads the organisation and the roster in one go. ---------
    hr_page.goto("/admin/roster-import/")
    found["import form"] = axe_violations(hr_page, axe_js)
    _upload_both(
        hr_page,
        master=_csv(
            MASTER_HEADER,
            "1000,企画部,,,",
            "2000,総務部,,,",
            "2100,人事課,2000,,",  # made top-level by the onboarding; now under 総務部
            "3100,広報課,1000,,",
            "3200,広聴課,1000,,",
        ),
        roster=_csv(
            ROSTER_HEADER,
            "900,人事 太郎,ジンジ タロウ,2100,一般職,2015-04-01,jinji@hokuto.example.jp,1",  # Excel dropped 000900's zeros
            "000103,北原 健,キタハラ ケン,3100,一般職,2020-04-01,ken@hokuto.example.jp,1",
            f"000201,広田 聴,ヒロタ キク,3200,一般職,{start},kiku@hokuto.example.jp,1",
            f"000202,退田 職,タイダ ショク,3100,会計年度任用職員,{start},,1",
            f"000203,広沢 遅,ヒロサワ オソ,3100,一般職,{start},oso@hokuto.example.jp,1",
        ),
        effective_on=start,
    )
    expect(hr_page.get_by_role("heading", name="1. 所属マスタ")).to_be_visible()
    expect(hr_page.get_by_role("heading", name="2. 職員名簿")).to_be_visible()
    expect(hr_page.get_by_test_id("departments-table-create")).to_contain_text("広聴課")
    expect(hr_page.get_by_test_id("departments-table-move")).to_contain_text("上位所属: （最上位） → 2000")
    expect(hr_page.get_by_test_id("staff-table-create")).to_contain_text("広聴課（3200）")
    warned = hr_page.get_by_test_id("staff-resembling-2")
    expect(warned).to_contain_text("先頭の 0 が落ちたもの")
    found["first dry run"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-first-dry-run.png"), full_page=True)
    assert not Department.objects.filter(municipality=hokuto, code="3200").exists()  # nothing yet

    hr_page.get_by_role("button", name="取り込む").click()  # without a choice for the warned line
    expect(hr_page.get_by_text("警告のある行が1件あります")).to_be_visible()
    assert not Department.objects.filter(municipality=hokuto, code="3200").exists()  # still nothing
    hr_page.get_by_test_id("staff-resembling-2").get_by_label("既存の職員（000900）の番号の誤りとして扱う").check()
    hr_page.get_by_role("button", name="取り込む").click()
    expect(hr_page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()
    found["first result"] = axe_violations(hr_page, axe_js)

    kiku = StaffMember.objects.get(municipality=hokuto, staff_number="000201")
    leaver = StaffMember.objects.get(municipality=hokuto, staff_number="000202")
    assert kiku.department.code == "3200" and kiku.department.parent.code == "1000"
    assert not StaffMember.objects.filter(municipality=hokuto, staff_number="900").exists()
    assert StaffMember.objects.get(municipality=hokuto, staff_number="000900").department.parent.code == "2000"

    # --- 3. HR opens this 年度's cycle; everyone completes but three people. --------------------
    # The 所属長 of 広報課 (appointed in 役割の任命, tests/e2e/test_appointments.py).
    people_services.staff_create(
        municipality=hokuto,
        department=Department.objects.get(municipality=hokuto, code="3100"),
        staff_number="000950",
        name="広報 課長",
        email="kacho@hokuto.example.jp",
        role="department_head",
        start_date=datetime.date(2015, 4, 1),
        password=PASSWORD,
    )
    hr_page.goto("/admin/training_cycles/new/")
    expect(hr_page.get_by_role("checkbox", name="広聴課（3200）")).to_be_visible()  # its own tree only
    expect(hr_page.locator("main")).not_to_contain_text("須賀川")
    # Only this city's guideline (and the empty choice) and its five departments.
    expect(hr_page.locator("select[name=guideline] option")).to_have_count(2)
    expect(hr_page.locator("[data-department-tree] input[type=checkbox]")).to_have_count(5)
    hr_page.locator("select[name=guideline]").select_option(label=guideline.title)
    hr_page.locator("select[name=fiscal_year]").select_option(str(start.year))
    hr_page.locator("input[name=opens_on]").fill(start.isoformat())
    hr_page.locator("input[name=due_on]").fill(datetime.date(start.year, 6, 30).isoformat())
    hr_page.locator("input[name=closes_on]").fill((april - datetime.timedelta(days=1)).isoformat())
    found["cycle form"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-cycle-form.png"), full_page=True)
    hr_page.get_by_role("button", name="作成").click()
    expect(hr_page.get_by_text("6人を対象にしました")).to_be_visible()
    found["cycles, after opening"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-cycles.png"), full_page=True)
    cycle = TrainingCycle.objects.get(municipality=hokuto)
    assert (cycle.fiscal_year, cycle.opens_on) == (start.year, start)

    # The colleagues who completed during the year (their quizzes are tests/e2e/test_quiz.py's).
    for n, assignment in enumerate(cycle.assignments.select_related("staff").order_by("staff__staff_number")):
        if assignment.staff.staff_number in ("000103", "000201", "000203"):
            continue
        completed = datetime.datetime(start.year, 5, 10 + n, 10, tzinfo=TOKYO)
        record = make_record(assignment.staff, guideline, fiscal_year=start.year, completed_at=completed, cycle=cycle)
        Assignment.objects.filter(pk=assignment.pk).update(completion=record, completed_at=record.attested_at)

    # HR extends 北原 健's due date (育児休業) and exempts 広田 聴 (休職) on the exceptions screen.
    new_due = min(april - datetime.timedelta(days=1), today + datetime.timedelta(days=40))
    hr_page.goto(f"/admin/training-exceptions/cycle/{cycle.pk}/")
    expect(hr_page.get_by_role("heading", level=1)).to_contain_text("期限延長・免除")
    for other in ("芦田 健", "須賀 光", "基盤 管理"):  # only this city's people
        expect(hr_page.locator("main")).not_to_contain_text(other)
    found["exceptions"] = axe_violations(hr_page, axe_js)
    hr_page.get_by_label("北原 健 を選択").check()
    hr_page.get_by_label("操作").select_option("extend")
    hr_page.get_by_label("新しい受講期限").fill(new_due.isoformat())
    hr_page.get_by_label("理由").select_option(label="育児休業")
    hr_page.get_by_role("button", name="実行する").click()
    expect(hr_page.get_by_text("1人の受講期限を延長しました。")).to_be_visible()
    hr_page.get_by_label("広田 聴 を選択").check()
    hr_page.get_by_label("操作").select_option("exempt")
    hr_page.get_by_label("理由").select_option(label="休職")
    hr_page.get_by_role("button", name="実行する").click()
    expect(hr_page.get_by_text("1人を今年度の受講から免除しました。")).to_be_visible()

    # --- 4. 北原 健 sees the new due date on my page, ... -------------------------------------------
    employee = _account("000103", "北原 健", "ken@hokuto.example.jp", "広報課")
    _password_set(employee.staff_number)
    context, me_page = _own_browser(browser, live_server)
    browsers.append(context)
    log_in(me_page, employee)
    deadline = me_page.locator(".deadline").first
    expect(deadline).to_contain_text(f"{new_due.year}年{new_due.month}月{new_due.day}日")
    expect(deadline).to_contain_text("（延長）")
    expect(me_page.locator("main")).to_contain_text(guideline.title)
    found["my page"] = axe_violations(me_page, axe_js)
    me_page.screenshot(path=str(shots_dir / "year-my-page.png"), full_page=True)

    # ... passes both chapters in the browser (the review's main button leads on), is 誓約待ち, and attests.
    _submit(me_page, _start_quiz(me_page, employee, "1"))
    expect(me_page.locator(".result")).to_contain_text("この章は合格です。")
    found["review"] = axe_violations(me_page, axe_js)
    me_page.get_by_role("link", name="次の章へ：２ 私的な利用").click()
    me_page.wait_for_url(f"**{employee.chapter_url('2')}")
    found["chapter 2"] = axe_violations(me_page, axe_js)
    me_page.get_by_role("button", name="確認問題に答える").click()
    expect(me_page.get_by_role("heading", level=1)).to_contain_text("確認問題：２ 私的な利用")
    found["quiz"] = axe_violations(me_page, axe_js)
    _submit(me_page, _items(int(re.search(r"/quiz/attempt/(\d+)/$", me_page.url).group(1))))
    expect(me_page.locator(".result")).to_contain_text("この章は合格です。")
    me_page.goto("/mypage/")
    expect(me_page.locator(".deadline__status").first).to_have_text("誓約待ち")
    me_page.get_by_role("link", name="誓約へ進む").first.click()
    me_page.wait_for_url(re.compile(r"/quiz/attest/\d+/$"))
    found["attestation"] = axe_violations(me_page, axe_js)
    me_page.get_by_role("checkbox", name=re.compile("遵守することを誓約します")).check()
    me_page.get_by_role("button", name="誓約して修了する").click()
    me_page.wait_for_url(re.compile(r"/quiz/certificate/\d+/$"))
    expect(me_page.locator("main")).to_contain_text(CITY)
    found["certificate"] = axe_violations(me_page, axe_js)
    me_page.screenshot(path=str(shots_dir / "year-certificate.png"), full_page=True)
    me_page.goto("/mypage/")
    expect(me_page.locator(".deadline__status").first).to_have_text("修了")

    # --- 5. The 所属長 of 広報課 reminds everyone still open in one action. ---------------------------
    context, head_page = _own_browser(browser, live_server)
    browsers.append(context)
    log_in(head_page, _account("000950", "広報 課長", "kacho@hokuto.example.jp", "広報課"))
    head_page.goto("/department/")
    found["department page"] = axe_violations(head_page, axe_js)
    head_page.screenshot(path=str(shots_dir / "year-department.png"), full_page=True)
    head_page.get_by_role("link", name="未修了の全員に督促").click()
    expect(head_page.get_by_role("heading", level=1)).to_have_text("未修了の全員に督促")
    expect(head_page.get_by_text("000203 広沢 遅")).to_be_visible()
    found["remind-all confirmation"] = axe_violations(head_page, axe_js)
    head_page.get_by_role("button", name="督促メールを送信する").click()
    expect(head_page.get_by_role("status")).to_contain_text("人に督促メールを送信しました")

    # --- 6. The April reorganisation, prepared before 4月1日: both files again, one commit. -------
    _upload_both(
        hr_page,
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
    expect(hr_page.get_by_test_id("departments-table-rename")).to_contain_text("広報課 → 広報戦略課")
    expect(hr_page.get_by_test_id("departments-table-move")).to_contain_text("上位所属: 1000 → 2000")
    expect(hr_page.get_by_test_id("staff-table-deactivate")).to_contain_text("退田 職")
    expect(hr_page.get_by_text(re.compile("適用日（.*）が先の日付です"))).to_be_visible()  # what waits for the day
    found["april dry run"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-april-dry-run.png"), full_page=True)
    hr_page.get_by_role("button", name="取り込む").click()
    expect(hr_page.get_by_text("「名簿.csv」を取り込みました。")).to_be_visible()

    # Until the day: today's organisation and people; the changes are recorded for 4月1日.
    kouchou = Department.objects.get(municipality=hokuto, code="3200")
    assert kouchou.parent.code == "1000"
    assert Department.objects.get(municipality=hokuto, code="3100").name == "広報課"
    leaver.refresh_from_db()
    assert leaver.is_active
    assert not DepartmentMembership.objects.on(april).filter(staff=leaver).exists()

    # 4月1日: the daily job (apply_department_history) makes them current.
    assert people_services.department_changes_apply(municipality=hokuto, on=april)["deactivated"] == 1
    kouchou.refresh_from_db()
    assert kouchou.parent.code == "2000"
    assert Department.objects.get(municipality=hokuto, code="3100").name == "広報戦略課"
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert DepartmentMembership.objects.on(april - datetime.timedelta(days=1)).get(staff=leaver).department.code

    # --- 7. Last year's department report: last year's names, last year's tree. -----------------
    hr_page.goto("/admin/hr-reports/departments/")  # the latest cycle that opened: the 年度 just ended
    results = hr_page.locator("#listing-results")
    expect(results).to_contain_text("広報課")
    expect(results).not_to_contain_text("広報戦略課")
    codes = _summary_codes(hr_page)
    # 広聴課 still under 企画部 (before 総務部), as it stood on 31 March.
    assert codes.index("1000") < codes.index("3200") < codes.index("2000"), codes
    found["last year's report"] = axe_violations(hr_page, axe_js)
    hr_page.screenshot(path=str(shots_dir / "year-last-years-report.png"), full_page=True)

    # --- 8. The person who left: HR erases their personal data; the evidence stays. --------------
    hr_page.goto("/admin/personal-data/")
    hr_page.get_by_label("職員番号または氏名").fill("000202")
    hr_page.get_by_role("button", name="検索").click()
    hr_page.get_by_role("link", name="000202").click()
    # First the disclosure (本人開示) HR prepares on the person's written request.
    hr_page.get_by_label("開示請求の内容（受付番号・受付日など）").fill("開示請求 第1号")
    with hr_page.expect_download() as info:
        hr_page.get_by_role("button", name="開示ファイルを作成する").click()
    archive = _zip_of(info.value)
    assert archive.read("00_summary.pdf").startswith(b"%PDF")
    profile = archive.read("01_profile.csv").decode("utf-8-sig")
    assert "000202" in profile and CITY in profile
    hr_page.get_by_role("link", name="個人情報の消去へ進む").click()
    expect(hr_page.get_by_role("heading", name="残すもの")).to_be_visible()
    found["erasure"] = axe_violations(hr_page, axe_js)
    hr_page.get_by_label("確認のため、この職員の職員番号を入力してください").fill("000202")
    hr_page.get_by_role("button", name="個人情報を消去する").click()
    expect(hr_page.get_by_text("の個人情報を消去しました")).to_be_visible()
    leaver.refresh_from_db()
    assert leaver.name == "（消去済み）" and leaver.staff_number == "000202"
    assert leaver.completion_records.count() == 1  # kept until the retention period ends

    for context in browsers:
        context.close()
    assert not any(found.values()), _report(found)
