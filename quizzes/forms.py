"""Parsing a quiz submission strictly: only the fields the quiz page sends, in bounds."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .services import QuizError, Submission

MAX_ITEMS = 60
MAX_CHOICES = 5
_MAX_ID_LENGTH = 18


def parse_id(value: str) -> int | None:
    """A database id as the page sends it (ASCII digits, in bounds), else None. str.isdigit()
    alone lets through "²" (int() refuses it) and digit strings too long for int() to read."""
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_ID_LENGTH:
        return None
    return int(value)


def _ids(values: list[str]) -> tuple[int, ...]:
    ids = []
    for value in values:
        pk = parse_id(value)
        if pk is None:
            raise QuizError(_("送信内容が正しくありません。設問のページを開き直してください。"))
        ids.append(pk)
    return tuple(ids)


def parse_submission(post) -> Submission:
    """A QuizError (shown with status 400) for anything the quiz page would not send."""
    item_ids = _ids(post.getlist("items"))
    if not item_ids or len(item_ids) > MAX_ITEMS or len(set(item_ids)) != len(item_ids):
        raise QuizError(_("送信内容が正しくありません。設問のページを開き直してください。"))
    allowed = {"csrfmiddlewaretoken", "items"} | {f"item-{pk}" for pk in item_ids}
    if set(post.keys()) - allowed:
        raise QuizError(_("想定していない項目が送信されました。設問のページを開き直してください。"))
    answers = {}
    for pk in item_ids:
        chosen = post.getlist(f"item-{pk}")
        if len(chosen) > MAX_CHOICES:
            raise QuizError(_("送信内容が正しくありません。設問のページを開き直してください。"))
        answers[pk] = _ids(chosen)
    return Submission(item_ids=item_ids, answers=answers)
