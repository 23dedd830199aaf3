"""The staff roster import: reading the file (encodings, header, every bad line), the dry run
(writes nothing, a fixed number of queries) and the commit (all or nothing, history, log-in,
the roster_changed signal, refused twice or when stale)."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from people import roster, services
from people.models import Department, DepartmentMembership, RosterImport, StaffMember, User
from people.services import PeopleError, RosterPlanChanged
from people.signals import roster_changed
from tests.factories import (
    PASSWORD,
    MunicipalityFactory,
    StaffMemberFactory,
    department_tree,
    roster_csv,
)

pytestmark = pytest.mark.django_db

Role = StaffMember.Role
TODAY = timezone.localdate


@pytest.fixture
def world():
    ashiya, sukagawa = MunicipalityFactory.ashiya(), MunicipalityFactory.sukagawa()
    tree = department_tree(ashiya, sukagawa)

    def staff(number, name, department, role=Role.EMPLOYEE, municipality=ashiya, **kwargs):
        return StaffMemberFactory(
            municipality=municipality, department=department, staff_number=number, name=name, role=role, **kwargs
        )

    people = {
        "hr": staff("000900", "人事 太郎", tree["jinji"], Role.HR),
        "taro": staff("000101", "芦屋 太郎", tree["koho"]),
        "head": staff("000102", "芦屋 係長", tree["koho_kakari"], Role.DEPARTMENT_HEAD),
        "hanako": staff("000103", "芦田 花子", tree["somu"]),
        "suka": staff("000101", "須賀 一郎", tree["s_somu"], municipality=sukagawa),
    }
    services.staff_deactivate(staff=people["hanako"], on=datetime.date(2025, 3, 31))
    return type("World", (), {"ashiya": ashiya, "sukagawa": sukagawa, "tree": tree, **people})


def line(
    number, name="芦屋 太郎", code="1100", *, kana="ショクイン", kind="一般職", start="2020-04-01", email="", active="1"
):
    return ",".join([number, name, kana, code, kind, start, email, active])


def unchanged(world, key) -> str:
    """The line that says of a person exactly what the database says."""
    member = getattr(world, key)
    member.refresh_from_db()
    return line(
        member.staff_number,
        member.name,
        member.department.code,
        start=member.start_date.isoformat(),
        email=member.user.email,
        active="1" if member.is_active else "0",
    )


def plan(world, *lines, user=None, **kwargs):
    return roster.staff_plan(municipality=world.ashiya, content=roster_csv(*lines, **kwargs), user=user)


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (User, StaffMember, EmailAddress, DepartmentMembership, Department)
    }


def commit(world, content: bytes, *, user=None) -> RosterImport:
    user = user or world.hr.user
    upload = services.roster_import_create(
        municipality=world.ashiya, kind="staff", file_name="meibo.csv", content=content, user=user
    )
    return services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=user)


# --- encodings and the header ---------------------------------------------------------------


class TestReading:
    def test_utf8_without_bom(self, world):
        result = plan(world, line("000201", "新人 一郎"))
        assert result.encoding == "utf-8"
        assert [(r.kind, r.number, r.name) for r in result.rows] == [("create", "000201", "新人 一郎")]

    def test_utf8_with_bom_as_excel_csv_utf8_writes_it(self, world):
        result = plan(world, line("000201", "新人 一郎"), bom=True, newline="\r\n")
        assert result.encoding == "utf-8-sig"
        assert result.summary()["encoding_label"] == "UTF-8（BOM付き）"
        assert result.rows[0].number == "000201"  # the BOM is not part of the first column's name

    def test_cp932_with_crlf_as_japanese_excel_saves_it(self, world):
        # 髙 and 﨑 exist only in CP932 (the IBM/NEC extensions), not in plain Shift_JIS.
        content = roster_csv(
            line("000201", "髙橋 一郎", "2100", kana="タカハシ イチロウ"),
            line("000202", "山﨑 花子", "1110", kana="ﾔﾏｻﾞｷ ﾊﾅｺ", kind="会計年度任用職員", start="2025/4/1"),
            encoding="cp932",
            newline="\r\n",
        )
        upload = services.roster_import_create(
            municipality=world.ashiya, kind="staff", file_name="名簿.csv", content=content, user=world.hr.user
        )
        assert upload.encoding == "cp932"
        assert upload.summary["encoding_label"] == "Shift_JIS（CP932）"
        services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=world.hr.user)

        takahashi = StaffMember.objects.get(municipality=world.ashiya, staff_number="000201")
        yamazaki = StaffMember.objects.get(municipality=world.ashiya, staff_number="000202")
        assert (takahashi.name, takahashi.department.code) == ("髙橋 一郎", "2100")
        # Half-width katakana (old payroll systems) is stored full-width.
        assert (yamazaki.name, yamazaki.kana) == ("山﨑 花子", "ヤマザキ ハナコ")
        assert yamazaki.employment_type == "fiscal_year"
        assert yamazaki.start_date == datetime.date(2025, 4, 1)

    def test_undecodable_bytes_are_refused_naming_the_encodings(self, world):
        content = roster_csv(line("000201")) + b"\xff\xfe\x80"
        with pytest.raises(roster.RosterFileError, match="UTF-8 または Shift_JIS"):
            roster.staff_plan(municipality=world.ashiya, content=content)

    def test_header_in_full_width_with_spaces_and_extra_columns(self, world):
        header = " 職員番号 ,氏名,ｶﾅ,所属コード,任用形態,着任日,メールアドレス,在職,備考,内線"
        result = plan(world, line("000201", "新人 一郎") + ",メモ,1234", header=header)
        assert result.rows[0].kind == "create"
        assert result.extra_columns == ["備考", "内線"]
        assert "次の列は使わずに無視します：備考、内線" in result.warnings

    def test_columns_in_another_order(self, world):
        header = "在職,メール,着任日,任用形態,所属コード,カナ,氏名,職員番号"
        result = plan(world, "1,,2020-04-01,一般職,2100,シンジン,新人 一郎,000201", header=header)
        row = result.rows[0]
        assert (row.number, row.name, row.department_id) == ("000201", "新人 一郎", world.tree["jinji"].pk)

    def test_a_missing_column_is_a_file_error_naming_it(self, world):
        header = "職員番号,氏名,カナ,任用形態,着任日,メール"
        with pytest.raises(roster.RosterFileError) as excinfo:
            plan(world, "000201,新人,シンジン,一般職,2020-04-01,", header=header)
        assert "必要な列がありません：所属コード、在職" in str(excinfo.value)

    def test_a_column_twice_is_a_file_error(self, world):
        with pytest.raises(roster.RosterFileError, match="「氏名」が2回"):
            plan(
                world,
                line("000201") + ",x",
                header=roster.STAFF_COLUMNS[0] + ",氏名," + ",".join(roster.STAFF_COLUMNS[1:]),
            )

    def test_an_empty_file_and_a_header_only_file(self, world):
        with pytest.raises(roster.RosterFileError, match="ファイルが空です"):
            roster.staff_plan(municipality=world.ashiya, content=b"")
        with pytest.raises(roster.RosterFileError, match="データ行がありません"):
            plan(world)

    def test_blank_lines_are_skipped_and_line_numbers_are_the_files(self, world):
        result = plan(world, "", line("000201", "新人 一郎"), ",,,,,,,", line("000202", "新人 二郎", "9999"))
        assert result.rows[0].line == 3
        assert [(e.line, e.key) for e in result.errors] == [(5, "000202")]

    def test_a_quoted_value_over_two_lines_keeps_the_numbering(self, world):
        result = plan(
            world, '000201,"新人\n一郎",シンジン,1100,一般職,2020-04-01,,1', line("000202", "新人 二郎", "9999")
        )
        assert result.rows[0].name == "新人\n一郎"
        assert result.errors[0].line == 4

    def test_over_10_mb_is_refused_before_reading(self, world):
        content = roster_csv(line("000201")) + b"#" * (10 * 1024 * 1024)
        with pytest.raises(PeopleError, match=r"ファイルが大きすぎます（10\.0 MB）。10 MB 以下"):
            services.roster_import_create(
                municipality=world.ashiya, kind="staff", file_name="big.csv", content=content, user=world.hr.user
            )
        assert not RosterImport.objects.exists()

    def test_over_100000_lines_is_refused(self, world):
        rows = [line(f"{i:06d}", "大量 太郎") for i in range(100_001)]
        content = roster_csv(*rows)
        assert len(content) < 10 * 1024 * 1024
        with pytest.raises(PeopleError, match="データ行が多すぎます（100,000行まで）"):
            services.roster_import_create(
                municipality=world.ashiya, kind="staff", file_name="many.csv", content=content, user=world.hr.user
            )
        assert not RosterImport.objects.exists()

    def test_the_line_limit_counts_data_lines(self, world, settings):
        settings.ROSTER_MAX_LINES = 3
        assert len(plan(world, *[line(f"00020{i}", "新人") for i in range(3)]).rows) == 3
        with pytest.raises(roster.RosterFileError, match="3行まで"):
            plan(world, *[line(f"00020{i}", "新人") for i in range(4)])


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-01", datetime.date(2025, 4, 1)),
        ("2025/4/1", datetime.date(2025, 4, 1)),
        ("２０２５／０４／０１", datetime.date(2025, 4, 1)),
        ("2025年4月1日", datetime.date(2025, 4, 1)),
        ("令和7年4月1日", datetime.date(2025, 4, 1)),
        ("R7.4.1", datetime.date(2025, 4, 1)),
        ("令和元年5月1日", datetime.date(2019, 5, 1)),
        ("H31.4.30", datetime.date(2019, 4, 30)),
        ("平成31年5月1日", None),  # 令和元年 by then
        ("S64.1.7", datetime.date(1989, 1, 7)),
        ("2025-02-30", None),
        ("2025-13-01", None),
        ("4/1/2025", None),
        ("来年度", None),
    ],
)
def test_dates(value, expected):
    assert roster.parse_date(value) == expected


class TestBadLines:
    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (
                line("000201", code="9999"),
                "所属コード「9999」は登録されていません（所属マスタを先に取り込んでください）。",
            ),
            (line("000201", code="2000", start="2025-02-30"), "着任日「2025-02-30」は日付ではありません"),
            (line("000201", start=""), "着任日が空です。"),
            (
                line("000201", kind="臨時職員"),
                "任用形態「臨時職員」は使えません（一般職、特別職、再任用職員、会計年度任用職員、委託事業者、指定管理者 のいずれか）。",
            ),
            (
                line("000201", active="在籍"),
                "在職の値「在籍」は使えません（1/0、在職/退職、TRUE/FALSE、○/× のいずれか）。",
            ),
            (line("000201", email="not-an-address"), "メールアドレス「not-an-address」の形が正しくありません。"),
            (
                # Someone else (another 氏名): 000101's namesake with the address would be a 警告 (0031).
                line("000201", "新人 一郎", email="s000101@ashiya.example.jp"),
                "メールアドレス s000101@ashiya.example.jp は職員番号 000101 の人が使っています。",
            ),
            (
                line("000201", email="S000101@sukagawa.example.jp"),
                "メールアドレス s000101@sukagawa.example.jp は別のアカウントが使っています。",
            ),
            (line("000201", name=""), "氏名が空です。"),
            (line("000201", name="長" * 101), "氏名が長すぎます（100文字以内）。"),
            (line("000201", kana="カ" * 101), "カナが長すぎます（100文字以内）。"),
            (line("職員201"), "職員番号は半角英数字とハイフン（20文字以内）で入力してください。"),
            (line("0" * 21), "職員番号は半角英数字とハイフン（20文字以内）で入力してください。"),
            (line(""), "職員番号が空です。"),
            ("000201,新人,シンジン,1100,一般職", "列が足りません（見出しは8列、この行は5列）。"),
            (line("000201", name="芦屋,太郎"), "列が多すぎます（見出しは8列、この行は9列）。"),
        ],
    )
    def test_each_reason_with_the_line_number(self, world, bad, message):
        result = plan(world, line("000201", "新人 一郎") if "000201" not in bad else line("000299", "新人"), bad)
        assert [(e.line, message in e.message) for e in result.errors] == [(3, True)], result.errors
        assert result.has_errors

    def test_a_staff_number_twice_marks_both_lines(self, world):
        result = plan(world, line("000201", "新人 一郎"), line("000202", "新人 二郎"), line("000201", "新人 三郎"))
        assert [(e.line, e.message) for e in result.errors] == [
            (2, "職員番号がファイル内で重複しています（2行目、4行目）。"),
            (4, "職員番号がファイル内で重複しています（2行目、4行目）。"),
        ]
        assert [r.number for r in result.rows] == ["000202"]

    def test_a_staff_number_differing_only_in_case_from_a_registered_one(self, world):
        StaffMemberFactory(municipality=world.ashiya, department=world.tree["koho"], staff_number="A-100")
        result = plan(world, line("a-100", "別人"))
        assert result.errors[0].message == "職員番号 a-100 は登録済みの A-100 と大文字・小文字だけが違います。"

    def test_one_address_on_two_lines(self, world):
        result = plan(
            world, line("000201", email="new@ashiya.example.jp"), line("000202", email="NEW@ashiya.example.jp")
        )
        assert {e.line for e in result.errors} == {2, 3}
        assert "new@ashiya.example.jp がファイル内で重複しています（2行目、3行目）" in result.errors[0].message

    def test_several_reasons_on_one_line_are_all_given(self, world):
        result = plan(world, line("000201", name="", code="9999", start="昨日"))
        message = result.errors[0].message
        assert "氏名が空です。" in message and "所属コード「9999」" in message and "着任日「昨日」" in message

    def test_hr_cannot_deactivate_themselves(self, world):
        result = plan(
            world,
            line("000900", "人事 太郎", "2100", email="s000900@ashiya.example.jp", active="0"),
            user=world.hr.user,
        )
        assert result.errors[0].message.startswith("ご自身を退職にすることはできません")

    def test_a_formula_like_value_is_kept_as_text(self, world):
        formula = "=cmd|' /C calc'!A0"
        commit(world, roster_csv(line("000201", f'"{formula}"', kana="@SUM(1+1)")))
        member = StaffMember.objects.get(municipality=world.ashiya, staff_number="000201")
        assert (member.name, member.kana) == (formula, "@SUM(1+1)")

    def test_the_error_list_download_escapes_formula_cells(self, world):
        result = plan(world, line("=1+2", "悪意"), line("000201", code="=HYPERLINK(1)"))
        text = roster.errors_csv(result).decode("utf-8-sig")
        rows = text.splitlines()
        assert rows[0] == "行,職員番号,理由"
        assert rows[1].startswith("2,'=1+2,")
        assert "「=HYPERLINK(1)」" in rows[2]  # inside the message, not at a cell's start
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.split(","))


# --- the dry run ----------------------------------------------------------------------------


class TestPlan:
    def test_each_kind_of_change(self, world):
        result = plan(
            world,
            line("000201", "新人 一郎", "2100", email="new@ashiya.example.jp"),  # create
            unchanged(world, "taro").replace(",1100,", ",2100,"),  # transfer
            unchanged(world, "hr").replace("人事 太郎", "人事 太朗"),  # update
            unchanged(world, "head")[:-1] + "退職",  # deactivate (a 所属長)
            unchanged(world, "hanako")[:-1] + "○",  # reactivate
            line("000202", "退職 済子", active="0"),  # skip: never registered
            user=world.hr.user,
        )
        assert not result.errors
        assert [(r.line, r.kind) for r in result.rows] == [
            (2, "create"),
            (3, "transfer"),
            (4, "update"),
            (5, "deactivate"),
            (6, "reactivate"),
            (7, "skip"),
        ]
        update = result.rows[2]
        assert update.changes == {"name": ("人事 太郎", "人事 太朗")}
        assert result.rows[3].demote
        summary = result.summary()
        assert summary["counts"] == {
            "create": 1,
            "transfer": 1,
            "update": 1,
            "deactivate": 1,
            "reactivate": 1,
            "skip": 1,
            "unchanged": 0,
        }
        transfer_table = next(t for t in summary["tables"] if t["kind"] == "transfer")
        assert transfer_table["rows"][0]["detail"] == "広報課（1100） → 人事課（2100）"
        update_table = next(t for t in summary["tables"] if t["kind"] == "update")
        assert update_table["rows"][0]["detail"] == "氏名: 人事 太郎 → 人事 太朗"
        deactivate_table = next(t for t in summary["tables"] if t["kind"] == "deactivate")
        assert deactivate_table["rows"][0]["note"] == "所属長の役割を外し、「職員」にします。"
        assert "退職にする所属長が1人います。所属長の役割を外し、「職員」にします。" in summary["warnings"]

    def test_values_accepted_in_their_usual_spellings(self, world):
        result = plan(
            world,
            unchanged(world, "taro").replace(",一般職,", ",再任用,").replace(",2020-04-01,", ",R2.4.1,")[:-1] + "TRUE",
            unchanged(world, "head")[:-1] + "〇",
            "０００２０１,全角 一郎,ゼンカク,１１００,一般職,2020/04/01,ZENKAKU@Ashiya.Example.JP,在職",
        )
        assert not result.errors
        taro, head, new = result.rows
        assert taro.changes == {"employment_type": ("regular", "reappointed")}
        assert head.kind == "unchanged"
        assert (new.number, new.email, new.department_id) == (
            "000201",
            "zenkaku@ashiya.example.jp",
            world.tree["koho"].pk,
        )

    def test_people_missing_from_the_file_are_listed_and_left_alone(self, world):
        result = plan(world, unchanged(world, "taro"))
        assert [a[:2] for a in result.absent] == [("000102", "芦屋 係長"), ("000900", "人事 太郎")]
        assert any(w.startswith("ファイルにない在職者が2人います。この人たちは変更しません") for w in result.warnings)
        assert result.absent[0][2] == "広報係（1110）"

    def test_an_empty_address_keeps_the_current_one(self, world):
        result = plan(world, unchanged(world, "taro").replace("s000101@ashiya.example.jp", ""))
        assert result.rows[0].kind == "unchanged"

    def test_two_people_may_swap_addresses(self, world):
        taro = unchanged(world, "taro").replace("s000101@", "s000102@")
        head = unchanged(world, "head").replace("s000102@", "s000101@")
        result = plan(world, taro, head)
        assert not result.errors
        commit(world, roster_csv(taro, head))
        assert User.objects.get(pk=world.taro.user_id).email == "s000102@ashiya.example.jp"
        assert EmailAddress.objects.get(user_id=world.head.user_id).email == "s000101@ashiya.example.jp"
        assert authenticate(email="s000102@ashiya.example.jp", password=PASSWORD) == world.taro.user

    def test_the_dry_run_writes_nothing(self, world):
        before = counts()
        users_before = list(User.objects.order_by("pk").values_list("pk", "first_name", "email", "is_active"))
        upload = services.roster_import_create(
            municipality=world.ashiya,
            kind="staff",
            file_name="meibo.csv",
            content=roster_csv(
                line("000201", "新人 一郎", "2100", email="new@ashiya.example.jp"),
                unchanged(world, "taro").replace(",1100,", ",2100,"),
                unchanged(world, "head")[:-1] + "0",
                unchanged(world, "hanako")[:-1] + "1",
            ),
            user=world.hr.user,
        )
        assert upload.status == RosterImport.Status.DRY_RUN
        assert upload.summary["counts"]["create"] == 1
        assert counts() == before
        assert list(User.objects.order_by("pk").values_list("pk", "first_name", "email", "is_active")) == users_before
        assert StaffMember.objects.get(pk=world.taro.pk).department_id == world.tree["koho"].pk

    def test_the_dry_run_reads_in_a_fixed_number_of_queries(self, world):
        def queries(n: int) -> int:
            lines = [unchanged(world, "taro"), unchanged(world, "head")]
            lines += [line(f"{300 + i:06d}", f"新人 {i}", "2100", email=f"n{i}@ashiya.example.jp") for i in range(n)]
            content = roster_csv(*lines)
            with CaptureQueriesContext(connection) as captured:
                result = roster.staff_plan(municipality=world.ashiya, content=content)
            assert len(result.rows) == n + 2 and not result.errors
            return len(captured)

        # departments, staff with their users, usernames without staff, addresses, users' e-mail
        assert queries(10) == queries(200) == 5

    def test_a_summary_shows_at_most_200_rows_per_table(self, world):
        result = plan(world, *[line(f"{300 + i:06d}", f"新人 {i}") for i in range(230)])
        table = result.summary()["tables"][0]
        assert (table["count"], len(table["rows"]), table["more"]) == (230, 200, 30)


# --- the commit -----------------------------------------------------------------------------


class TestCommit:
    def test_creates_people_who_log_in_by_staff_number_or_email(self, world):
        commit(
            world,
            roster_csv(
                line("000201", "新人 一郎", "2100", email="Shinjin@Ashiya.example.jp"),
                line("000202", "新人 二郎", "1110", kind="委託事業者"),
            ),
        )
        one = StaffMember.objects.select_related("user").get(municipality=world.ashiya, staff_number="000201")
        two = StaffMember.objects.select_related("user").get(municipality=world.ashiya, staff_number="000202")
        assert one.user.username == "282065-000201"
        assert EmailAddress.objects.get(user=one.user).email == "shinjin@ashiya.example.jp"
        assert not two.user.has_usable_password()  # HR sends a password reset; none is guessable
        assert two.employment_type == "contractor"
        assert (one.role, one.is_active, one.user.is_active) == (Role.EMPLOYEE, True, True)
        membership = DepartmentMembership.objects.get(staff=one)
        assert (membership.department.code, membership.valid_from, membership.valid_to) == (
            "2100",
            datetime.date(2020, 4, 1),
            None,
        )

    def test_a_transfer_keeps_the_history(self, world):
        yesterday = TODAY() - datetime.timedelta(days=1)
        commit(world, roster_csv(unchanged(world, "taro").replace(",1100,", ",2100,")))

        taro = StaffMember.objects.get(pk=world.taro.pk)
        assert taro.department.code == "2100"
        history = list(DepartmentMembership.objects.filter(staff=taro).order_by("valid_from"))
        assert [(m.department.code, m.valid_from, m.valid_to) for m in history] == [
            ("1100", datetime.date(2020, 4, 1), TODAY()),
            ("2100", TODAY(), None),
        ]
        assert DepartmentMembership.objects.on(yesterday).get(staff=taro).department.code == "1100"
        assert DepartmentMembership.objects.on(TODAY()).get(staff=taro).department.code == "2100"

    def test_deactivation_stops_log_in_closes_the_history_and_demotes_a_head(self, world):
        assert authenticate(username="282065-000102", password=PASSWORD) == world.head.user
        commit(world, roster_csv(unchanged(world, "head")[:-1] + "0"))

        head = StaffMember.objects.select_related("user").get(pk=world.head.pk)
        assert (head.is_active, head.user.is_active, head.role) == (False, False, Role.EMPLOYEE)
        assert authenticate(username="282065-000102", password=PASSWORD) is None
        assert not DepartmentMembership.objects.open().filter(staff=head).exists()
        assert DepartmentMembership.objects.get(staff=head).valid_to == TODAY()

    def test_reactivation_lets_them_log_in_again_in_the_new_department(self, world):
        commit(world, roster_csv(unchanged(world, "hanako").replace(",2000,", ",2100,")[:-1] + "1"))
        hanako = StaffMember.objects.select_related("user").get(pk=world.hanako.pk)
        assert (hanako.is_active, hanako.user.is_active, hanako.department.code) == (True, True, "2100")
        assert authenticate(username="282065-000103", password=PASSWORD) == hanako.user
        history = DepartmentMembership.objects.filter(staff=hanako).order_by("valid_from")
        assert [(m.department.code, m.valid_to) for m in history] == [
            ("2000", datetime.date(2025, 3, 31)),
            ("2100", None),
        ]

    def test_updates_change_the_fields_and_the_login_address(self, world):
        taro = (
            unchanged(world, "taro")
            .replace("芦屋 太郎", "芦屋 太朗")
            .replace(",一般職,", ",特別職,")
            .replace("2020-04-01", "2019-04-01")
            .replace("s000101@", "taro.new@")
        )
        commit(world, roster_csv(taro))
        member = StaffMember.objects.select_related("user").get(pk=world.taro.pk)
        assert (member.name, member.employment_type, member.start_date) == (
            "芦屋 太朗",
            "special",
            datetime.date(2019, 4, 1),
        )
        assert (member.user.first_name, member.user.email) == ("芦屋 太朗", "taro.new@ashiya.example.jp")
        assert list(EmailAddress.objects.filter(user=member.user).values_list("email", "primary", "verified")) == [
            ("taro.new@ashiya.example.jp", True, True)
        ]
        assert authenticate(email="taro.new@ashiya.example.jp", password=PASSWORD) == member.user
        assert authenticate(email="s000101@ashiya.example.jp", password=PASSWORD) is None

    def test_the_signal_carries_the_pks_inside_the_transaction(self, world):
        received = []

        def receiver(sender, **kwargs):
            received.append({**kwargs, "in_transaction": connection.in_atomic_block})

        roster_changed.connect(receiver, dispatch_uid="test-roster-signal")
        try:
            commit(
                world,
                roster_csv(
                    line("000201", "新人 一郎", "2100"),
                    unchanged(world, "taro").replace(",1100,", ",2100,"),
                    unchanged(world, "hr").replace("人事 太郎", "人事 太朗"),
                    unchanged(world, "head")[:-1] + "0",
                    unchanged(world, "hanako")[:-1] + "1",
                ),
            )
        finally:
            roster_changed.disconnect(dispatch_uid="test-roster-signal")
        new = StaffMember.objects.get(municipality=world.ashiya, staff_number="000201")
        assert len(received) == 1
        signal = received[0]
        assert signal["created"] == [new.pk]
        assert signal["transferred"] == [world.taro.pk]
        assert signal["deactivated"] == [world.head.pk]
        assert signal["reactivated"] == [world.hanako.pk]
        assert signal["municipality"] == world.ashiya
        assert signal["on"] == TODAY()
        assert signal["in_transaction"]

    def test_nothing_is_written_when_a_receiver_fails(self, world):
        before = counts()

        def receiver(sender, **kwargs):
            raise RuntimeError("training failed")

        roster_changed.connect(receiver, dispatch_uid="test-roster-failing")
        upload = services.roster_import_create(
            municipality=world.ashiya,
            kind="staff",
            file_name="meibo.csv",
            content=roster_csv(line("000201", "新人 一郎"), unchanged(world, "taro").replace(",1100,", ",2100,")),
            user=world.hr.user,
        )
        try:
            with pytest.raises(RuntimeError):
                services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=world.hr.user)
        finally:
            roster_changed.disconnect(dispatch_uid="test-roster-failing")
        assert counts() == before
        assert StaffMember.objects.get(pk=world.taro.pk).department.code == "1100"
        upload.refresh_from_db()
        assert upload.status == RosterImport.Status.DRY_RUN

    def test_a_file_with_an_error_line_writes_nothing(self, world):
        before = counts()
        upload = services.roster_import_create(
            municipality=world.ashiya,
            kind="staff",
            file_name="meibo.csv",
            content=roster_csv(line("000201", "新人 一郎"), line("000202", "新人 二郎", "9999")),
            user=world.hr.user,
        )
        with pytest.raises(PeopleError, match="エラーのある行が1件あるため、取り込めません"):
            services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=world.hr.user)
        assert counts() == before
        upload.refresh_from_db()
        assert upload.status == RosterImport.Status.DRY_RUN

    def test_is_logged_with_counts(self, world):
        upload = commit(world, roster_csv(line("000201", "新人 一郎"), unchanged(world, "taro")))
        entry = ModelLogEntry.objects.get(action="people.roster_imported")
        assert entry.object_id == str(upload.pk)
        assert entry.user_id == world.hr.user_id
        assert entry.data["counts"] == {"create": 1, "unchanged": 1}
        assert entry.data["lines"] == 2
        assert upload.committed_by == world.hr.user and upload.committed_at is not None

    def test_a_second_commit_is_refused(self, world):
        upload = commit(world, roster_csv(line("000201", "新人 一郎")))
        before = counts()
        with pytest.raises(PeopleError, match="既に取り込まれています"):
            services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=world.hr.user)
        assert counts() == before
        assert ModelLogEntry.objects.filter(action="people.roster_imported").count() == 1

    def test_a_stale_plan_is_refused_and_the_new_one_shown(self, world):
        upload = services.roster_import_create(
            municipality=world.ashiya,
            kind="staff",
            file_name="meibo.csv",
            content=roster_csv(line("000201", "新人 一郎"), unchanged(world, "taro").replace(",1100,", ",2100,")),
            user=world.hr.user,
        )
        # Someone transfers 芦屋 太郎 by hand between the dry run and the commit.
        services.staff_transfer(staff=world.taro, department=world.tree["somu"])
        before = counts()

        with pytest.raises(RosterPlanChanged, match="確認した後に職員・所属のデータが変わったため") as excinfo:
            services.roster_import_commit(roster_import=upload, plan_digest=upload.plan_digest, user=world.hr.user)

        assert counts() == before
        assert not StaffMember.objects.filter(staff_number="000201", municipality=world.ashiya).exists()
        refreshed = services.roster_import_refresh(roster_import=upload, plan=excinfo.value.plan)
        transfer = next(t for t in refreshed.summary["tables"] if t["kind"] == "transfer")
        assert transfer["rows"][0]["detail"] == "総務部（2000） → 人事課（2100）"
        services.roster_import_commit(roster_import=refreshed, plan_digest=refreshed.plan_digest, user=world.hr.user)
        assert StaffMember.objects.get(pk=world.taro.pk).department.code == "2100"

    def test_another_municipalitys_people_are_never_touched(self, world):
        commit(world, roster_csv(line("000101", "芦屋 太郎", "2100", email="s000101@ashiya.example.jp")))
        suka = StaffMember.objects.get(pk=world.suka.pk)
        assert (suka.name, suka.department.code, suka.municipality) == ("須賀 一郎", "2000", world.sukagawa)
