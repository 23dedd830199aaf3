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
