"""What the admin shows, checked against the translation catalogs: the msgids of the installed
Wagtail, Django and allauth catalogs that have no Japanese translation, and the visible text of a
rendered admin screen (text nodes, titles, labels, placeholders, button values, confirm texts,
the sidebar's menu labels) that is one of them. Used by test_admin_japanese and tests/e2e."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
from django.apps import apps
from django.utils.translation import trans_real

SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
TAG = re.compile(r"<[^>]+>")
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Msgid:
    context: str | None
    singular: str
    plural: str | None
    source: str

    @property
    def key(self):
        key = self.singular if self.context is None else f"{self.context}\x04{self.singular}"
        return (key, 0) if self.plural else key


def _installed(po_path: Path) -> bool:
    """A catalog of a Wagtail app that is installed here (not e.g. wagtail.contrib.simple_translation)."""
    locale_dir = po_path.parents[2]
    app_dir = str(locale_dir.parent)
    return any(str(Path(config.path).resolve()) == app_dir for config in apps.get_app_configs())


def source_catalogs(domain: str) -> list[Path]:
    """English source catalogs (every msgid, translated or not) of what the admin renders."""
    paths = [
        p
        for p in SITE_PACKAGES.glob(f"wagtail/**/locale/en/LC_MESSAGES/{domain}.po")
        if domain == "djangojs" or _installed(p)
    ]
    if domain == "django":
        paths += [
            SITE_PACKAGES / "django/conf/locale/en/LC_MESSAGES/django.po",
            SITE_PACKAGES / "allauth/locale/en/LC_MESSAGES/django.po",
        ]
    return sorted(p for p in paths if p.exists())


@functools.cache
def source_msgids(domain: str) -> tuple[Msgid, ...]:
    found: dict[tuple, Msgid] = {}
    for path in source_catalogs(domain):
        source = str(path.relative_to(SITE_PACKAGES))
        for entry in polib.pofile(str(path)):
            if entry.msgid and not entry.obsolete:
                msgid = Msgid(entry.msgctxt, entry.msgid, entry.msgid_plural or None, source)
                found.setdefault((msgid.context, msgid.singular), msgid)
    return tuple(found.values())


def untranslated(domain: str = "django", language: str = "ja") -> list[Msgid]:
    """The source msgids the loaded catalogs for `language` do not translate (Django's own
    lookup, so LOCALE_PATHS and every app catalog count, in their order of precedence)."""
    if domain == "django":
        catalog = trans_real.translation(language)._catalog
    else:
        catalog = trans_real.DjangoTranslation(language, domain=domain)._catalog
    return [m for m in source_msgids(domain) if not catalog.get(m.key)]


def _pattern(text: str) -> str:
    """A msgid as it looks once rendered: tags gone, placeholders filled, spaces squeezed."""
    parts = []
    for i, piece in enumerate(PLACEHOLDER.split(TAG.sub(" ", text))):
        if i:
            parts.append(r".+?")
        parts.append(r"\s*".join(re.escape(word) for word in piece.split()) if piece.strip() else r"\s*")
    return r"\s*".join(p for p in parts if p)


@functools.cache
def _matchers(msgid: Msgid) -> list[re.Pattern]:
    return [
        re.compile(_pattern(text), re.S)
        for text in filter(None, (msgid.singular, msgid.plural))
        if ASCII_WORD.search(TAG.sub(" ", PLACEHOLDER.sub("", text)))
    ]


def _untranslated_matchers(domain: str = "django") -> list[tuple[re.Pattern, Msgid]]:
    """Looked up afresh each time: a test may change LOCALE_PATHS."""
    return [(pattern, msgid) for msgid in untranslated(domain) for pattern in _matchers(msgid)]


class _TextCollector(HTMLParser):
    """Visible strings of a page, in the places Wagtail puts words a person reads or hears."""

    ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription"}
    SKIP = {"script", "style", "template", "noscript"}

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self._skip: list[str] = []
        self._json: list[str] = []
        self._hidden: list[str] = []  # open tags of an element with the hidden attribute
        self._option_value: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._hidden:
            if tag not in self.VOID:
                self._hidden.append(tag)
            return
        if "hidden" in attrs and tag not in self.VOID:
            self._hidden.append(tag)
            return
        self._option_value = attrs.get("value") if tag == "option" else None
        for name, value in attrs.items():
            if not value:
                continue
            if name in self.ATTRIBUTES or (name == "value" and attrs.get("type") in {"submit", "button"}):
                self.segments.append(value)
            # Wagtail's confirm texts and dialog words ride on data attributes
            # (data-w-*-confirm-value, data-w-progress-active-value "Saving…", data-w-swap-*).
            elif name.startswith("data-") and name.endswith(("-value", "-text", "-label")) and " " in value.strip():
                if not value.lstrip().startswith(("{", "[", "/", "#", ".")):
                    self.segments.append(value)
        if tag in self.SKIP:
            json_script = tag == "script" and attrs.get("type") == "application/json"
            self._skip.append("json" if json_script else tag)
        if tag == "title":
            self._skip.append("")  # the <title> text is read as any other text node

    def handle_endtag(self, tag):
        if self._hidden:
            if tag in self._hidden:
                while self._hidden.pop() != tag:
                    pass
            return
        if self._skip and tag in self.SKIP | {"title"}:
            kind = self._skip.pop()
            if kind == "json" and self._json:
                _walk_labels(json.loads("".join(self._json)), self.segments)
                self._json = []

    def handle_data(self, data):
        if self._hidden:
            return
        if self._option_value is not None and data.strip() == self._option_value:
            return  # a choice shown as its own value is data (time zone names), not interface text
        if self._skip and self._skip[-1] == "json":
            self._json.append(data)
        elif self._skip and self._skip[-1] in self.SKIP:
            return
        elif data.strip():
            self.segments.append(data)


def _walk_labels(value, out: list[str]) -> None:
    """The menu labels inside a JSON props script (Wagtail's sidebar: menu items, help menu)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"label", "title", "help_text", "text"} and isinstance(item, str):
                out.append(item)
            else:
                _walk_labels(item, out)
    elif isinstance(value, list):
        for item in value:
            _walk_labels(item, out)


def visible_segments(markup: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return [" ".join(s.split()) for s in collector.segments if s.strip()]


def untranslated_on(markup: str) -> set[str]:
    """Each visible text segment that is (a rendering of) an admin msgid with no Japanese,
    as 'segment  ← msgid (catalog)'. Segments without ASCII words are Japanese or figures."""
    segments = [s for s in visible_segments(markup) if ASCII_WORD.search(s)]
    whole = " ".join(visible_segments(markup))
    found = set()
    for pattern, msgid in _untranslated_matchers():
        for segment in segments:
            if pattern.fullmatch(segment):
                found.add(f"{segment!r} ← {msgid.singular!r} ({msgid.source})")
        # A msgid with inline markup is split over several text nodes: look for it in the page's text.
        if "<" in msgid.singular and len(msgid.singular.split()) > 2:
            match = pattern.search(whole)
            if match:
                found.add(f"{match.group(0)!r} ← {msgid.singular!r} ({msgid.source})")
    return found


# Words that stay in Latin letters in Japanese interface text: product and format names, and the
# example URL of Wagtail's own slug help text.
ALLOWED_WORDS = {
    "Wagtail",
    "CSV",
    "XLSX",
    "PDF",
    "ZIP",
    "URL",
    "UTF",
    "Shift_JIS",
    "JIS",
    "ID",
    "SNS",
    "BOM",
    "MB",
    "Excel",
    "TRUE",
    "FALSE",
    "API",
    "UTC",
    "JavaScript",
    "English",
    "http",
    "https",
    "domain",
    "com",
    "blog",
    "my",
    "slug",
    # A key named in a sentence: the explorer's reordering hint (chapters listed in tree order)
    # says 「Enter キーで変更を確定」.
    "Enter",
}
# Keys as printed on the keyboard, in Wagtail's keyboard shortcuts dialog ("Ctrl + Shift + v").
KEYS = re.compile(r"(Ctrl|Shift|Alt|Option|Cmd|Esc|Enter|Tab|Backspace|[⌘⌥⇧])(\s*\+\s*(\S|Shift|Alt|Enter|Tab))*")
IDENTIFIER = re.compile(r"[a-z0-9_.:/#-]+|[A-Za-z0-9_.+-]*/[A-Za-z0-9_./+-]*")


def english_left(markup: str, data: set[str] = frozenset()) -> set[str]:
    """Visible segments with English words that are no msgid at all (hard-coded English, raw
    values such as "True" or "None"): every ASCII word must be a name from ALLOWED_WORDS or the
    test's own data, and a bare lower-case identifier or path is taken for data too."""
    left = set()
    for segment in visible_segments(markup):
        if not ASCII_WORD.search(segment) or IDENTIFIER.fullmatch(segment) or KEYS.fullmatch(segment):
            continue
        words = set(re.findall(r"[A-Za-z][A-Za-z_]*", re.sub(r"https?://\\S+", "", segment)))
        if any(w not in ALLOWED_WORDS and w not in data for w in words if len(w) > 1):
            left.add(segment)
    return left
