"""How far a test-wise person gets on the question bank without reading the guideline (decision 0019).

Pure functions over the parsed fixture data (fixtures/guidelines/*.json, fixtures/questions/*.json),
so `manage.py audit_questions` and the tests feed them the same way. Each surface strategy gives
every choice a score; a person following it picks the best-scored choice (single) or every choice
scored above the item's mean (multiple), and the strategy is credited with the expected share of
items answered exactly right (ties broken at random, so a strategy that sees no difference scores
the chance rate). The chance rate of an item is 1/n for single and, for "all that apply", 1 over
the number of answer sets the bank's rules allow (at least two keys and at least one wrong choice:
2^n − n − 2 sets), since those rules are public.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

MAX_POINTS_ABOVE_CHANCE = 10.0
MIN_LIVE_PER_CLAUSE = 6
NEAR_DUPLICATE_THRESHOLD = 0.6

# Words a test-wise person reads as "the careful answer" versus "the excuse".
CAUTIOUS_CUES = ("報告", "相談", "控え", "確認")
RATIONALISING_CUES = ("問題はない", "問題ない", "対象外", "なので")
# Absolute or permissive wording, avoided by the test-wise as the mark of a wrong choice.
ABSOLUTE_WORDS = ("必ず", "すべて", "全て", "絶対", "一切", "問題ない", "問題はない", "構わない", "差し支えない")

_STRIP = re.compile(r"[\s、。，．・「」『』（）()【】〔〕！？!?：:；;…ー―-]")


@dataclass
class AuditItem:
    id: str
    clause: str
    kind: str
    situation: str
    prompt: str
    choices: list[str]
    keys: frozenset[int]
    also_cites: list[str] = field(default_factory=list)
    audience: str = "all"
    platforms: list[str] = field(default_factory=list)
    scene: str = ""
    employment_type: str = ""
    years: tuple[int | None, int | None] = (None, None)

    def live_in(self, year: int) -> bool:
        first, last = self.years
        return (first is None or first <= year) and (last is None or year <= last)

    @property
    def chance(self) -> float:
        n = len(self.choices)
        if self.kind == "multiple":
            return 1 / max(1, 2**n - n - 2)
        return 1 / n


@dataclass
class GuidelineText:
    slug: str
    clause_keys: list[str]  # the quizzed (top-level) clauses, in order
    clause_text: dict[str, str]  # clause key → heading, body and sub-items
    chapter_text: dict[str, str]  # clause key → the whole chapter it is in


def guideline_text(data: dict) -> GuidelineText:
    keys, clause_text, chapter_text = [], {}, {}
    for chapter in data.get("chapters", []):
        parts = [chapter.get("title", "")]
        chapter_keys = []
        for clause in chapter.get("clauses", []):
            text = " ".join(
                [clause.get("heading", ""), clause.get("body", "")]
                + [item.get("body", "") for item in clause.get("items", [])]
            )
            clause_text[clause["key"]] = text
            chapter_keys.append(clause["key"])
            parts.append(text)
        keys += chapter_keys
        for key in chapter_keys:
            chapter_text[key] = " ".join(parts)
    return GuidelineText(
        slug=data.get("slug", ""), clause_keys=keys, clause_text=clause_text, chapter_text=chapter_text
    )


def items_from_fixture(data: dict) -> list[AuditItem]:
    items = []
    for q in data.get("questions", []):
        years = q.get("years") or [None, None]
        items.append(
            AuditItem(
                id=q["id"],
                clause=q["clause"],
                kind=q.get("kind", "single"),
                situation=q.get("situation", ""),
                prompt=q.get("prompt", ""),
                choices=[c["text"] for c in q["choices"]],
                keys=frozenset(i for i, c in enumerate(q["choices"]) if c.get("correct")),
                also_cites=list(q.get("also_cites") or []),
                audience=q.get("audience", "all"),
                platforms=list(q.get("platforms") or []),
                scene=q.get("scene", ""),
                employment_type=q.get("employment_type", ""),
                years=(years[0], years[1]),
            )
        )
    return items


# --- surface features -------------------------------------------------------------------------


def _grams(text: str) -> set[str]:
    text = _STRIP.sub("", text)
    return {text[i : i + n] for n in (2, 3) for i in range(len(text) - n + 1)}


def _overlap(text: str, reference: set[str]) -> float:
    grams = _grams(text)
    return len(grams & reference) / len(grams) if grams else 0.0


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _count(text: str, words) -> int:
    return sum(text.count(word) for word in words)


def strategy_scores(item: AuditItem, text: GuidelineText) -> dict[str, list[float]]:
    """Each surface strategy's score for each choice of the item (higher = the one it picks)."""
    clause_grams = _grams(text.clause_text.get(item.clause, ""))
    chapter_grams = _grams(text.chapter_text.get(item.clause, ""))
    choice_grams = [_grams(c) for c in item.choices]
    odd = []
    for i, grams in enumerate(choice_grams):
        others = [_jaccard(grams, g) for j, g in enumerate(choice_grams) if j != i]
        odd.append(-sum(others) / len(others) if others else 0.0)
    return {
        "longest": [float(len(c)) for c in item.choices],
        "cue_words": [float(_count(c, CAUTIOUS_CUES) - _count(c, RATIONALISING_CUES)) for c in item.choices],
        "avoid_absolute": [-float(_count(c, ABSOLUTE_WORDS)) for c in item.choices],
        "clause_overlap": [_overlap(c, clause_grams) for c in item.choices],
        "chapter_overlap": [_overlap(c, chapter_grams) for c in item.choices],
        "odd_one_out": odd,
    }


STRATEGY_LABELS = {
    "longest": "最長の選択肢",
    "cue_words": "手がかり語（報告・相談・控える・確認／問題はない・対象外・なので）",
    "avoid_absolute": "断定・許容表現を避ける（必ず・すべて・絶対・一切・問題ない・構わない）",
    "clause_overlap": "条項本文との文字n-gram一致",
    "chapter_overlap": "章本文との文字n-gram一致",
    "odd_one_out": "他と最も似ていない選択肢",
    "combined": "組合せ（重み付き和、1問抜き交差検証）",
}


def expected_hit(item: AuditItem, scores: list[float]) -> float:
    """The expected score of a person following `scores` on this item (exact set, no partial credit)."""
    top, low = max(scores), min(scores)
    if math.isclose(top, low):
        return item.chance  # the strategy sees no difference: a guess
    if item.kind == "multiple":
        mean = sum(scores) / len(scores)
        chosen = frozenset(i for i, s in enumerate(scores) if s > mean and not math.isclose(s, mean))
        return 1.0 if chosen == item.keys else 0.0
    best = [i for i, s in enumerate(scores) if math.isclose(s, top)]
    return sum(i in item.keys for i in best) / len(best)


def _zscores(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return [0.0 if sd < 1e-12 else (v - mean) / sd for v in values]


def _direction(item: AuditItem, z: dict[str, list[float]]) -> dict[str, float]:
    """Per feature: mean z of the keys minus mean z of the wrong choices (what a learner would fit)."""
    wrong = [i for i in range(len(item.choices)) if i not in item.keys]
    result = {}
    for name, values in z.items():
        right_mean = sum(values[i] for i in item.keys) / len(item.keys)
        wrong_mean = sum(values[i] for i in wrong) / len(wrong) if wrong else 0.0
        result[name] = right_mean - wrong_mean
    return result


def combined_hits(items: list[AuditItem], scores: list[dict[str, list[float]]]) -> list[float]:
    """A weighted sum of every feature, weights fitted on all the other items (leave-one-out), so
    an item never scores itself; a leak in any direction (e.g. always the shortest) is learned."""
    z = [{name: _zscores(values) for name, values in s.items()} for s in scores]
    directions = [_direction(item, zi) for item, zi in zip(items, z, strict=True)]
    totals = Counter()
    for d in directions:
        totals.update(d)
    hits = []
    for item, zi, d in zip(items, z, directions, strict=True):
        n = len(items) - 1
        weights = {name: (totals[name] - d[name]) / n if n else 0.0 for name in zi}
        combined = [sum(weights[name] * zi[name][c] for name in zi) for c in range(len(item.choices))]
        hits.append(expected_hit(item, combined))
    return hits


@dataclass
class StrategyResult:
    name: str
    rate: float  # expected share of items right
    chance: float

    @property
    def points_above_chance(self) -> float:
        return 100 * (self.rate - self.chance)

    @property
    def label(self) -> str:
        return STRATEGY_LABELS[self.name]


def surface_strategies(items: list[AuditItem], text: GuidelineText) -> list[StrategyResult]:
    if not items:
        return []
    chance = sum(item.chance for item in items) / len(items)
    scores = [strategy_scores(item, text) for item in items]
    results = []
    for name in scores[0]:
        hits = [expected_hit(item, s[name]) for item, s in zip(items, scores, strict=True)]
        results.append(StrategyResult(name, sum(hits) / len(hits), chance))
    hits = combined_hits(items, scores)
    results.append(StrategyResult("combined", sum(hits) / len(hits), chance))
    return results


def near_duplicates(items: list[AuditItem], threshold: float = NEAR_DUPLICATE_THRESHOLD):
    """Pairs of items whose situation and prompt share at least `threshold` of their character
    n-grams (Jaccard), most similar first."""
    grams = [(item, _grams(item.situation + item.prompt)) for item in items]
    pairs = []
    for (a, ga), (b, gb) in itertools.combinations(grams, 2):
        similarity = _jaccard(ga, gb)
        if similarity >= threshold:
            pairs.append((a.id, b.id, similarity))
    return sorted(pairs, key=lambda p: -p[2])


@dataclass
class GuidelineAudit:
    slug: str
    year: int
    items: list[AuditItem]
    strategies: list[StrategyResult]
    per_clause: dict[str, int]  # live items per quizzed clause (zero included)
    duplicates: list[tuple[str, str, float]]
    counts: dict[str, Counter]
    threshold: float = NEAR_DUPLICATE_THRESHOLD

    @property
    def chance(self) -> float:
        return self.strategies[0].chance if self.strategies else 0.0

    def failures(self) -> list[str]:
        problems = []
        for s in self.strategies:
            if s.points_above_chance > MAX_POINTS_ABOVE_CHANCE:
                problems.append(
                    f"{self.slug}: 「{s.label}」が偶然より {s.points_above_chance:.1f} ポイント高い"
                    f"（上限 {MAX_POINTS_ABOVE_CHANCE:.0f}）"
                )
        short = {key: n for key, n in self.per_clause.items() if n < MIN_LIVE_PER_CLAUSE}
        if short:
            listed = "、".join(f"{key}（{n}問）" for key, n in short.items())
            problems.append(f"{self.slug}: {self.year}年度に使える設問が{MIN_LIVE_PER_CLAUSE}問未満の条項: {listed}")
        for a, b, similarity in self.duplicates:
            problems.append(f"{self.slug}: ほぼ重複する設問 {a} と {b}（類似度 {similarity:.2f}）")
        return problems


def audit_guideline(
    *, guideline: dict, items: list[AuditItem], year: int, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> GuidelineAudit:
    text = guideline_text(guideline)
    live = [item for item in items if item.live_in(year)]
    per_clause = {key: 0 for key in text.clause_keys}
    for item in live:
        per_clause[item.clause] = per_clause.get(item.clause, 0) + 1
    counts = {
        "platform": Counter(p for item in items for p in item.platforms or ["（未設定）"]),
        "scene": Counter(item.scene or "（未設定）" for item in items),
        "employment_type": Counter(item.employment_type or "（未設定）" for item in items),
        "audience": Counter(item.audience for item in items),
        "kind": Counter(item.kind for item in items),
        "keys_in_multiple": Counter(len(item.keys) for item in items if item.kind == "multiple"),
    }
    return GuidelineAudit(
        slug=text.slug,
        year=year,
        items=items,
        strategies=surface_strategies(items, text),
        per_clause=per_clause,
        duplicates=near_duplicates(items, threshold),
        counts=counts,
        threshold=threshold,
    )


def audit_report(audit: GuidelineAudit) -> list[str]:
    """The figures as lines of text, for the command and the CI log."""
    lines = [
        f"== {audit.slug}: {len(audit.items)} 問（{audit.year}年度に使えるもの {sum(audit.per_clause.values())} 問）",
        f"偶然の正答率: {100 * audit.chance:.1f}%（単一選択 1/選択肢数、すべて選ぶ 1/(2^n−n−2) の平均）",
        "表面的な解き方の正答率（偶然との差、上限 +10 ポイント）:",
    ]
    for s in audit.strategies:
        mark = "NG" if s.points_above_chance > MAX_POINTS_ABOVE_CHANCE else "ok"
        lines.append(f"  [{mark}] {s.label}: {100 * s.rate:.1f}%（{s.points_above_chance:+.1f}）")
    lines.append(f"条項ごとの設問数（{audit.year}年度、{MIN_LIVE_PER_CLAUSE}問以上）:")
    lines.append("  " + "  ".join(f"{key}:{n}" for key, n in audit.per_clause.items()))
    titles = {
        "platform": "プラットフォーム別",
        "scene": "部署別",
        "employment_type": "任用形態別",
        "audience": "対象者別",
        "kind": "形式別",
        "keys_in_multiple": "「すべて選ぶ」の正解数の分布",
    }
    for name, title in titles.items():
        counter = audit.counts[name]
        lines.append(f"{title}: " + ("、".join(f"{k} {n}" for k, n in sorted(counter.items())) or "なし"))
    lines.append(f"ほぼ重複する設問（類似度 {audit.threshold} 以上）: {len(audit.duplicates)} 組")
    lines += [f"  {a} ≈ {b}（{similarity:.2f}）" for a, b, similarity in audit.duplicates]
    return lines
