"""GiNZA (spaCy + SudachiPy), loaded once per worker process on first use and kept at module level.

Only the components the self-check needs run (tok2vec and the named-entity recogniser); the
model ships inside the `ja-ginza` package, so nothing is fetched at run time. gunicorn.conf.py's
`post_fork` may call `warm()` so a worker loads it before its first request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

_lock = threading.Lock()
_nlp = None

MODEL = "ja_ginza"
DISABLED = ("parser", "bunsetu_recognizer", "compound_splitter", "morphologizer")


@dataclass(frozen=True)
class Token:
    """One SudachiPy morpheme: where it is, its dictionary form (`lemma`), its normalised form
    (`norm`: 噂 for うわさ, 欲しい for ほしかっ), its part of speech and its inflection form."""

    start: int
    end: int
    surface: str
    lemma: str
    norm: str
    pos: str
    form: str = ""


@dataclass(frozen=True)
class Entity:
    text: str
    label: str
    start: int
    end: int


def get():
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.load(MODEL, exclude=list(DISABLED))
    return _nlp


def warm() -> None:
    get()("準備")


def entities(text: str, *, offset: int = 0) -> list[Entity]:
    """The named entities GiNZA finds in `text` (character offsets shifted by `offset`)."""
    doc = get()(text)
    return [Entity(ent.text, ent.label_, ent.start_char + offset, ent.end_char + offset) for ent in doc.ents]


def tokens(text: str) -> list[Token]:
    """SudachiPy's morphemes of `text` through GiNZA's tokenizer only (no neural network: a few ms
    for a 300-character draft), so word lists match any conjugation or spelling of their words."""
    found = []
    for token in get().tokenizer(text):
        inflection = token.morph.get("Inflection")
        form = inflection[0].split(";")[-1] if inflection else ""
        found.append(
            Token(token.idx, token.idx + len(token.text), token.text, token.lemma_, token.norm_, token.tag_, form)
        )
    return found
