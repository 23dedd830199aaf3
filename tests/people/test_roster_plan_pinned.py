"""The staff roster's dry run pinned line by line on a file with every kind of line and every
kind of error: what each line becomes, each error message, the warnings and the absent list.
Written before people/roster was split into column cleaners, cross-row checks and change
classification (issue 11), so that the split is held to exactly the same plan."""

from __future__ import annotations

import pytest

from people import roster
from tests.factories import StaffMemberFactory

from .test_roster import line, unchanged, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db

HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職,備考"


def _lines(world):  # noqa: F811
    return [
        unchanged(world, "taro") + ",",
        line("000102", "芦屋 係長", "1110", email="head@example.jp", active="0") + ",退職",
        line("000103", "芦田 花子", "2000", active="1") + ",",
        line("000104", "新人 一郎", "1100", kind="会計年度任用職員", start="令和8年4月1日") + ",",
        line("000105", "退職 済子", "1100", active="0") + ",",
        line("000900", "人事 太郎", "2100", active="0") + ",",
        line("", "空 番号", "1100") + ",",
        line("00-1!", "記号 番号", "1100") + ",",
        line("000201", "", "1100") + ",",
        line("000202", "長" * 101, "1100") + ",",
        line("000203", "カナ 長", "1100", kana="ア" * 101) + ",",
        line("000204", "所属 空", "") + ",",
        line("000205", "所属 不明", "9999") + ",",
        line("000206", "任用 不明", "1100", kind="臨時") + ",",
        line("000207", "着任 空", "1100", start="") + ",",
        line("000208", "着任 不正", "1100", start="2026-13-40") + ",",
        line("000209", "メール 長", "1100", email="a" * 250 + "@example.jp") + ",",
        line("000210", "メール 不正", "1100", email="not-an-address") + ",",
        line("000211", "在職 不明", "1100", active="たぶん") + ",",
        line("000212", "重複 一", "1100") + ",",
        line("000212", "重複 二", "1100") + ",",
        line("000213", "メール 重複一", "1100", email="same@example.jp") + ",",
        line("000214", "メール 重複二", "1100", email="same@example.jp") + ",",
        line("000215", "他人 メール", "1100", email=world.hr.user.email) + ",",
        "000216,短い 行",
        line("000106", "芦屋 次郎改", "1110", kana="アシヤ", kind="再任用職員", start="2021-04-01") + ",",
        line("000107", "芦屋 三郎", "1100", kana="サブロウ", email="saburo@example.jp") + ",",
    ]


def _pinned(plan) -> dict:
    return {
        "rows": [(r.line, r.number, r.kind, sorted(r.changes), r.demote) for r in plan.rows],
        "errors": [(e.line, e.key, e.message) for e in plan.errors],
        "warnings": plan.warnings,
        "absent": plan.absent,
        "counts": plan.counts(),
    }


def test_every_kind_of_line_is_planned_as_before(world):  # noqa: F811
    for number, name in (("000106", "芦屋 次郎"), ("000107", "芦屋 三郎")):
        StaffMemberFactory(municipality=world.ashiya, department=world.tree["koho"], staff_number=number, name=name)
    plan = roster.staff_plan(
        municipality=world.ashiya,
        content="\n".join([HEADER, *_lines(world)]).encode() + b"\n",
        user=world.hr.user,
    )

    assert _pinned(plan) == EXPECTED


EXPECTED: dict = {
    "absent": [],
    "counts": {"create": 1, "deactivate": 1, "reactivate": 1, "skip": 1, "transfer": 1, "unchanged": 1, "update": 1},
    "errors": [
        (7, "000900", "ご自身を退職にすることはできません（別の人事担当者が取り込んでください）。"),
        (8, "", "職員番号が空です。"),
        (9, "00-1!", "職員番号は半角英数字とハイフン（20文字以内）で入力してください。"),
        (10, "000201", "氏名が空です。"),
        (11, "000202", "氏名が長すぎます（100文字以内）。"),
        (12, "000203", "カナが長すぎます（100文字以内）。"),
        (13, "000204", "所属コードが空です。"),
        (14, "000205", "所属コード「9999」は登録されていません（所属マスタを先に取り込んでください）。"),
        (
            15,
            "000206",
            "任用形態「臨時」は使えません（一般職、特別職、再任用職員、会計年度任用職員、委託事業者、指定管理者 のいずれか）。",
        ),
        (16, "000207", "着任日が空です。"),
        (
            17,
            "000208",
            "着任日「2026-13-40」は日付ではありません（YYYY-MM-DD、YYYY/MM/DD または 令和7年4月1日 の形で）。",
        ),
        (18, "000209", "メールアドレスが長すぎます（254文字以内）。"),
        (19, "000210", "メールアドレス「not-an-address」の形が正しくありません。"),
        (20, "000211", "在職の値「たぶん」は使えません（1/0、在職/退職、TRUE/FALSE、○/× のいずれか）。"),
        (21, "000212", "職員番号がファイル内で重複しています（21行目、22行目）。"),
        (22, "000212", "職員番号がファイル内で重複しています（21行目、22行目）。"),
        (23, "000213", "メールアドレス same@example.jp がファイル内で重複しています（23行目、24行目）。"),
        (24, "000214", "メールアドレス same@example.jp がファイル内で重複しています（23行目、24行目）。"),
        (25, "000215", "メールアドレス s000900@ashiya.example.jp は職員番号 000900 の人が使っています。"),
        (26, "000216", "列が足りません（見出しは9列、この行は2列）。"),
    ],
    "rows": [
        (2, "000101", "unchanged", [], False),
        (3, "000102", "deactivate", ["email"], True),
        (4, "000103", "reactivate", [], False),
        (5, "000104", "create", [], False),
        (6, "000105", "skip", [], False),
        (27, "000106", "transfer", ["department", "employment_type", "kana", "name", "start_date"], False),
        (28, "000107", "update", ["email", "kana"], False),
    ],
    "warnings": [
        "退職にする所属長が1人います。所属長の役割を外し、「職員」にします。",
        "次の列は使わずに無視します：備考",
    ],
}


# --- the optional 役割 column (issue 12, decision 0027), pinned the same way -------------------

ROLE_HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職,役割"


def _role_lines(world):  # noqa: F811
    return [
        unchanged(world, "taro") + ",",  # empty: keep
        unchanged(world, "head") + ",職員",  # the head steps down
        line("000104", "新人 一郎", "1110") + ",所属長",  # a new person heads the vacated 広報係
        line("000103", "芦田 花子", "2000") + ",人事課",  # back to work as HR
        line("000106", "芦屋 次郎", "2000") + ",所属長",  # 広報課's head, transferred to 総務部 as its head
        line("000107", "芦屋 三郎", "1100") + ",所属長",  # a second head of 広報課 in the file…
        line("000108", "芦屋 四郎", "1100") + ",HEAD",  # …and a third, by the English name
        line("000109", "芦屋 五郎", "1100") + ",部長",  # not a role
        line("000110", "芦屋 六郎", "1100", active="0") + ",人事課",  # leaving, with a role
        unchanged(world, "hr") + ",職員",  # the importer's own HR role
    ]


def _role_pinned(plan) -> dict:
    summary = plan.summary()
    return {
        **_pinned(plan),
        "roles": [(r.number, r.role, r.changes.get("role")) for r in plan.rows],
        "notes": {row["key"]: row["note"] for table in summary["tables"] for row in table["rows"] if row["note"]},
    }


def test_the_role_column_is_planned_as_pinned(world):  # noqa: F811
    for number in ("000106", "000107", "000108", "000109", "000110"):
        StaffMemberFactory(
            municipality=world.ashiya,
            department=world.tree["koho"],
            staff_number=number,
            name=f"芦屋 {number}",
            role="department_head" if number == "000106" else "employee",  # 広報課's head
        )
    content = "\n".join([ROLE_HEADER, *_role_lines(world)]).encode() + b"\n"
    plan = roster.staff_plan(municipality=world.ashiya, content=content, user=world.hr.user)

    assert _role_pinned(plan) == EXPECTED_ROLES


EXPECTED_ROLES: dict = {
    "absent": [],
    "counts": {"create": 1, "deactivate": 0, "reactivate": 1, "skip": 0, "transfer": 1, "unchanged": 1, "update": 1},
    "errors": [
        (7, "000107", "広報課（1100）の所属長がファイル内で複数います（7行目、8行目）。"),
        (8, "000108", "広報課（1100）の所属長がファイル内で複数います（7行目、8行目）。"),
        (9, "000109", "役割「部長」は使えません（職員、所属長、人事課 のいずれか。空欄は変更なし）。"),
        (10, "000110", "在職でない人に役割（所属長・人事課）は付けられません。"),
        (11, "000900", "ご自身の人事担当の役割は名簿では変えられません。"),
    ],
    "rows": [
        (2, "000101", "unchanged", [], False),
        (3, "000102", "update", ["role"], False),
        (4, "000104", "create", ["role"], False),
        (5, "000103", "reactivate", ["role"], False),
        (6, "000106", "transfer", ["department", "name", "role"], True),
    ],
    "roles": [
        ("000101", None, None),
        ("000102", "employee", ("department_head", "employee")),
        ("000104", "department_head", ("employee", "department_head")),
        ("000103", "hr", ("employee", "hr")),
        ("000106", "department_head", ("employee", "department_head")),
    ],
    "notes": {"000106": "異動先の所属長になります。異動前の所属の所属長は空席になります。"},
    "warnings": [
        "異動する所属長が1人います。所属長は所属のポストのため異動先には引き継がず、"
        "異動前の所属の所属長は空席になります（役割の列で所属長とした人は異動先の所属長になります）。",
    ],
}


# --- roster safety (issue 15, decision 0031): warned lines, choices, retiring the missing ----------


def _safety_lines(world):  # noqa: F811
    return [
        unchanged(world, "taro"),
        unchanged(world, "hr"),
        line("102", "新人 一郎", "1100", kana="シンジン"),  # 000102's zeros dropped
        line("000555", "芦屋 次郎", "2100"),  # 000106's 氏名 + カナ under another number
        line("0000103", "芦田 花子", "2000"),  # the retired 000103, zeros added
        line("000556", "芦屋 次郎", "2100", kana="ジロウ"),  # a namesake with another カナ
        line("104", "退職 済子", "1100", active="0"),  # a new number leaving: skipped, not warned
    ]


def _safety_pinned(plan) -> dict:
    return {
        **_pinned(plan),
        "resembling": [
            (r.line, r.written_number or r.number, r.resembles.number, r.resemblance, r.choice) for r in plan.resembling
        ],
        "retired": [(r.number, r.kind, r.demote) for r in plan.rows if r.retired_missing],
    }


def test_resembling_lines_and_the_retired_missing_are_planned_as_pinned(world):  # noqa: F811
    StaffMemberFactory(
        municipality=world.ashiya, department=world.tree["koho"], staff_number="000106", name="芦屋 次郎"
    )
    content = "\n".join([HEADER.removesuffix(",備考"), *_safety_lines(world)]).encode() + b"\n"

    def planned(**options):
        return _safety_pinned(
            roster.staff_plan(municipality=world.ashiya, content=content, user=world.hr.user, **options)
        )

    assert planned(retire_missing=True) == EXPECTED_SAFETY
    chosen = planned(retire_missing=True, choices={4: "same:000102", 5: "new", 6: "same:000103"})
    assert chosen == EXPECTED_SAFETY_CHOSEN
    assert planned()["retired"] == []  # off by default


SAFETY_WARNING = (
    "登録済みの職員に似ている新しい職員番号の行が3件あります（警告）。"
    "それぞれ「別人として新規登録する」か「既存の職員の番号の誤りとして扱う」かを選ぶまで、取り込めません。"
)

EXPECTED_SAFETY: dict = {
    "absent": [("000102", "芦屋 係長", "広報係（1110）"), ("000106", "芦屋 次郎", "広報課（1100）")],
    "counts": {"create": 4, "deactivate": 2, "reactivate": 0, "skip": 1, "transfer": 0, "unchanged": 2, "update": 0},
    "errors": [],
    "resembling": [
        (4, "102", "000102", "zeros", None),
        (5, "000555", "000106", "name", None),
        (6, "0000103", "000103", "zeros", None),
    ],
    "retired": [("000102", "deactivate", True), ("000106", "deactivate", False)],
    "rows": [
        (2, "000101", "unchanged", [], False),
        (3, "000900", "unchanged", [], False),
        (4, "102", "create", [], False),
        (5, "000555", "create", [], False),
        (6, "0000103", "create", [], False),
        (7, "000556", "create", [], False),
        (8, "104", "skip", [], False),
        (0, "000102", "deactivate", [], True),
        (0, "000106", "deactivate", [], False),
    ],
    "warnings": [
        SAFETY_WARNING,
        "退職にする所属長が1人います。所属長の役割を外し、「職員」にします。",
        "ファイルにない在職者が2人います。「この名簿にない職員を退職扱いにする」を選んだため、"
        "取り込むとこの人たちを退職にします（取込日付け）。",
    ],
}

EXPECTED_SAFETY_CHOSEN: dict = {
    "absent": [("000106", "芦屋 次郎", "広報課（1100）")],
    "counts": {"create": 2, "deactivate": 1, "reactivate": 1, "skip": 1, "transfer": 1, "unchanged": 2, "update": 0},
    "errors": [],
    "resembling": [
        (4, "102", "000102", "zeros", "same"),
        (5, "000555", "000106", "name", "new"),
        (6, "0000103", "000103", "zeros", "same"),
    ],
    "retired": [("000106", "deactivate", False)],
    "rows": [
        (2, "000101", "unchanged", [], False),
        (3, "000900", "unchanged", [], False),
        (4, "000102", "transfer", ["department", "kana", "name"], True),  # the line applied to 000102
        (5, "000555", "create", [], False),
        (6, "000103", "reactivate", [], False),
        (7, "000556", "create", [], False),
        (8, "104", "skip", [], False),
        (0, "000106", "deactivate", [], False),  # chosen as someone else: 000106 is missing
    ],
    "warnings": [
        SAFETY_WARNING,
        "異動する所属長が1人います。所属長は所属のポストのため異動先には引き継がず、"
        "異動前の所属の所属長は空席になります（役割の列で所属長とした人は異動先の所属長になります）。",
        "ファイルにない在職者が1人います。「この名簿にない職員を退職扱いにする」を選んだため、"
        "取り込むとこの人たちを退職にします（取込日付け）。",
    ],
}
