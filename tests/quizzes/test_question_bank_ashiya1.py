"""The 芦屋市 question bank for chapters 1–5 (fixtures/questions/ashiya-1.json), read as a learner meets
it: enough different questions per clause for three 年度, feedback that tells which clause was
misread, and no answer that can be spotted without reading (by being the longest choice, or by
echoing the clause's words more than the wrong choices do)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
BANK = FIXTURES / "questions" / "ashiya-1.json"
CHAPTERS = {"1", "2", "3", "4", "5"}
PER_CLAUSE = 6  # three 年度 without repeating an item, two tries each
SCENES = set(
    "上下水道 保育所 学校 防災 選挙管理委員会 議会事務局 消防 窓口 観光 福祉 税務 環境 土木 病院 図書館 広報 人事 子育て 企画 その他".split()
)
PLATFORMS = {"X", "Instagram", "Facebook", "LINE", "YouTube", "TikTok", "blog", "general"}
EMPLOYMENT = {"regular", "special", "reappointed", "fiscal_year", "contractor", "designated_manager"}


@pytest.fixture(scope="module")
def guideline() -> dict:
    return json.loads((FIXTURES / "guidelines" / "ashiya.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return json.loads(BANK.read_text(encoding="utf-8"))["questions"]


def _clauses(guideline: dict) -> dict[str, tuple[dict, dict]]:
    return {
        clause["key"]: (chapter, clause)
        for chapter in guideline["chapters"]
        if chapter["key"] in CHAPTERS
        for clause in chapter["clauses"]
    }


def _citations(guideline: dict) -> list[str]:
    """How a feedback names any clause: 「5 遵守事項(5)「正確な情報を発信する」」 or 「4「適用の範囲」」."""
    names = []
    for chapter in guideline["chapters"]:
        for clause in chapter["clauses"]:
            if "-" in clause["key"]:
                names.append(
                    f"{chapter['key']} {chapter['title']}({clause['key'].split('-')[1]})「{clause['heading']}」"
                )
            else:
                names.append(f"{chapter['key']}「{clause['heading']}」")
    return names


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def test_every_clause_has_six_questions_and_only_these_chapters_are_asked(guideline, questions):
    clauses = _clauses(guideline)
    per_clause = Counter(q["clause"] for q in questions)

    assert set(per_clause) == set(clauses)
    assert {key: n for key, n in per_clause.items() if n < PER_CLAUSE} == {}
    assert len({q["id"] for q in questions}) == len(questions)


def test_every_question_carries_its_year_range_audience_difficulty_platform_scene_and_protagonist(questions):
    for q in questions:
        assert q["audience"] in {"all", "official", "contractors"}, q["id"]
        assert q["difficulty"] in {1, 2, 3}, q["id"]
        assert q["platforms"] and set(q["platforms"]) <= PLATFORMS, q["id"]
        assert q["scene"] in SCENES, q["id"]
        assert q["employment_type"] in EMPLOYMENT, q["id"]
        start, end = q["years"]
        assert isinstance(start, int) and (end is None or end >= start), q["id"]
        assert 4 <= len(q["choices"]) <= 5 and len(q["prompt"]) <= 300, q["id"]


def test_the_bank_covers_every_platform_employment_type_and_a_breadth_of_scenes(questions):
    assert {p for q in questions for p in q["platforms"]} == PLATFORMS
    assert {q["employment_type"] for q in questions} == EMPLOYMENT
    assert len({q["scene"] for q in questions}) >= 15


def test_every_feedback_and_explanation_names_a_clause_by_number_and_heading(guideline, questions):
    citations = _citations(guideline)
    unnamed = [
        (q["id"], text[:40])
        for q in questions
        for text in [q["explanation"], *(c["feedback"] for c in q["choices"])]
        if not any(name in text for name in citations)
    ]
    assert unnamed == []


def test_all_that_apply_questions_do_not_give_away_how_many_to_choose(questions):
    multiple = [q for q in questions if q["kind"] == "multiple"]
    keys = Counter(sum(c["correct"] for c in q["choices"]) for q in multiple)

    assert 0.2 <= len(multiple) / len(questions) <= 0.35
    assert len(keys) >= 3, keys


@pytest.mark.parametrize("rank", [0, 1, 2, 3], ids=["longest", "second longest", "third longest", "shortest"])
def test_picking_a_choice_by_its_length_does_no_better_than_chance(questions, rank):
    """Neither "the longest answer" nor "the second longest" (the usual leak once the longest is
    fixed) finds the key more often than guessing."""
    single = [q for q in questions if q["kind"] == "single"]
    hits = chance = 0.0
    for q in single:
        by_length = sorted(q["choices"], key=lambda c: -len(c["text"]))
        picked = by_length[rank if rank < 3 else -1]
        tied = [c for c in q["choices"] if len(c["text"]) == len(picked["text"])]
        hits += sum(c["correct"] for c in tied) / len(tied)
        chance += 1 / len(q["choices"])

    assert hits / len(single) <= chance / len(single) + 0.10


def test_picking_the_choice_that_echoes_the_clause_does_no_better_than_chance(guideline, questions):
    clauses = _clauses(guideline)
    single = [q for q in questions if q["kind"] == "single"]
    hits = chance = 0.0
    for q in single:
        body = _bigrams(clauses[q["clause"]][1]["body"])
        overlap = [len(_bigrams(c["text"]) & body) / len(_bigrams(c["text"])) for c in q["choices"]]
        top = [c for c, o in zip(q["choices"], overlap, strict=True) if o == max(overlap)]
        hits += sum(c["correct"] for c in top) / len(top)
        chance += 1 / len(q["choices"])

    assert hits / len(single) <= chance / len(single) + 0.10


def test_reviewed_items_are_retired_not_kept_under_their_old_ids(questions):
    """ashiya-5-2-2 told contractors they were bound by 地方公務員法 itself; ashiya-5-5-4 asked for
    more than 5(5) does. Their replacements have new ids."""
    ids = {q["id"] for q in questions}

    assert {"ashiya-5-2-2", "ashiya-5-5-4"}.isdisjoint(ids)
    assert {"ashiya-5-2-04", "ashiya-5-5-05"} <= ids
