"""The self-check itself: a draft in, findings out. Pure functions, no database, nothing stored.

`check` runs every enabled rule of the viewer's municipality (`RuleConfig`, built from the CMS
rows by `selfcheck.selectors.rules_for`) on the draft. Word lists are matched on a width-folded
copy of the draft of the same length, so offsets point into the text the person pasted; person
names come from GiNZA's named-entity recogniser (`selfcheck.nlp`), run only on the sentences
that carry a cue (an honorific, an age, a sensitive word), which keeps a 300-character draft fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from . import defaults


@dataclass(frozen=True)
class RuleConfig:
    code: str
    label: str
    message: str
    clause_key: str
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    work_start: time | None = None
    work_end: time | None = None
    break_start: time | None = None
    break_end: time | None = None

    def list(self, name: str) -> tuple[str, ...]:
        return self.words.get(name) or ()


@dataclass(frozen=True)
class Finding:
    code: str
    label: str
    message: str
    clause_key: str
    start: int | None = None
    end: int | None = None
    passage: str = ""


@dataclass
class Draft:
    text: str
    folded: str
    account_type: str
    planned_at: datetime | None
    entity_finder: Callable[[str, int], list] | None
    _entities: list | None = None

    def sentences(self):
        """(start, end) of each sentence: split after 。！？!? and line breaks."""
        start = 0
        for match in re.finditer(r"[。！？!?\n]+", self.folded):
            if match.end() > start:
                yield start, match.end()
            start = match.end()
        if start < len(self.folded):
            yield start, len(self.folded)

    def entities(self, cue: Callable[[str], bool]):
        if self._entities is None:
            found = []
            if self.entity_finder is not None:
                for start, end in self.sentences():
                    if cue(self.folded[start:end]):
                        found.extend(self.entity_finder(self.text[start:end], start))
            self._entities = found
        return self._entities


def fold(text: str) -> str:
    """Full-width letters, digits and signs to their ASCII form, one character for one, so the
    folded text's offsets are the original's."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded.lower() if len(folded) == 1 else char)
    return "".join(out)


def _find_all(haystack: str, needles, *, start: int = 0, end: int | None = None):
    end = len(haystack) if end is None else end
    for needle in needles:
        needle = fold(needle)
        if not needle:
            continue
        position = haystack.find(needle, start, end)
        while position != -1:
            yield position, position + len(needle)
            position = haystack.find(needle, position + 1, end)


def _first(haystack: str, needles, **kwargs):
    hits = sorted(_find_all(haystack, needles, **kwargs))
    return hits[0] if hits else None


def _has(haystack: str, needles, **kwargs) -> bool:
    return _first(haystack, needles, **kwargs) is not None


def _finding(rule: RuleConfig, draft: Draft, start: int | None, end: int | None) -> Finding:
    passage = draft.text[start:end] if start is not None else ""
    return Finding(rule.code, rule.label, rule.message, rule.clause_key, start, end, passage)


# --- the rules ---------------------------------------------------------------------------------

PHONE = re.compile(r"(?<!\d)(0\d{1,4}-\d{1,4}-\d{3,4}|0[789]0\d{8}|0\d{9})(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
ADDRESS = re.compile(r"[一-龥ぁ-んァ-ヶ]{1,8}(町|丁目|番地)\s?\d{1,4}(-\d{1,4}){0,2}")
AGE = re.compile(r"\d{1,3}\s?歳|[(（]\d{1,3}[)）]")
PERSON_LABELS = {"Person"}


def personal_info(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    findings = []
    official = draft.account_type == defaults.OFFICIAL
    for pattern in (PHONE, EMAIL, ADDRESS):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 25) : match.start()]
            if official and pattern is not ADDRESS and _has(before, rule.list("office_contact")):
                continue  # the office's own contact details
            findings.append(_finding(rule, draft, match.start(), match.end()))
    honorifics = tuple(fold(h) for h in rule.list("honorifics"))
    context = _has(text, rule.list("context"))
    sensitive = _has(text, rule.list("sensitive"))
    has_age = AGE.search(text) is not None

    def cue(sentence: str) -> bool:
        return (
            any(h in sentence for h in honorifics)
            or AGE.search(sentence) is not None
            or _has(sentence, rule.list("sensitive"))
        )

    if context or sensitive or has_age:
        for entity in draft.entities(cue):
            if entity.label not in PERSON_LABELS:
                continue
            after = text[entity.end : entity.end + 4]
            titled = any(after.startswith(h) for h in honorifics)
            if not (titled or sensitive or has_age):
                continue
            end = entity.end + next((len(h) for h in honorifics if after.startswith(h)), 0)
            findings.append(_finding(rule, draft, entity.start, end))
    if not findings and sensitive and (context or any(h in text for h in honorifics)):
        start, end = _first(text, rule.list("sensitive"))
        findings.append(_finding(rule, draft, start, end))
    return findings


FUSEJI_MARK = re.compile(r"([○〇×＊*△●□■◯])\1+")


def fuseji(rule: RuleConfig, draft: Draft) -> list[Finding]:
    spans = {(m.start(), m.end()) for m in FUSEJI_MARK.finditer(draft.folded)}
    spans |= set(_find_all(draft.folded, rule.list("marks")))
    spans |= set(_find_all(draft.folded, rule.list("hints")))
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


def _words_rule(list_name: str, *, unless: str = "") -> Callable[[RuleConfig, Draft], list[Finding]]:
    def run(rule: RuleConfig, draft: Draft) -> list[Finding]:
        if unless and _has(draft.folded, rule.list(unless)):
            return []
        spans = _merge(set(_find_all(draft.folded, rule.list(list_name))))
        return [_finding(rule, draft, s, e) for s, e in spans]

    return run


def working_hours(rule: RuleConfig, draft: Draft) -> list[Finding]:
    when = draft.planned_at
    if draft.account_type != defaults.PRIVATE or when is None or when.weekday() >= 5:
        return []
    moment = when.time()
    if not (rule.work_start and rule.work_end and rule.work_start <= moment < rule.work_end):
        return []
    if rule.break_start and rule.break_end and rule.break_start <= moment < rule.break_end:
        return []
    return [_finding(rule, draft, None, None)]


def policy_opinion(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    if _has(text, rule.list("disclaimers")):
        return []
    for start, end in draft.sentences():
        if _has(text, rule.list("subjects"), start=start, end=end):
            hit = _first(text, rule.list("opinions"), start=start, end=end)
            if hit:
                return [_finding(rule, draft, start, end)]
    return []


def rumor(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    excluded = set()
    for s, e in _find_all(text, rule.list("not_hearsay")):
        excluded.update(range(s, e))
    spans = [(s, e) for s, e in _find_all(text, rule.list("terms")) if s not in excluded]
    return [_finding(rule, draft, s, e) for s, e in _merge(set(spans))]


def pressure(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    if not _has(text, rule.list("workplace")):
        return []
    for start, end in draft.sentences():
        action = _first(text, rule.list("actions"), start=start, end=end)
        if action and _has(text, rule.list("demands"), start=start, end=end):
            return [_finding(rule, draft, start, end)]
    return []


FIGURE = re.compile(
    r"(約|およそ)?\d[\d,.]*\s?(万|億|千)?\s?(人|%|％|割|円|件|戸|倍|世帯|台)|半数|過半数|過去最高|ほぼゼロ"
)


def accuracy(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    spans = set(_find_all(text, rule.list("hedges")))
    if not _has(text, rule.list("sources")):
        spans |= {(m.start(), m.end()) for m in FIGURE.finditer(text)}
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


def _merge(spans: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans as one, in text order."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


DETECTORS: dict[str, Callable[[RuleConfig, Draft], list[Finding]]] = {
    "personal_info": personal_info,
    "fuseji": fuseji,
    "unannounced": _words_rule("terms", unless="published"),
    "working_hours": working_hours,
    "policy_opinion": policy_opinion,
    "abusive": _words_rule("terms"),
    "rumor": rumor,
    "pressure": pressure,
    "impersonation": _words_rule("terms"),
    "accuracy": accuracy,
}


def check(
    *,
    text: str,
    account_type: str,
    planned_at: datetime | None,
    rules: list[RuleConfig],
    entity_finder: Callable[[str, int], list] | None = None,
) -> list[Finding]:
    """Every finding of the enabled `rules` on the draft, in the order of the text (time last)."""
    draft = Draft(text, fold(text), account_type, planned_at, entity_finder)
    findings = []
    for rule in rules:
        detector = DETECTORS.get(rule.code)
        if detector is not None:
            findings.extend(detector(rule, draft))
    return sorted(findings, key=lambda f: (f.start is None, f.start or 0, f.code))
