"""Clause identity (issue 14): a published clause key names that clause for good.

Questions, clause progress and completion records cite clauses by key. So once a chapter with a
key has been published, the key is registered for the guideline (`ClauseKey`): the clause it
names keeps it (an editor cannot retype it), and when the clause is removed the key is retired
and never given to another clause. Removing a clause that live questions still cite needs the
editor's explicit choice to retire those questions with it.

Keys are the system's, not the editor's (issue 16): the edit form hides them, and gives a new
clause one from its number (`keys_assign`). The edit form asks `edit_problems`; publishing calls
`register_published` (courses.receivers).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals


def _keys_by_block_id(body) -> dict[str, str]:
    """{block id: key} of every clause and sub-clause of a StreamField value."""
    keys = {}
    for block in body:
        if block.id:
            keys[block.id] = block.value["key"]
        items = block.value["items"]
        for item in getattr(items, "bound_blocks", []):
            if item.id:
                keys[item.id] = item.value["key"]
    return keys


def keys_of(body) -> set[str]:
    keys = set()
    for block in body:
        keys.add(block.value["key"])
        keys.update(item["key"] for item in block.value["items"])
    return keys


@dataclass
class EditProblems:
    """What refuses an edit of a chapter's clauses, each a Japanese message; and the questions
    that will be retired with removed clauses when the editor has chosen so."""

    errors: list[str] = field(default_factory=list)
    citing: list[str] = field(default_factory=list)


def edit_problems(*, chapter, guideline, body, retire_citing: bool) -> EditProblems:
    """Check a chapter's new clauses against the keys published before.

    - a clause that was published (same block) keeps its key;
    - a retired key is never taken again;
    - removing a published clause that live questions cite needs `retire_citing`.
    """
    from .models import ChapterPage, ClauseKey

    problems = EditProblems()
    new_keys = keys_of(body)
    registered = {row.key: row for row in ClauseKey.objects.filter(guideline_id=guideline.pk)}

    if chapter.pk:
        live = ChapterPage.objects.filter(pk=chapter.pk, live=True).first()
        if live is not None:
            before = _keys_by_block_id(live.body)
            after = _keys_by_block_id(body)
            for block_id, old_key in before.items():
                new_key = after.get(block_id)
                if new_key is not None and new_key != old_key:
                    problems.errors.append(
                        _("公開済みの条項キー「%(old)s」は変更できません（「%(new)s」に変えようとしています）。")
                        % {"old": old_key, "new": new_key}
                        + _("新しい条項は新しいキーで追加し、不要になった条項は削除してください。")
                    )

    retired_taken = sorted(key for key in new_keys if key in registered and registered[key].retired_at is not None)
    if retired_taken:
        problems.errors.append(
            _("条項キー %(keys)s は廃止された条項のキーです。別の条項に使うことはできません。")
            % {"keys": "、".join(retired_taken)}
        )

    if chapter.pk:
        removed = {
            key
            for key, row in registered.items()
            if row.chapter_id == chapter.pk and row.retired_at is None and key not in new_keys
        }
        if removed:
            citing = []
            for _receiver, response in signals.clauses_citing.send(
                sender=type(guideline), guideline_id=guideline.pk, keys=removed
            ):
                citing.extend(response or [])
            if citing and not retire_citing:
                problems.errors.append(
                    _(
                        "削除しようとしている条項 %(keys)s を出題中の設問が引用しています：%(questions)s。"
                        "「引用している設問を廃止する」にチェックを入れると、公開時にこれらの設問を出題から外します。"
                    )
                    % {"keys": "、".join(sorted(removed)), "questions": "／".join(citing)}
                )
            problems.citing = citing
    return problems


def register_published(chapter) -> set[str]:
    """Record the keys of a chapter that has just been published, retire the keys its clauses no
    longer have, and let the apps citing them react (the quizzes app retires their questions).
    Returns the keys retired now."""
    from .models import ClauseKey

    guideline = chapter.guideline
    now = timezone.now()
    keys = keys_of(chapter.body)
    with transaction.atomic():
        registered = {row.key: row for row in ClauseKey.objects.select_for_update().filter(guideline_id=guideline.pk)}
        for key in keys:
            row = registered.get(key)
            if row is None:
                ClauseKey.objects.create(
                    guideline_id=guideline.pk, key=key, chapter_id=chapter.pk, first_published_at=now
                )
            elif row.chapter_id != chapter.pk and row.retired_at is None:
                # A clause moved to another chapter of the same guideline keeps its identity.
                row.chapter_id = chapter.pk
                row.save(update_fields=["chapter"])
        retired = {
            key
            for key, row in registered.items()
            if row.chapter_id == chapter.pk and row.retired_at is None and key not in keys
        }
        if retired:
            ClauseKey.objects.filter(guideline_id=guideline.pk, key__in=retired).update(retired_at=now)
            signals.clauses_retired.send(sender=type(guideline), guideline_id=guideline.pk, keys=retired)
    return retired


def _segment(number: str) -> str:
    """A key segment from a clause number as printed: 「（１）」→「1」, 「ア」→「ア」."""
    text = unicodedata.normalize("NFKC", number or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "()（）.．、,「」[]【】")


def _valid(key: str) -> bool:
    from .blocks import clause_key_validator

    try:
        clause_key_validator(key)
    except ValidationError:
        return False
    return True


def _free(candidate: str, prefix: str, taken: set[str]) -> str:
    """`candidate` when it is a well-formed key nobody has, else the first free 「prefix-N」."""
    if candidate and _valid(candidate) and candidate not in taken:
        return candidate
    n = 1
    while f"{prefix}-{n}" in taken:
        n += 1
    return f"{prefix}-{n}"


def chapter_key_for(*, number: str, taken: set[str]) -> str:
    """A new chapter's key from its number (「５」→「5」), or the next free number."""
    segment = _segment(number)
    if segment.isascii() and segment.isdigit() and segment not in taken:
        return segment
    numbers = [int(key) for key in taken if key.isascii() and key.isdigit()]
    return str(max(numbers, default=0) + 1)


def keys_assign(*, chapter_key: str, body, taken: set[str]) -> list[str]:
    """Give every clause and sub-item of `body` that has no key one, in place, from its number as
    the guideline prints it (chapter 5's 「(3)」 is 「5-3」, its item 「イ」 「5-3-イ」). A key
    another clause has, had (`taken`: the guideline's registered and other chapters' keys) or
    that is not well formed falls back to the first free 「…-N」. Returns the keys given."""
    taken = set(taken) | {key for key in keys_of(body) if key}
    given = []
    for block in body:
        value = block.value
        if not value["key"]:
            segment = _segment(value["number"])
            candidate = chapter_key if segment == chapter_key else f"{chapter_key}-{segment}"
            value["key"] = _free(candidate, chapter_key, taken)
            taken.add(value["key"])
            given.append(value["key"])
        for item in value["items"]:
            if not item["key"]:
                item["key"] = _free(f"{value['key']}-{_segment(item['number'])}", value["key"], taken)
                taken.add(item["key"])
                given.append(item["key"])
    return given
