"""Content checks on fixtures/questions/ashiya-2.json (芦屋市 chapters 6-9): enough items per clause for
three 年度, feedback that names the clause, the agreed field values, and no key found by length alone."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANK = json.loads((ROOT / "fixtures/questions/ashiya-2.json").read_text(encoding="utf-8"))
GUIDELINE = json.loads((ROOT / "fixtures/guidelines/ashiya.json").read_text(encoding="utf-8"))
CHAPTERS = {chapter["key"]: chapter for chapter in GUIDELINE["chapters"]}
CLAUSES = {clause["key"]: clause for chapter in GUIDELINE["chapters"] for clause in chapter["clauses"]}
BANK_CLAUSES = [key for key in CLAUSES if key.split("-")[0] in {"6", "7", "8", "9"}]
QUESTIONS = BANK["questions"]


def clause_names(key: str) -> str:
    """How feedback names a clause: its number and heading, e.g. 9 禁止事項(3)「勤務時間中の利用禁止」."""
    clause = CLAUSES[key]
    chapter = CHAPTERS[key.split("-")[0]]
    if clause["key"] == chapter["key"]:
        return f"{chapter['key']} {chapter['title']}"
    return f"{chapter['key']} {chapter['title']}{clause['number']}「{clause['heading']}」"


def used_in(question: dict, year: int) -> bool:
    start, end = question["years"]
    return start <= year and (end is None or year <= end)


@pytest.mark.parametrize("key", BANK_CLAUSES)
def test_each_clause_has_six_items_in_each_of_three_years(key):
    for year in (2026, 2027, 2028):
        items = [q for q in QUESTIONS if q["clause"] == key and used_in(q, year)]
        assert len(items) >= 6, (key, year, len(items))


def test_every_choice_and_explanation_names_a_clause_it_cites():
    for question in QUESTIONS:
        names = [clause_names(key) for key in [question["clause"], *question["also_cites"]]]
        assert names[0] in question["explanation"], question["id"]
        for choice in question["choices"]:
            assert any(name in choice["feedback"] for name in names), (question["id"], choice["text"])


def test_every_clause_named_in_the_feedback_is_listed_in_also_cites():
    """The question screen shows the cited clauses from also_cites: feedback must not cite one it leaves out."""
    for question in QUESTIONS:
        text = question["explanation"] + " ".join(c["feedback"] for c in question["choices"])
        named = {key for key in CLAUSES if clause_names(key) in text}
        assert named <= {question["clause"], *question["also_cites"]}, question["id"]
        assert set(question["also_cites"]) <= named, question["id"]


@pytest.mark.parametrize("key", [key for key, clause in CLAUSES.items() if clause["items"] and key in BANK_CLAUSES])
def test_listed_sub_items_are_each_tested(key):
    feedback = " ".join(c["feedback"] for q in QUESTIONS if q["clause"] == key for c in q["choices"])
    for item in CLAUSES[key]["items"]:
        assert f"（{item['number']}" in feedback, (key, item["number"])


def test_fields_take_the_agreed_values_and_cover_the_city_hall():
    ids = [q["id"] for q in QUESTIONS]
    assert len(ids) == len(set(ids))
    for q in QUESTIONS:
        assert re.fullmatch(rf"ashiya-{re.escape(q['clause'])}-\d\d", q["id"]), q["id"]
        assert q["audience"] in {"all", "official", "contractors"}
        assert q["difficulty"] in {1, 2, 3}
        assert set(q["platforms"]) <= {"X", "Instagram", "Facebook", "LINE", "YouTube", "TikTok", "blog", "general"}
        assert 4 <= len(q["choices"]) <= 5
        keys = sum(c["correct"] for c in q["choices"])
        assert keys == 1 if q["kind"] == "single" else 2 <= keys < len(q["choices"]), q["id"]
    assert {q["employment_type"] for q in QUESTIONS} == {
        "regular",
        "special",
        "reappointed",
        "fiscal_year",
        "contractor",
        "designated_manager",
    }
    assert {p for q in QUESTIONS for p in q["platforms"]} >= {"X", "Instagram", "Facebook", "LINE", "YouTube", "TikTok"}
    assert len({q["scene"] for q in QUESTIONS}) >= 15
    multiple = [q for q in QUESTIONS if q["kind"] == "multiple"]
    assert 0.2 <= len(multiple) / len(QUESTIONS) <= 0.35
    assert len(Counter(sum(c["correct"] for c in q["choices"]) for q in multiple)) >= 2


def test_the_key_is_not_given_away_by_length_or_position():
    singles = [q for q in QUESTIONS if q["kind"] == "single"]
    chance = sum(1 / len(q["choices"]) for q in singles) / len(singles)
    for pick in (max, min):
        hits = 0.0
        for q in singles:
            lengths = [len(c["text"]) for c in q["choices"]]
            tied = [c for c, n in zip(q["choices"], lengths, strict=True) if n == pick(lengths)]
            hits += sum(c["correct"] for c in tied) / len(tied)
        assert hits / len(singles) <= chance + 0.10, pick.__name__
    positions = Counter(next(i for i, c in enumerate(q["choices"]) if c["correct"]) for q in singles)
    assert max(positions.values()) / len(singles) <= chance + 0.10
