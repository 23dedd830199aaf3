"""`manage.py audit_questions` (quizzes.audit): a bank whose answers can be found from the surface
(the key is always the longest choice, echoes the clause, carries the "careful" words, or is always
the shortest) is caught and fails with --fail; a bank without such a cue passes; too few items per
clause and near-duplicates fail too."""

from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quizzes.audit import AuditItem, expected_hit
from tests.helpers import write_json

CLAUSE_BODY = "職員は私的なアカウントであっても職務上知り得た秘密を発信してはならない。"
GUIDELINE = {
    "slug": "test-guideline",
    "chapters": [
        {
            "key": "8",
            "title": "遵守事項",
            "clauses": [
                {"key": "8-1", "heading": "秘密を守る", "body": CLAUSE_BODY, "items": []},
                {"key": "8-2", "heading": "品位を保つ", "body": "品位を損なう発信をしないこと。", "items": []},
            ],
        }
    ],
}

# Characters that appear in no clause text and in no cue list: each call returns fresh ones, so
# choices share nothing with the clause, with each other, or with another item.
_fresh = (chr(c) for c in itertools.count(0x5800))


def _text(length: int) -> str:
    return "".join(next(_fresh) for _ in range(length))


def _item(clause: str, n: int, *, kind="single", keys=(0,), texts=None) -> dict:
    texts = texts or [_text(12) for _ in range(4)]
    return {
        "id": f"t-{clause}-{n:02d}",
        "clause": clause,
        "also_cites": [],
        "kind": kind,
        "situation": _text(30),
        "prompt": _text(10),
        "choices": [{"text": t, "correct": i in keys, "feedback": "8 遵守事項(1)では…"} for i, t in enumerate(texts)],
        "explanation": "…",
        "years": [2026, None],
    }


def _clean_bank() -> list[dict]:
    """Six items per clause, keys in every position, "all that apply" with two or three keys."""
    bank = []
    for clause in ("8-1", "8-2"):
        for n in range(6):
            if n == 5:
                bank.append(_item(clause, n, kind="multiple", keys=(1, 3) if clause == "8-1" else (0, 1, 2)))
            else:
                bank.append(_item(clause, n, keys=(n % 4,)))
    return bank


def _run(tmp_path, questions, *, fail=True) -> str:
    guideline = write_json(tmp_path, "guideline.json", GUIDELINE)
    bank = write_json(tmp_path, "bank.json", {"guideline": "test-guideline", "questions": questions})
    out = StringIO()
    args = ["audit_questions", "--files", str(bank), "--guidelines", str(guideline), "--year", "2026"]
    call_command(*args, *(["--fail"] if fail else []), stdout=out)
    return out.getvalue()


def test_a_bank_without_surface_cues_passes(tmp_path):
    out = _run(tmp_path, _clean_bank())

    assert "すべての目標を満たしています。" in out
    assert "[NG]" not in out
    assert "8-1:6  8-2:6" in out
    assert "「すべて選ぶ」の正解数の分布: 2 1、3 1" in out


def _longest_is_right(bank):
    for q in bank:
        for c in q["choices"]:
            c["text"] = c["text"] + (_text(15) if c["correct"] else "")


def _shortest_is_right(bank):
    for q in bank:
        for c in q["choices"]:
            c["text"] = c["text"] + ("" if c["correct"] else _text(8))


def _echoes_the_clause(bank):
    for q in bank:
        for c in q["choices"]:
            if c["correct"]:
                c["text"] = c["text"][:4] + (CLAUSE_BODY[:10] if q["clause"] == "8-1" else "品位を損なう発信")


def _careful_words(bank):
    for q in bank:
        for c in q["choices"]:
            c["text"] += "上司に報告する" if c["correct"] else "なので問題はない"


LEAKS = {
    "key is the longest": (_longest_is_right, "最長の選択肢"),
    "key echoes the clause": (_echoes_the_clause, "条項本文との文字n-gram一致"),
    "key carries the careful words": (_careful_words, "手がかり語"),
    # No single fixed strategy sees this one; the leave-one-out combination learns it.
    "key is the shortest": (_shortest_is_right, "組合せ（重み付き和、1問抜き交差検証）"),
}


@pytest.mark.parametrize(("plant", "caught_by"), LEAKS.values(), ids=LEAKS.keys())
def test_a_planted_leak_is_caught_and_fails(tmp_path, plant, caught_by):
    bank = _clean_bank()
    plant(bank)

    with pytest.raises(CommandError, match="misses its targets"):
        _run(tmp_path, bank)

    out = _run(tmp_path, bank, fail=False)  # without --fail: the same figures, no error
    flagged = [line for line in out.splitlines() if line.strip().startswith("[NG]")]
    assert any(caught_by in line for line in flagged), out
    assert f"「{caught_by}" in out.split("目標に届いていない点:")[1]


def test_too_few_items_for_three_years_fails_naming_the_clause(tmp_path):
    bank = [q for q in _clean_bank() if q["id"] != "t-8-2-00"]
    bank.append(_item("8-2", 9) | {"years": [2020, 2024]})  # no longer used in 2026

    with pytest.raises(CommandError):
        _run(tmp_path, bank)
    out = _run(tmp_path, bank, fail=False)
    assert "8-2（5問）" in out


def test_near_duplicates_are_listed_and_fail(tmp_path):
    bank = _clean_bank()
    twin = dict(bank[0], id="t-8-1-99", choices=[dict(c, text=_text(12)) for c in bank[0]["choices"]])
    bank.append(twin)

    with pytest.raises(CommandError):
        _run(tmp_path, bank)
    out = _run(tmp_path, bank, fail=False)
    assert "t-8-1-00 ≈ t-8-1-99（1.00）" in out


def test_a_strategy_that_cannot_tell_choices_apart_scores_the_chance_rate():
    single = AuditItem(
        id="a", clause="8-1", kind="single", situation="", prompt="", choices=["", "", "", ""], keys=frozenset({2})
    )
    multiple = AuditItem(
        id="b",
        clause="8-1",
        kind="multiple",
        situation="",
        prompt="",
        choices=["", "", "", "", ""],
        keys=frozenset({0, 1}),
    )
    assert expected_hit(single, [1.0, 1.0, 1.0, 1.0]) == 0.25
    assert expected_hit(multiple, [0.0] * 5) == 1 / 25  # 2^5 − 5 − 2 answer sets the rules allow
    assert expected_hit(single, [1.0, 0.0, 1.0, 0.0]) == 0.5  # a tie between the key and a wrong choice
    assert expected_hit(multiple, [2.0, 2.0, 0.0, 0.0, 0.0]) == 1.0
