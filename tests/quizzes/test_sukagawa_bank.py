"""The 須賀川市 question bank (fixtures/questions/sukagawa.json) as a trainee meets it: enough
questions on every clause and sub-item for three 年度 of draws, feedback that names the clause,
"choose all" questions whose number of answers cannot be guessed, and keys that a test-wise
reader cannot find by picking the longest choice or the one that echoes the clause."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
BANK = FIXTURES / "questions" / "sukagawa.json"
GUIDELINE = FIXTURES / "guidelines" / "sukagawa.json"
MIN_PER_CLAUSE = 6  # two new items a year for three 年度 without repeating one to the same person
MAX_POINTS_ABOVE_CHANCE = 10

SCENES = set(
    "上下水道 保育所 学校 防災 選挙管理委員会 議会事務局 消防 窓口 観光 福祉 税務 環境 土木 病院 図書館 広報 人事 子育て 企画 その他".split()
)
PLATFORMS = {"X", "Instagram", "Facebook", "LINE", "YouTube", "TikTok", "blog", "general"}
EMPLOYMENT = {"regular", "special", "reappointed", "fiscal_year", "contractor", "designated_manager"}


@pytest.fixture(scope="module")
def guideline() -> dict:
    return json.loads(GUIDELINE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return json.loads(BANK.read_text(encoding="utf-8"))["questions"]


def _clauses(guideline: dict) -> dict[str, tuple[dict, dict]]:
    return {c["key"]: (chapter, c) for chapter in guideline["chapters"] for c in chapter["clauses"]}


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\s、。「」（）()・]", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def test_every_clause_has_questions_for_three_years(guideline, questions):
    per_clause = Counter(q["clause"] for q in questions)

    short = {key: per_clause[key] for key in _clauses(guideline) if per_clause[key] < MIN_PER_CLAUSE}

    assert short == {}, f"clauses with fewer than {MIN_PER_CLAUSE} questions: {short}"


def test_every_listed_sub_item_is_taught_by_some_question(guideline, questions):
    missing = []
    for key, (chapter, clause) in _clauses(guideline).items():
        texts = " ".join(
            q["explanation"] + "".join(c["feedback"] for c in q["choices"]) for q in questions if q["clause"] == key
        )
        for item in clause["items"]:
            if f"{chapter['number']}の{clause['number']}{item['number']}" not in texts:
                missing.append(item["key"])

    assert missing == []


def test_every_choice_tells_the_trainee_which_clause_it_rests_on(guideline, questions):
    titles = {chapter["number"]: chapter["title"] for chapter in guideline["chapters"]}
    unnamed = [
        (q["id"], c["text"])
        for q in questions
        for c in q["choices"]
        if not any(c["feedback"].startswith(f"【{number} {title}") for number, title in titles.items())
    ]

    assert unnamed == []


def test_choose_all_questions_do_not_give_away_how_many_answers_there_are(questions):
    multiple = [q for q in questions if q["kind"] == "multiple"]
    key_counts = Counter(sum(c["correct"] for c in q["choices"]) for q in multiple)

    assert 0.2 <= len(multiple) / len(questions) <= 0.35
    assert len(key_counts) >= 2, f"every choose-all question has {set(key_counts)} keys"


@pytest.mark.parametrize("strategy", ["longest", "clause_overlap"])
def test_a_test_wise_reader_does_no_better_than_chance(guideline, questions, strategy):
    clauses = _clauses(guideline)
    hits = chance = 0.0
    for q in questions:
        _chapter, clause = clauses[q["clause"]]
        body = _bigrams(clause["body"] + "".join(item["body"] for item in clause["items"]))
        if strategy == "longest":
            scores = [len(c["text"]) for c in q["choices"]]
        else:
            scores = [len(_bigrams(c["text"]) & body) / max(1, len(_bigrams(c["text"]))) for c in q["choices"]]
        top = [c for c, s in zip(q["choices"], scores, strict=True) if s == max(scores)]
        hits += sum(c["correct"] for c in top) / len(top)
        chance += sum(c["correct"] for c in q["choices"]) / len(q["choices"])

    points_above_chance = 100 * (hits - chance) / len(questions)

    assert points_above_chance <= MAX_POINTS_ABOVE_CHANCE


def test_items_carry_the_fields_the_draw_and_the_reports_use(questions):
    bad = [
        q["id"]
        for q in questions
        if q["audience"] not in {"all", "official", "contractors"}
        or q["difficulty"] not in {1, 2, 3}
        or not q["platforms"]
        or not set(q["platforms"]) <= PLATFORMS
        or q["scene"] not in SCENES
        or q["employment_type"] not in EMPLOYMENT
        or len(q["years"]) != 2
        or not isinstance(q["years"][0], int)
    ]

    assert bad == []
    assert {p for q in questions for p in q["platforms"]} == PLATFORMS
    assert {q["employment_type"] for q in questions} == EMPLOYMENT


def test_no_two_scenes_are_near_duplicates(questions):
    scenes = [(q["id"], _bigrams(q["situation"] + q["prompt"])) for q in questions]
    close = [
        (a_id, b_id)
        for i, (a_id, a) in enumerate(scenes)
        for b_id, b in scenes[i + 1 :]
        if len(a & b) / len(a | b) > 0.45
    ]

    assert close == []
