"""Versions of a guideline (issue 14): 第N版, made by the system, never typed.

Each time a chapter is published and the guideline's live text differs from its latest version,
`version_record` stores a new version with the exact text of every clause (`clauses`) and its
hash. `compare` builds the 新旧対照表 of two versions: per chapter, the clauses changed, added or
removed, the changed passages marked.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from sns_training.dates import date_display

_deferred = contextvars.ContextVar("guideline_versions_deferred", default=False)


@contextlib.contextmanager
def deferred():
    """Publish many chapters as one change (the guideline import): no version per chapter; the
    caller records one version at the end."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def is_deferred() -> bool:
    return _deferred.get()


def snapshot(guideline) -> list[dict]:
    """The live text of a guideline: every clause and sub-clause, in document order, with its chapter."""
    from .models import ChapterPage

    clauses = []
    for chapter in ChapterPage.objects.child_of(guideline).live().order_by("path"):
        clauses.extend(chapter_clauses(chapter))
    return clauses


def chapter_clauses(chapter) -> list[dict]:
    """One chapter's clauses as a version stores them (with the chapter's number and title)."""
    return [
        {
            "chapter_key": chapter.key,
            "chapter_number": chapter.number,
            "chapter_title": chapter.title,
            "chapter_part": chapter.part,
            **clause,
        }
        for clause in chapter.clauses()
    ]


@dataclass
class Text:
    """Clauses to compare that are not (yet) a stored version: a chapter's live text or draft."""

    clauses: list[dict]
    classifications: dict = field(default_factory=dict)


def snapshot_hash(clauses: list[dict]) -> str:
    return hashlib.sha256(json.dumps(clauses, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def effective_date_problems(*, guideline, date) -> list[str]:
    """Why `date` cannot be the 施行日 of the guideline's next version (empty: it can)."""
    from .models import GuidelineVersion

    problems = []
    if date < timezone.localdate():
        problems.append(_("施行日に過去の日付は指定できません。"))
    latest = GuidelineVersion.objects.filter(guideline_id=guideline.pk).order_by("-number").first()
    if latest is not None and date < latest.effective_date:
        problems.append(
            _("施行日は前の版（%(label)s、施行日 %(date)s）より前にできません。")
            % {"label": latest.label, "date": date_display(latest.effective_date)}
        )
    return problems


def version_record(*, guideline, user=None, effective_date=None):
    """Store the guideline's live text as its next version, unless it is the latest version's
    text already. Returns the new version or None. `effective_date` is the 施行日 the editor set
    (default: today); a date the approval came too late for becomes today, and never earlier than
    the previous version's."""
    from .models import ChapterPage, GuidelineVersion

    clauses = snapshot(guideline)
    digest = snapshot_hash(clauses)
    substantive = set()
    for keys in ChapterPage.objects.child_of(guideline).live().values_list("substantive_changes", flat=True):
        substantive.update(keys or [])
    with transaction.atomic():
        # One writer per guideline at a time: the number is the latest + 1.
        type(guideline).objects.select_for_update().filter(pk=guideline.pk).values_list("pk").first()
        latest = GuidelineVersion.objects.filter(guideline_id=guideline.pk).order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            return None
        effective = max(effective_date or timezone.localdate(), timezone.localdate())
        if latest is not None:
            effective = max(effective, latest.effective_date)
        version = GuidelineVersion.objects.create(
            guideline_id=guideline.pk,
            number=(latest.number + 1) if latest else 1,
            effective_date=effective,
            clauses=clauses,
            content_hash=digest,
            classifications=classify(latest.clauses if latest else None, clauses, substantive),
            published_by=user if getattr(user, "is_authenticated", False) else None,
        )
        from . import signals

        signals.version_recorded.send(sender=GuidelineVersion, version=version)
        return version


def current(guideline):
    """The version a person attests to: the guideline's latest version. A guideline whose live text
    was never recorded (built outside publish, so no version yet) gets its 第1版 now, so a completion record always
    names a 第N版 (invariant 6)."""
    from .models import GuidelineVersion

    latest = GuidelineVersion.objects.filter(guideline_id=guideline.pk).order_by("-number").first()
    if latest is None:
        version_record(guideline=guideline)
        latest = GuidelineVersion.objects.filter(guideline_id=guideline.pk).order_by("-number").first()
    return latest


def classify(before: list[dict] | None, after: list[dict], substantive: set[str]) -> dict[str, str]:
    """{key: "substantive" | "minor"} for each clause changed, added or removed from `before` to
    `after`: added and removed clauses are substantive, a changed one as the editor marked it.
    The first version has no classification."""
    if before is None:
        return {}
    old = {clause["key"]: _text(clause) for clause in before}
    new = {clause["key"]: _text(clause) for clause in after}
    result = {}
    for key in old.keys() | new.keys():
        if key not in old or key not in new:
            result[key] = "substantive"
        elif old[key] != new[key]:
            result[key] = "substantive" if key in substantive else "minor"
    return dict(sorted(result.items()))


def is_substantive(version) -> bool:
    """Whether a version changes the meaning of any clause (retraining follows; a minor-only
    version changes nobody's status)."""
    return "substantive" in (version.classifications or {}).values()


# --- 新旧対照表 ----------------------------------------------------------------------------------


def _marked(a: str, b: str) -> tuple[SafeString, SafeString]:
    """(new, old) as HTML, each changed passage in <mark> (改正後: inserted; 改正前: deleted)."""
    new_parts, old_parts = [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_text, new_text = escape(a[a1:a2]), escape(b[b1:b2])
        if op == "equal":
            new_parts.append(new_text)
            old_parts.append(old_text)
            continue
        if new_text:
            new_parts.append(f'<mark class="diff diff--new">{new_text}</mark>')
        if old_text:
            old_parts.append(f'<mark class="diff diff--old">{old_text}</mark>')
    return mark_safe("".join(new_parts)), mark_safe("".join(old_parts))  # noqa: S308 - every part escaped above


def _text(clause: dict | None) -> str:
    if clause is None:
        return ""
    head = " ".join(part for part in (clause["number"], clause["heading"]) if part)
    return f"{head}\n{clause['body']}" if head else clause["body"]


@dataclass
class Row:
    key: str
    change: str  # "changed", "added", "removed"
    new_html: SafeString
    old_html: SafeString
    classification: str = ""


@dataclass
class ChapterComparison:
    number: str
    title: str
    part: str
    rows: list[Row] = field(default_factory=list)


def compare(old, new) -> list[ChapterComparison]:
    """The 新旧対照表 from version `old` to version `new`: only chapters with a change."""
    old_by_key = {clause["key"]: clause for clause in old.clauses}
    new_by_key = {clause["key"]: clause for clause in new.clauses}
    chapters: dict[tuple, ChapterComparison] = {}

    def chapter_of(clause) -> ChapterComparison:
        ident = (clause["chapter_key"], clause["chapter_part"])
        if ident not in chapters:
            chapters[ident] = ChapterComparison(
                clause["chapter_number"], clause["chapter_title"], clause["chapter_part"]
            )
        return chapters[ident]

    classifications = new.classifications or {}
    for clause in new.clauses:
        before = old_by_key.get(clause["key"])
        if before is not None and _text(before) == _text(clause):
            continue
        new_html, old_html = _marked(_text(before), _text(clause))
        chapter_of(clause).rows.append(
            Row(
                key=clause["key"],
                change="changed" if before is not None else "added",
                new_html=new_html,
                old_html=old_html,
                classification=classifications.get(clause["key"], ""),
            )
        )
    for clause in old.clauses:
        if clause["key"] not in new_by_key:
            new_html, old_html = _marked(_text(clause), "")
            chapter_of(clause).rows.append(
                Row(key=clause["key"], change="removed", new_html=new_html, old_html=old_html)
            )
    return list(chapters.values())
