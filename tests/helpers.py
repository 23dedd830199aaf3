"""Small helpers shared by the test modules."""

from __future__ import annotations

import html
import json
import re

_INVISIBLE = re.compile(r"<(script|style|template|head)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_WHITESPACE = re.compile(r"\s+")


def visible_text(markup: str) -> str:
    """The text a person sees: no tags, no attributes, no <head>, entities decoded."""
    return html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", markup)))


def squeeze(text: str) -> str:
    """Delete every whitespace character (line breaks in the seeds are extraction artefacts)."""
    return _WHITESPACE.sub("", text)


def response_text(response) -> str:
    """Everything a response could show: decoded HTML, or every string inside a JSON body
    (Wagtail's modal choosers answer JSON, where Japanese is \\u-escaped)."""
    body = response.content.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        strings: list[str] = []

        def walk(value):
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(json.loads(body))
        body = "\n".join(strings)
    return html.unescape(body)


def write_json(tmp_path, name: str, data):
    """A fixture file for an import test: JSON of `data`, or `data` itself when it is text."""
    import json

    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path
