"""Import of scenario questions from fixtures/questions/*.json: validated first, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import ChapterPage, GuidelinePage

from .models import Choice, ScenarioQuestion


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
        for key in [q.get("clause")] + also_cites:
            if not isinstance(key, str) or key not in keys:
                errors.append(
                    _("%(where)s: 条項キー「%(key)s」はこのガイドラインにありません。") % {"where": where, "key": key}
                )
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
                also_cites=(q.get("also_cites") or [""])[0],
                kind=q["kind"],
                situation=q["situation"],
                prompt=q["prompt"],
                explanation=q["explanation"],
                live=False,
            )
            question.choices = [
                Choice(text=c["text"], is_correct=bool(c.get("correct")), feedback=c["feedback"], sort_order=i)
                for i, c in enumerate(q["choices"])
            ]
            question.save()
            question.save_revision(user=user).publish(user=user)
            created += 1
    return created, len(ids) - created
