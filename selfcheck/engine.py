"""The self-check itself: a draft in, findings out. Pure functions, no database, nothing stored.

`check` runs every enabled rule of the viewer's municipality (`RuleConfig`, built from the CMS
rows by `selfcheck.selectors.rules_for`) on the draft. Word lists are matched on a width-folded
copy of the draft of the same length, so offsets point into the text the person pasted; person
names come from GiNZA's named-entity recogniser (`selfcheck.nlp`), run only on the sentences
that carry a cue (an honorific, an age, a sensitive word), which keeps a 300-character draft fast.
With a `tokenizer` (SudachiPy through `selfcheck.nlp.tokens`), every word of a list also matches
as a sequence of normalised morphemes, so 消えて欲しかった matches 消えてほしい and うわさ matches 噂;
a few rules also read parts of speech and inflections (decision 0047).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    tokenizer: Callable[[str], list] | None = None
    _entities: list | None = None
    _tokens: list | None = None
    _by_norm: dict | None = None

    @property
    def tokens(self) -> list:
        """SudachiPy's morphemes of the draft (empty without a tokenizer)."""
        if self._tokens is None:
            self._tokens = list(self.tokenizer(self.text)) if self.tokenizer is not None else []
            self._by_norm = {}
            for i, token in enumerate(self._tokens):
                for key in {token.norm, token.lemma, fold(token.surface)}:
                    self._by_norm.setdefault(key, []).append(i)
        return self._tokens

    def find(self, needles, *, start: int = 0, end: int | None = None):
        """Spans of `needles` in the draft: as written (width-folded; words of two characters or
        more) and, with a tokenizer, as sequences of normalised morphemes (any conjugation)."""
        end = len(self.folded) if end is None else end
        needles = tuple(needles)
        tokens = self.tokens
        for needle in needles:
            if len(needle) >= 2 or not tokens:
                yield from _find_all(self.folded, (needle,), start=start, end=end)
            if not tokens:
                continue
            parts = _needle_tokens(self.tokenizer, needle)
            if not parts:
                continue
            candidates = set()
            for key in parts[0].keys:
                candidates.update(self._by_norm.get(key, ()))
            for i in sorted(candidates):
                if i + len(parts) > len(tokens):
                    continue
                if all(part.matches(tokens[i + j]) for j, part in enumerate(parts)):
                    s, e = tokens[i].start, tokens[i + len(parts) - 1].end
                    if s >= start and e <= end:
                        yield s, e

    def has(self, needles, **kwargs) -> bool:
        return next(iter(self.find(needles, **kwargs)), None) is not None

    def first(self, needles, **kwargs):
        hits = sorted(self.find(needles, **kwargs))
        return hits[0] if hits else None

    def sentence_of(self, position: int) -> tuple[int, int]:
        for start, end in self.sentences():
            if start <= position < end:
                return start, end
        return 0, len(self.folded)

    def sentences(self):
        """(start, end) of each sentence: split after 。！？!? and line breaks."""
        start = 0
        for match in re.finditer(r"[。！？!?\n]+", self.folded):
            if match.end() > start:
                yield start, match.end()
            start = match.end()
        if start < len(self.folded):
            yield start, len(self.folded)

    def entities(self, cue: Callable[[int, int], bool]):
        """GiNZA's entities in the sentences that carry a cue (`cue(start, end)` of the sentence).
        The sentences go to the recogniser as one text, a line each, and every entity is mapped
        back to the draft; one that would run across two sentences is dropped. The recogniser's
        cost grows with the text it reads (about 0.5 ms a character), so the fewer sentences the
        cue lets through, the faster the check."""
        if self._entities is None:
            found = []
            if self.entity_finder is not None:
                spans = [(start, end) for start, end in self.sentences() if cue(start, end)]
                joined, segments, at = [], [], 0
                for start, end in spans:
                    piece = self.text[start:end].rstrip("\n")
                    segments.append((at, at + len(piece), start))
                    joined.append(piece)
                    at += len(piece) + 1
                if segments:
                    for entity in self.entity_finder("\n".join(joined), 0):
                        for seg_start, seg_end, draft_start in segments:
                            if seg_start <= entity.start and entity.end <= seg_end:
                                shift = draft_start - seg_start
                                found.append(replace(entity, start=entity.start + shift, end=entity.end + shift))
                                break
            self._entities = found
        return self._entities


@dataclass(frozen=True)
class _Part:
    """One morpheme of a word list's entry and what a morpheme of the draft must share with it:
    a verb or adjective its normalised dictionary form (any conjugation: 欲しかっ is 欲しい), an
    auxiliary its surface (でしょう is not です), anything else its dictionary form, its surface,
    or its normalised form when the entry is written in it (うわさ matches 噂, but ばあ not ばばあ)."""

    surface: str
    lemma: str
    norm: str
    pos: str

    @property
    def keys(self) -> set[str]:
        return {self.surface, self.lemma, self.norm}

    def matches(self, token) -> bool:
        surface = fold(token.surface)
        if len(self.surface) == 1 and self.pos.split("-")[0] != token.pos.split("-")[0]:
            return False  # 「人」 the noun, not the counter of 30人
        if self.pos.startswith("助動詞"):
            return surface == self.surface
        if self.pos.startswith(("動詞", "形容詞")):
            return token.norm == self.norm or token.lemma == self.lemma
        if surface == self.surface or token.lemma == self.lemma:
            return True
        return self.surface == self.norm and token.norm == self.norm


_NEEDLES: dict[str, tuple[_Part, ...]] = {}


def _needle_tokens(tokenizer, needle: str) -> tuple[_Part, ...]:
    """The morphemes of a word list's entry (cached: the lists are short and few)."""
    parts = _NEEDLES.get(needle)
    if parts is None:
        if len(_NEEDLES) > 50_000:
            _NEEDLES.clear()
        parts = tuple(_Part(fold(t.surface), t.lemma, t.norm, t.pos) for t in tokenizer(needle) if t.surface.strip())
        _NEEDLES[needle] = parts
    return parts


def _needle_norms(tokenizer, needle: str) -> set[str]:
    return {key for part in _needle_tokens(tokenizer, needle) for key in (part.lemma, part.norm)}


def fold(text: str) -> str:
    """Full-width letters, digits and signs to their ASCII form, one character for one, so the
    folded text's offsets are the original's."""
    return "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded.lower() if len(folded) == 1 else char


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
# GiNZA's entity types (Extended Named Entity) that are a sensitive detail about someone.
SENSITIVE_LABELS = {"Disease_Other", "Animal_Disease", "Age", "School_Age", "Offense"}
NAME_POS = "人名"
NEGATION = {"ない", "ぬ", "ず", "ん", "無い"}


def _is_honorific(token, honorifics) -> bool:
    return token.pos.startswith("接尾辞") and (token.surface in honorifics or token.norm in honorifics)


def _name_references(draft: Draft, honorifics) -> list[tuple[int, int, bool]]:
    """(start, end, titled) of people named in the draft by SudachiPy's dictionary of names
    (名詞-固有名詞-人名): a surname or given name, with the honorific that follows it if any."""
    tokens = draft.tokens
    found = []
    i = 0
    while i < len(tokens):
        if NAME_POS not in tokens[i].pos:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and NAME_POS in tokens[j + 1].pos:
            j += 1
        titled = j + 1 < len(tokens) and _is_honorific(tokens[j + 1], honorifics)
        end = tokens[j + 1].end if titled else tokens[j].end
        found.append((tokens[i].start, end, titled))
        i = j + 1
    return found


# Before an honorific, words that are not a name: 皆さん, ○○さん (伏せ字 is its own rule), and
# roles (議員さん, 新人さん, パン屋さん).
NOT_A_NAME_POS = ("代名詞", "名詞-数詞", "補助記号", "記号", "接尾辞")
NOT_A_NAME_WORDS = {"皆", "みな", "みんな"}
ROLE_ENDINGS = ("員", "者", "人", "屋", "長", "師", "士", "生", "係")


def _honorifics_of_no_name(draft: Draft, honorifics) -> set[int]:
    """Ends of the honorifics that follow a word which cannot be a person's name."""
    tokens = draft.tokens
    ends = set()
    for i in range(1, len(tokens)):
        if not _is_honorific(tokens[i], honorifics):
            continue
        before = tokens[i - 1]
        if (
            before.pos.startswith(NOT_A_NAME_POS)
            or before.surface in NOT_A_NAME_WORDS
            or (
                before.pos.startswith("名詞-普通名詞")
                and len(before.surface) >= 2
                and before.surface.endswith(ROLE_ENDINGS)
            )
        ):
            ends.add(tokens[i].end)
    return ends


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
    context = draft.has(rule.list("context"))
    sensitive = draft.has(rule.list("sensitive"))
    has_age = AGE.search(text) is not None

    names = _name_references(draft, honorifics) if (context or sensitive or has_age) else []
    explained = {end for _start, end, titled in names if titled} | _honorifics_of_no_name(draft, honorifics)

    def cue(start: int, end: int) -> bool:
        """A sentence worth the recogniser: an age, a sensitive word, or an honorific that does
        not already follow a name SudachiPy knows (「田中さん」 is found without GiNZA) nor a word
        that cannot be a name (「皆さん」「○○さん」「議員さん」); a name missing from SudachiPy's
        dictionary, or one it reads as a place (「清水くん」), still goes to GiNZA."""
        sentence = text[start:end]
        if AGE.search(sentence) is not None or _has(sentence, rule.list("sensitive")):
            return True
        for _s, e in _find_all(text, honorifics, start=start, end=end):
            if e not in explained:
                return True
        return False

    if context or sensitive or has_age:
        entities = draft.entities(cue)
        sensitive = sensitive or any(e.label in SENSITIVE_LABELS for e in entities)
        people = [e for e in entities if e.label in PERSON_LABELS]
        for entity in people:
            after = text[entity.end : entity.end + 4]
            titled = any(after.startswith(h) for h in honorifics)
            if not (titled or sensitive or has_age):
                continue
            end = entity.end + next((len(h) for h in honorifics if after.startswith(h)), 0)
            findings.append(_finding(rule, draft, entity.start, end))
        # SudachiPy's names: with an honorific, or bare where GiNZA also sees a person.
        for start, end, titled in names:
            if titled or any(e.start <= start < e.end for e in people):
                if titled and not (context or sensitive or has_age):
                    continue
                findings.append(_finding(rule, draft, start, end))
    person_word = has_age or any(h in text for h in honorifics) or draft.has(rule.list("people"))
    if not findings and sensitive and person_word:
        hit = draft.first(rule.list("sensitive"))
        if hit:
            findings.append(_finding(rule, draft, *hit))
    # A name found by both GiNZA and SudachiPy is one finding.
    return [_finding(rule, draft, s, e) for s, e in _merge({(f.start, f.end) for f in findings})]


FUSEJI_MARK = re.compile(r"([○〇×＊*△●□■◯])\1+")
# An initial standing for a person: 「Ｈ課長」「Kさん」 (matched on the folded, lower-case text).
INITIAL = re.compile(r"(?<![a-z0-9])[a-z](?![a-z0-9])\s?(?=さん|氏|様|くん|ちゃん|課長|部長|係長|主任|先生|市議|議員)")


def fuseji(rule: RuleConfig, draft: Draft) -> list[Finding]:
    spans = {(m.start(), m.end()) for m in FUSEJI_MARK.finditer(draft.folded)}
    spans |= {(m.start(), m.end()) for m in INITIAL.finditer(draft.folded)}
    spans |= set(draft.find(rule.list("marks")))
    spans |= set(draft.find(rule.list("hints")))
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


def _words_rule(list_name: str, *, unless: str = "") -> Callable[[RuleConfig, Draft], list[Finding]]:
    def run(rule: RuleConfig, draft: Draft) -> list[Finding]:
        if unless and draft.has(rule.list(unless)):
            return []
        spans = set(draft.find(rule.list(list_name)))
        return [_finding(rule, draft, s, e) for s, e in _merge(spans)]

    return run


def _followed(draft: Draft, heads, tails, *, within: int = 1, attributive_ok: bool = True):
    """Spans where a morpheme whose normalised form is in `heads` is followed, within `within`
    morphemes of the same sentence, by one in `tails` (「公表」…「前」, 「分かる」…「ない」)."""
    heads = {n for h in heads for n in _needle_norms(draft.tokenizer, h)} if draft.tokenizer else set()
    heads -= {""}
    tails = set(tails)
    tokens = draft.tokens
    for i, token in enumerate(tokens):
        if token.norm in heads or token.lemma in heads:
            for k in range(i + 1, min(len(tokens), i + 1 + within)):
                if tokens[k].pos.startswith("補助記号-句点"):
                    break
                if tokens[k].norm in tails or tokens[k].lemma in tails:
                    # Not when it modifies a noun: 「分からないところ」 is not 「分かってない」.
                    if not (attributive_ok or k + 1 >= len(tokens) or not tokens[k + 1].pos.startswith("名詞")):
                        break
                    yield token.start, tokens[k].end
                    break


NOT_YET = NEGATION | {"予定", "前", "予想", "見込み", "つもり"}


def _published(rule: RuleConfig, draft: Draft) -> bool:
    """The draft says the thing is public already: 「公開されていた」「発表しました」 (any form of
    the verb), but not 「まだ発表していない」 nor 「来月発表する予定」."""
    tokens = draft.tokens
    for _s, end in draft.find(rule.list("published")):
        following = [t for t in tokens if t.start >= end][:4]
        if not any(t.lemma in NOT_YET or t.norm in NOT_YET for t in following):
            return True
    return False


def unannounced(rule: RuleConfig, draft: Draft) -> list[Finding]:
    if _published(rule, draft):
        return []
    spans = set(draft.find(rule.list("terms")))
    # 「公表前」「議会前」「開札前の」: an event that makes a thing public, and 前.
    spans |= set(_followed(draft, rule.list("before"), {"前"}))
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


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
    if draft.has(rule.list("disclaimers")):
        return []
    negated = set(_followed(draft, rule.list("negated"), NEGATION, within=4, attributive_ok=False))
    previous = None
    for start, end in draft.sentences():
        # The city's matter named in this sentence or the one before (「…を進めてるって。絶対反対」).
        subject = draft.has(rule.list("subjects"), start=start, end=end) or (
            previous is not None and draft.has(rule.list("subjects"), start=previous[0], end=previous[1])
        )
        if subject:
            hit = draft.first(rule.list("opinions"), start=start, end=end)
            if hit or any(start <= s < end for s, _e in negated):
                return [_finding(rule, draft, start, end)]
        previous = (start, end)
    return []


def _hearsay(rule: RuleConfig, draft: Draft):
    """Spans of hearsay by grammar: らしい after a verb or adjective (not 春らしい), the reporting
    そう (来るそうだ), and a quotation followed by a verb of hearing or saying (…って聞いた)."""
    tokens = draft.tokens
    verbs = {n for v in rule.list("hearsay_verbs") for n in _needle_norms(draft.tokenizer, v)}
    for i, token in enumerate(tokens):
        previous = tokens[i - 1] if i else None
        if token.lemma == "らしい" and token.pos.startswith("助動詞") and previous is not None:
            if previous.pos.startswith(("動詞", "形容詞", "助動詞")):
                yield token.start, token.end
        elif token.lemma == "そう" and token.pos == "名詞-助動詞語幹":
            yield token.start, token.end
        elif token.surface in ("って", "と", "とか") and token.pos.startswith("助詞"):
            # Not 「誰とは言わない」 (とは, or the verb negated) nor 「という」 (a name for a thing).
            if i + 1 < len(tokens) and tokens[i + 1].surface == "は":
                continue
            for k in range(i + 1, min(len(tokens), i + 5)):
                if tokens[k].pos.startswith("補助記号-句点"):
                    break
                if tokens[k].lemma in verbs or tokens[k].norm in verbs:
                    adjacent_attributive = k == i + 1 and tokens[k].form.startswith("連体形")
                    negated = any(t.lemma in NEGATION for t in tokens[k + 1 : k + 3])
                    if not (adjacent_attributive or negated):
                        yield token.start, tokens[k].end
                    break


def rumor(rule: RuleConfig, draft: Draft) -> list[Finding]:
    excluded = set()
    for s, e in draft.find(rule.list("not_hearsay")):
        excluded.update(range(s, e))
    spans = set(draft.find(rule.list("terms"))) | set(_hearsay(rule, draft))
    spans = {(s, e) for s, e in spans if s not in excluded}
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


def pressure(rule: RuleConfig, draft: Draft) -> list[Finding]:
    if not draft.has(rule.list("workplace")):
        return []
    tokens = draft.tokens
    sentences = list(draft.sentences())

    def demanding(start: int, end: int) -> bool:
        if draft.has(rule.list("demands"), start=start, end=end):
            return True
        inside = [t for t in tokens if start <= t.start < end and not t.pos.startswith(("補助記号", "空白"))]
        # An order by grammar: an imperative (しろ、入れ) or a sentence ending in こと (入ること).
        return any(t.form.startswith("命令形") for t in inside) or bool(len(inside) > 1 and inside[-1].lemma == "こと")

    for n, (start, end) in enumerate(sentences):
        if not draft.has(rule.list("actions"), start=start, end=end):
            continue
        # The demand in the same sentence or the next (「友達になろう。断ったら罰ゲームね」).
        if demanding(start, end) or (n + 1 < len(sentences) and demanding(*sentences[n + 1])):
            return [_finding(rule, draft, start, end)]
    return []


FIGURE = re.compile(
    r"(約|およそ)?\d[\d,.]*\s?(万|億|千)?\s?(人|%|％|割|円|件|戸|倍|世帯|台)|半数|過半数|過去最高|ほぼゼロ"
)


def accuracy(rule: RuleConfig, draft: Draft) -> list[Finding]:
    text = draft.folded
    spans = set(draft.find(rule.list("hedges")))
    # Hedged by grammar: hearsay (らしい, …そうです) or a guess after a verb (なりそうです).
    spans |= set(_hearsay(rule, draft))
    tokens = draft.tokens
    for i, token in enumerate(tokens):
        if token.lemma == "そう" and token.pos == "形状詞-助動詞語幹" and i and tokens[i - 1].pos.startswith("動詞"):
            spans.add((token.start, token.end))
    if not draft.has(rule.list("sources")):
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


REMOVAL_ENDINGS = {"欲しい", "良い", "いい"}


def abusive(rule: RuleConfig, draft: Draft) -> list[Finding]:
    spans = set(draft.find(rule.list("terms")))
    # Wishing someone away: 消えろ、帰れ、辞めてほしい、いなくなればいい.
    removal = {n for v in rule.list("removal") for n in _needle_norms(draft.tokenizer, v)} if draft.tokenizer else set()
    tokens = draft.tokens
    for i, token in enumerate(tokens):
        if token.lemma not in removal and token.norm not in removal:
            continue
        if token.form.startswith("命令形"):
            spans.add((token.start, token.end))
            continue
        for k in range(i + 1, min(len(tokens), i + 4)):
            if tokens[k].norm in REMOVAL_ENDINGS or tokens[k].lemma in REMOVAL_ENDINGS:
                if tokens[k - 1].surface in ("て", "で", "ば", "れば", "たら"):
                    spans.add((token.start, tokens[k].end))
                break
    return [_finding(rule, draft, s, e) for s, e in _merge(spans)]


DETECTORS: dict[str, Callable[[RuleConfig, Draft], list[Finding]]] = {
    "personal_info": personal_info,
    "fuseji": fuseji,
    "unannounced": unannounced,
    "working_hours": working_hours,
    "policy_opinion": policy_opinion,
    "abusive": abusive,
    "rumor": rumor,
    "pressure": pressure,
    "impersonation": _words_rule("terms"),
    "accuracy": accuracy,
}
# Hearsay inside a draft already flagged as someone's personal details or as unannounced
# information is part of that finding, not a rumour of its own.
SUBSUMED = {"rumor": {"personal_info", "unannounced"}}


def check(
    *,
    text: str,
    account_type: str,
    planned_at: datetime | None,
    rules: list[RuleConfig],
    entity_finder: Callable[[str, int], list] | None = None,
    tokenizer: Callable[[str], list] | None = None,
) -> list[Finding]:
    """Every finding of the enabled `rules` on the draft, in the order of the text (time last)."""
    draft = Draft(text, fold(text), account_type, planned_at, entity_finder, tokenizer)
    findings = []
    for rule in rules:
        detector = DETECTORS.get(rule.code)
        if detector is not None:
            findings.extend(detector(rule, draft))
    fired = {f.code for f in findings}
    findings = [f for f in findings if not (SUBSUMED.get(f.code, set()) & fired)]
    return sorted(findings, key=lambda f: (f.start is None, f.start or 0, f.code))
