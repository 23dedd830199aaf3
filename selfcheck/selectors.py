"""Reads for the self-check: the viewer's guideline and its clauses, the rules in force, and the
per-department counts HR sees beside the quiz heat-map."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from courses import tree_cache
from courses.models import ChapterPage, GuidelinePage, live_chapters_of
from people import scoping

from . import defaults
from .engine import RuleConfig
from .models import SelfCheckRule, SelfCheckTally


def guideline_of(*, municipality_id: int) -> GuidelinePage | None:
    """The municipality's live guideline (the first, should there ever be two)."""
    return GuidelinePage.objects.live().filter(municipality_id=municipality_id).order_by("path").first()


def clause_citations(*, guideline: GuidelinePage) -> dict[str, dict]:
    """Clause and sub-clause key → the label, heading, 編 and link a finding cites (cached with the tree)."""

    def build():
        index = {}
        for light in live_chapters_of(guideline):
            chapter = ChapterPage.objects.get(pk=light.pk)
            for block in chapter.body:
                value = block.value
                heading = value["heading"] or chapter.title
                label = f"{chapter.number} {value['number']}".strip() if value["key"] != chapter.key else chapter.number
                citation = {
                    "key": value["key"],
                    "label": label,
                    "heading": heading,
                    "part": chapter.part,
                    "chapter": f"{chapter.number} {chapter.title}",
                    "url": f"{chapter.url}#clause-{value['key']}",
                }
                index[value["key"]] = citation
                for item in value["items"]:
                    index[item["key"]] = {
                        **citation,
                        "key": item["key"],
                        "label": f"{label} {item['number']}",
                        "heading": item["body"],
                        "url": f"{chapter.url}#clause-{item['key']}",
                    }
        return index

    return tree_cache.cached(f"selfcheck-clauses:{guideline.url_path}", build)


def rules_for(*, municipality, account_type: str) -> list[RuleConfig]:
    """The municipality's rules in force for the account type: its live, enabled rules as editors
    published them; a municipality with none yet starts from the defaults (selfcheck/defaults.py)."""
    rows = list(SelfCheckRule.objects.filter(municipality=municipality, live=True))
    if not rows and not SelfCheckRule.objects.filter(municipality=municipality).exists():
        return defaults.default_rule_configs(municipality_slug=municipality.slug, account_type=account_type)
    return [
        RuleConfig(
            code=row.code,
            label=row.get_code_display(),
            message=row.message,
            clause_key=row.clause_key,
            words=_with_new_lists(row),
            work_start=row.work_start,
            work_end=row.work_end,
            break_start=row.break_start,
            break_end=row.break_end,
        )
        for row in rows
        if row.enabled and row.account_type == account_type
    ]


def _with_new_lists(row) -> dict[str, tuple[str, ...]]:
    """The row's word lists, plus the default of any list the row has no line for (a list added to
    the defaults after the row was seeded, decision 0047); a line left empty stays empty."""
    default = defaults.RULES_BY_CODE.get(row.code)
    words = dict(default.words) if default is not None else {}
    words.update(row.word_lists())
    return words


def rule_counts_by_department(*, user, municipality, departments, depth: int, since: date, until: date) -> dict:
    """What HR sees beside the quiz heat-map: for each rule and the clause it cited, how often it
    fired per department (rolled up to `depth` of `departments`, a reports DepartmentIndex) within
    [since, until], and the checks run per department. Only the viewer's municipality's counts."""
    queryset = scoping.within_municipality(SelfCheckTally.objects.all(), user).filter(
        municipality=municipality, day__gte=since, day__lte=until
    )
    checks: dict[int, int] = {}
    rows: dict[tuple[str, str], dict[int, int]] = {}
    for row in queryset.values("code", "clause_key", "department_id").annotate(total=Sum("count")):
        top = departments.at_depth(row["department_id"], depth)
        if top is None:
            continue
        cells = checks if not row["code"] else rows.setdefault((row["code"], row["clause_key"]), {})
        cells[top] = cells.get(top, 0) + row["total"]
    guideline = guideline_of(municipality_id=municipality.pk)
    citations = clause_citations(guideline=guideline) if guideline else {}
    labels = {rule.code: str(rule.label) for rule in defaults.RULES}
    used = set(checks)
    for cells in rows.values():
        used.update(cells)
    columns = [node for node in departments.nodes if node.pk in used]
    return {
        "columns": columns,
        "checks": [checks.get(node.pk, 0) for node in columns],
        "checks_total": sum(checks.values()),
        "rows": [
            {
                "label": labels.get(code, code),
                "clause": citations.get(clause_key, {"label": clause_key, "heading": ""}),
                "cells": [cells.get(node.pk, 0) for node in columns],
                "total": sum(cells.values()),
            }
            for (code, clause_key), cells in sorted(rows.items(), key=lambda item: -sum(item[1].values()))
        ],
    }
