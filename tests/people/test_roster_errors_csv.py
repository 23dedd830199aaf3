"""The roster's error CSV escapes its cells by the one rule the exports use (sns_training/spreadsheet.py):
a 職員番号 or message a spreadsheet would run as a formula gets its apostrophe."""

from __future__ import annotations

import csv
import io

import pytest

from people import roster


@pytest.mark.parametrize("key", ["＝1+1", "－1", "\u3000=SUM(A1)", "\n=1", "@cmd", '=HYPERLINK("x")'])
def test_formula_like_cells_are_escaped(key):
    plan = roster.Plan(
        kind="staff",
        municipality=None,
        encoding="utf-8",
        line_count=1,
        rows=[],
        errors=[roster.LineError(2, key, key)],
        extra_columns=[],
    )

    rows = list(csv.reader(io.StringIO(roster.errors_csv(plan).decode("utf-8-sig"))))

    assert rows[1] == ["2", "'" + key, "'" + key]


def test_plain_cells_are_left_alone():
    plan = roster.Plan(
        kind="staff",
        municipality=None,
        encoding="utf-8",
        line_count=1,
        rows=[],
        errors=[roster.LineError(3, "000101", "氏名が空です。")],
        extra_columns=[],
    )

    rows = list(csv.reader(io.StringIO(roster.errors_csv(plan).decode("utf-8-sig"))))

    assert rows[1] == ["3", "000101", "氏名が空です。"]
