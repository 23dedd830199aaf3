"""Import of scenario questions from fixtures/questions/*.json: validated first, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import ChapterPage, GuidelinePage

from .models import PLATFORMS, SCENES, Choice, ScenarioQuestion

EMPLOYMENT_TYPES = ("regular", "special", "reappointed", "fiscal_year", "contractor", "designated_manager")


class QuestionImportError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def _clause_keys(guideline: GuidelinePage) -> set[str]:
    return {key for chapter in ChapterPage.objects.child_of(guideline) for key in chapter.clause_keys()}


def questions_validate(data, *, source: str, guidelines: dict[str, GuidelinePage]) -> list[str]:
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return [_("%(source)s: 「questions」のリストがありません。") % {"source": source}]
    guideline = guidelines.get(data.get("guideline"))
    if guideline is None:
        return [
            _("%(source)s: ガイドライン「%(slug)s」がありません。") % {"source": source, "slug": data.get("guideline")}
        ]
    keys = _clause_keys(guideline)
    seen: set[str] = set()
    for index, q in enumerate(data["questions"], start=1):
        where = _("%(source)s 第%(n)s問") % {"source": source, "n": index}
        if not isinstance(q, dict):
            errors.append(_("%(where)s: 形式が正しくありません。") % {"where": where})
            continue
        qid = q.get("id")
        if not isinstance(qid, str) or not qid:
            errors.append(_("%(where)s: 「id」がありません。") % {"where": where})
        else:
            where = _("%(source)s 設問「%(id)s」") % {"source": source, "id": qid}
            if qid in seen:
                errors.append(_("%(where)s: 設問IDが重複しています。") % {"where": where})
            seen.add(qid)
        for name, limit in (("situation", 2000), ("prompt", 300), ("explanation", 2000)):
            value = q.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(_("%(where)s: 「%(name)s」がありません。") % {"where": where, "name": name})
            elif len(value) > limit:
                errors.append(_("%(where)s: 「%(name)s」が長すぎます。") % {"where": where, "name": name})
        also_cites = q.get("also_cites") or []
        if not isinstance(also_cites, list):
            errors.append(_("%(where)s: 「also_cites」は条項キーのリストにしてください。") % {"where": where})
            also_cites = []
        clause = q.get("clause")
        if not isinstance(clause, str) or clause not in keys:
            errors.append(
                _("%(where)s: 条項キー「%(key)s」はこのガイドラインにありません。") % {"where": where, "key": clause}
            )
        for key in also_cites:
            if not isinstance(key, str) or key not in keys:
                errors.append(
                    _("%(where)s: 「also_cites」の条項キー「%(key)s」はこのガイドラインにありません。")
                    % {"where": where, "key": key}
                )
            elif key == clause:
                errors.append(
                    _("%(where)s: 「also_cites」に出題対象の条項「%(key)s」自身が含まれています。")
                    % {"where": where, "key": key}
                )
        if len(set(map(str, also_cites))) != len(also_cites):
            errors.append(_("%(where)s: 「also_cites」に同じ条項キーが重複しています。") % {"where": where})
        errors += _metadata_errors(q, where)
        kind = q.get("kind")
        if kind not in ScenarioQuestion.Kind.values:
            errors.append(_("%(where)s: 「kind」は single か multiple です。") % {"where": where})
        choices = q.get("choices")
        if not isinstance(choices, list) or not 3 <= len(choices) <= 5:
            errors.append(_("%(where)s: 選択肢は3〜5個にしてください。") % {"where": where})
            continue
        correct = 0
        for c_index, choice in enumerate(choices, start=1):
            if (
                not isinstance(choice, dict)
                or not str(choice.get("text", "")).strip()
                or not str(choice.get("feedback", "")).strip()
            ):
                errors.append(
                    _("%(where)s 選択肢%(n)s: 本文とフィードバックが必要です。") % {"where": where, "n": c_index}
                )
                continue
            if len(choice["text"]) > 300:
                errors.append(_("%(where)s 選択肢%(n)s: 本文が長すぎます。") % {"where": where, "n": c_index})
            correct += bool(choice.get("correct"))
        if kind == "single" and correct != 1:
            errors.append(_("%(where)s: 正解はちょうど1つにしてください。") % {"where": where})
        if kind == "multiple" and not 2 <= correct < len(choices):
            errors.append(
                _("%(where)s: 「すべて選ぶ」設問には正解を2つ以上、誤りを1つ以上含めてください。") % {"where": where}
            )
    return errors


def _metadata_errors(q: dict, where: str) -> list[str]:
    """The item-bank fields (decision 0019). Each is optional, so older content without them
    imports with the defaults of `question_metadata`."""
    errors = []
    if q.get("audience", "all") not in ScenarioQuestion.Audience.values:
        errors.append(
            _("%(where)s: 「audience」は all、official、contractors のいずれかです（「%(value)s」）。")
            % {"where": where, "value": q.get("audience")}
        )
    difficulty = q.get("difficulty", 2)
    if isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
        errors.append(
            _("%(where)s: 「difficulty」は 1、2、3 のいずれかです（「%(value)s」）。")
            % {"where": where, "value": difficulty}
        )
    platforms = q.get("platforms", [])
    if not isinstance(platforms, list):
        errors.append(_("%(where)s: 「platforms」はリストにしてください。") % {"where": where})
    else:
        for platform in platforms:
            if platform not in PLATFORMS:
                errors.append(
                    _("%(where)s: 「platforms」の「%(value)s」は使えません（%(choices)s）。")
                    % {"where": where, "value": platform, "choices": "、".join(PLATFORMS)}
                )
    if q.get("scene", "") not in ("", *SCENES):
        errors.append(
            _("%(where)s: 「scene」の「%(value)s」は部署の一覧にありません。")
            % {"where": where, "value": q.get("scene")}
        )
    if q.get("employment_type", "") not in ("", *EMPLOYMENT_TYPES):
        errors.append(
            _("%(where)s: 「employment_type」は %(choices)s のいずれかです（「%(value)s」）。")
            % {"where": where, "value": q.get("employment_type"), "choices": "、".join(EMPLOYMENT_TYPES)}
        )
    years = q.get("years", [None, None])
    if (
        not isinstance(years, list)
        or len(years) != 2
        or not all(y is None or (isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2100) for y in years)
    ):
        errors.append(
            _("%(where)s: 「years」は [開始年度, 終了年度]（西暦、終わりのない側は null）にしてください。")
            % {"where": where}
        )
    elif years[0] is not None and years[1] is not None and years[0] > years[1]:
        errors.append(
            _("%(where)s: 「years」の開始年度 %(start)s が終了年度 %(end)s より後です。")
            % {"where": where, "start": years[0], "end": years[1]}
        )
    return errors


def question_metadata(q: dict) -> dict:
    """The model fields of the item-bank metadata, with the defaults for content that lacks them."""
    first_year, last_year = q.get("years") or [None, None]
    return {
        "also_cites": list(q.get("also_cites") or []),
        "audience": q.get("audience", ScenarioQuestion.Audience.ALL),
        "difficulty": q.get("difficulty", ScenarioQuestion.Difficulty.MEDIUM),
        "platforms": list(q.get("platforms") or []),
        "scene": q.get("scene", ""),
        "employment_type": q.get("employment_type", ""),
        "first_year": first_year,
        "last_year": last_year,
    }


@transaction.atomic
def questions_import_files(*, paths: list[Path], user=None) -> tuple[int, int]:
    """Create the questions that do not exist yet (by id) and publish them. Existing questions are
    left as editors made them. Returns (created, unchanged)."""
    guidelines = {g.slug: g for g in GuidelinePage.objects.all()}
    loaded = []
    errors: list[str] = []
    for path in paths:
        try:
            loaded.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            errors.append(_("%(file)s: 読み込めません（%(error)s）") % {"file": path.name, "error": exc})
    files_of: dict[str, list[str]] = {}
    for path, data in loaded:
        errors += questions_validate(data, source=path.name, guidelines=guidelines)
        # Only what validation could read: a malformed file is reported above, not a KeyError here.
        questions = data.get("questions") if isinstance(data, dict) else None
        for q in questions if isinstance(questions, list) else []:
            if isinstance(q, dict) and isinstance(q.get("id"), str):
                files_of.setdefault(q["id"], []).append(path.name)
    for qid, names in files_of.items():
        if len(set(names)) > 1:
            errors.append(
                _("設問「%(id)s」が複数のファイルにあります（%(files)s）。")
                % {"id": qid, "files": "、".join(dict.fromkeys(names))}
            )
    if errors:
        raise QuestionImportError(errors)
    ids = list(files_of)
    existing = set(ScenarioQuestion.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
    created = 0
    for _path, data in loaded:
        guideline = guidelines[data["guideline"]]
        for q in data["questions"]:
            if q["id"] in existing:
                continue
            question = ScenarioQuestion(
                guideline=guideline,
                external_id=q["id"],
                clause_key=q["clause"],
                kind=q["kind"],
                situation=q["situation"],
                prompt=q["prompt"],
                explanation=q["explanation"],
                live=False,
                **question_metadata(q),
            )
            question.choices = [
                Choice(text=c["text"], is_correct=bool(c.get("correct")), feedback=c["feedback"], sort_order=i)
                for i, c in enumerate(q["choices"])
            ]
            question.save()
            question.save_revision(user=user).publish(user=user)
            created += 1
    return created, len(ids) - created
