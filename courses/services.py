"""Writes for the guideline pages: the site root and the fixture import (atomic, repeatable)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Page, Site

from people.models import Municipality

from . import versions
from .blocks import clause_key_validator
from .models import EMPLOYMENT_TYPE_CHOICES, ChapterPage, GuidelinePage, HomePage

EMPLOYMENT_TYPES = [value for value, _label in EMPLOYMENT_TYPE_CHOICES]

MAX_TEXT = 20_000


class GuidelineImportError(Exception):
    """The fixture is malformed; `errors` name each place. Nothing has been written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _site_address() -> tuple[str, int]:
    """Host and port of the site's real address (DJANGO_BASE_URL, i.e. WAGTAILADMIN_BASE_URL)."""
    url = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    return url.hostname or "localhost", url.port or (443 if url.scheme == "https" else 80)


def site_root_ensure() -> HomePage:
    """The HomePage at the root of the default site; replaces Wagtail's empty welcome page. The
    site answers at DJANGO_BASE_URL, so links built from it (page.full_url in the workflow
    e-mails) name the real address, not Wagtail's "localhost" (docs/decisions/0020)."""
    home = HomePage.objects.first()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if home is None:
        root = Page.get_first_root_node()
        welcome = site.root_page if site else None
        if welcome is not None and type(welcome.specific) is Page and not welcome.get_children().exists():
            site.root_page = root
            site.save()
            welcome.delete()
            root.refresh_from_db()
        home = root.add_child(instance=HomePage(title="SNSガイドライン研修", slug="home"))
        home.save_revision().publish()
    if site is None:
        site = Site(is_default_site=True)
    hostname, port = _site_address()
    if site.root_page_id != home.pk or (site.hostname, site.port) != (hostname, port):
        site.root_page = home
        site.site_name = "SNSガイドライン研修"
        site.hostname, site.port = hostname, port
        site.save()
    return home


def _text(errors, where, data, name, *, required=True, max_length=MAX_TEXT):
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(_("%(where)s: 「%(name)s」がありません。") % {"where": where, "name": name})
        return ""
    if not isinstance(value, str):
        errors.append(_("%(where)s: 「%(name)s」は文字列で指定してください。") % {"where": where, "name": name})
        return ""
    if len(value) > max_length:
        errors.append(
            _("%(where)s: 「%(name)s」が長すぎます（%(max_length)s文字以内）。")
            % {"where": where, "name": name, "max_length": max_length}
        )
    return value


def guideline_fixture_validate(data, *, source: str = "fixture") -> list[str]:
    """Every problem in one guideline fixture, each naming its place (file, chapter, clause)."""
    errors: list[str] = []
    if not isinstance(data, dict):
        return [_("%(source)s: JSON のオブジェクトではありません。") % {"source": source}]
    municipality = data.get("municipality")
    if not isinstance(municipality, dict):
        errors.append(_("%(source)s: 「municipality」がありません。") % {"source": source})
    else:
        for name in ("code", "name", "slug"):
            _text(errors, f"{source} municipality", municipality, name, max_length=50)
    for name in ("slug", "title", "official_title", "issuer", "version_label", "source"):
        _text(errors, source, data, name, max_length=300)
    for name in ("source_url", "source_note", "document_heading", "preamble", "closing"):
        _text(errors, source, data, name, required=False)
    effective = data.get("effective_date")
    if effective not in (None, ""):
        try:
            datetime.date.fromisoformat(effective)
        except (TypeError, ValueError):
            errors.append(
                _("%(source)s: 「effective_date」が日付（YYYY-MM-DD）ではありません: %(effective)s")
                % {"source": source, "effective": repr(effective)}
            )
    chapters = data.get("chapters")
    if not isinstance(chapters, list) or not chapters:
        errors.append(_("%(source)s: 「chapters」に章が1つもありません。") % {"source": source})
        return errors
    chapter_keys = [c.get("key") for c in chapters if isinstance(c, dict)]
    seen_chapters: set[str] = set()
    seen_clauses: dict[str, str] = {}
    for index, chapter in enumerate(chapters, start=1):
        where = _("%(source)s 第%(index)s章") % {"source": source, "index": index}
        if not isinstance(chapter, dict):
            errors.append(_("%(where)s: 章の形式が正しくありません。") % {"where": where})
            continue
        key = _text(errors, where, chapter, "key", max_length=30)
        where = _("%(source)s 章「%(key)s」") % {"source": source, "key": key or index}
        if key in seen_chapters:
            errors.append(_("%(where)s: 章キー「%(key)s」が重複しています。") % {"where": where, "key": key})
        seen_chapters.add(key)
        for name in ("number", "title"):
            _text(errors, where, chapter, name, max_length=200)
        _text(errors, where, chapter, "part", required=False, max_length=50)
        if chapter.get("audience", "all") not in ChapterPage.Audience.values:
            errors.append(
                _("%(where)s: 「audience」は %(choices)s のいずれかです。")
                % {"where": where, "choices": ", ".join(ChapterPage.Audience.values)}
            )
        binds = chapter.get("binds", [])
        if not isinstance(binds, list) or not set(binds) <= set(EMPLOYMENT_TYPES):
            errors.append(
                _("%(where)s: 「binds」は任用形態（%(choices)s）のリストです。")
                % {"where": where, "choices": ", ".join(EMPLOYMENT_TYPES)}
            )
        clauses = chapter.get("clauses")
        if not isinstance(clauses, list) or not clauses:
            errors.append(_("%(where)s: 条項がありません。") % {"where": where})
            continue
        for c_index, clause in enumerate(clauses, start=1):
            entries = [(clause, _("%(where)s 第%(c_index)s条項") % {"where": where, "c_index": c_index})]
            if isinstance(clause, dict) and isinstance(clause.get("items"), list):
                entries += [
                    (item, _("%(where)s 第%(c_index)s条項の細目%(i)s") % {"where": where, "c_index": c_index, "i": i})
                    for i, item in enumerate(clause["items"], 1)
                ]
            elif isinstance(clause, dict) and clause.get("items") not in (None, []):
                errors.append(
                    _("%(where)s 第%(c_index)s条項: 「items」はリストで指定してください。")
                    % {"where": where, "c_index": c_index}
                )
            for entry, place in entries:
                if not isinstance(entry, dict):
                    errors.append(_("%(place)s: 条項の形式が正しくありません。") % {"place": place})
                    continue
                clause_key = _text(errors, place, entry, "key", max_length=30)
                place = _("%(where)s 条項「%(clause_key)s」") % {"where": where, "clause_key": clause_key or "?"}
                _text(errors, place, entry, "number", max_length=10)
                _text(errors, place, entry, "body")
                if entry is clause:
                    _text(errors, place, entry, "heading", required=False, max_length=200)
                if not clause_key:
                    continue
                try:
                    clause_key_validator(clause_key)
                except Exception:
                    errors.append(
                        _("%(place)s: 条項キー「%(clause_key)s」の形式が正しくありません（例：5-1、6-2-ア）。")
                        % {"place": place, "clause_key": clause_key}
                    )
                    continue
                chapter_of_clause = clause_key.split("-")[0]
                if chapter_of_clause not in chapter_keys:
                    errors.append(
                        _("%(place)s: 条項キー「%(clause_key)s」が指す章「%(chapter_of_clause)s」はありません。")
                        % {"place": place, "clause_key": clause_key, "chapter_of_clause": chapter_of_clause}
                    )
                elif chapter_of_clause != key:
                    errors.append(
                        _(
                            "%(place)s: 条項キー「%(clause_key)s」は章「%(chapter_of_clause)s」のもので、この章「%(key)s」に置けません。"
                        )
                        % {"place": place, "clause_key": clause_key, "chapter_of_clause": chapter_of_clause, "key": key}
                    )
                if clause_key in seen_clauses:
                    errors.append(
                        _("%(place)s: 条項キー「%(clause_key)s」が重複しています（%(other)s）。")
                        % {"place": place, "clause_key": clause_key, "other": seen_clauses[clause_key]}
                    )
                else:
                    seen_clauses[clause_key] = place
    return errors


def _stream_value(clauses: list[dict]) -> list[dict]:
    return [
        {
            "type": "clause",
            "value": {
                "key": c["key"],
                "number": c["number"],
                "heading": c.get("heading") or "",
                "body": c["body"],
                "items": [{"key": i["key"], "number": i["number"], "body": i["body"]} for i in c.get("items") or []],
            },
        }
        for c in clauses
    ]


def _comparable_body(page: ChapterPage) -> list[dict]:
    return [
        {
            "type": "clause",
            "value": {
                "key": b.value["key"],
                "number": b.value["number"],
                "heading": b.value["heading"],
                "body": b.value["body"],
                "items": [{"key": i["key"], "number": i["number"], "body": i["body"]} for i in b.value["items"]],
            },
        }
        for b in page.body
    ]


def _apply(page, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if name == "body":
            if _comparable_body(page) != value:
                page.body = value
                changed = True
        elif getattr(page, name) != value:
            setattr(page, name, value)
            changed = True
    return changed


def _publish(page, *, user=None):
    revision = page.save_revision(user=user, log_action=True)
    revision.publish(user=user)


def _guideline_values(data: dict, municipality: Municipality) -> dict:
    effective = data.get("effective_date")
    return {
        "title": data["title"],
        "municipality": municipality,
        "official_title": data["official_title"],
        "issuer": data["issuer"],
        "version_label": data["version_label"],
        "effective_date": datetime.date.fromisoformat(effective) if effective else None,
        "source": data["source"],
        "source_url": data.get("source_url") or "",
        "source_note": data.get("source_note") or "",
        "document_heading": data.get("document_heading") or "",
        "preamble": data.get("preamble") or "",
        "closing": data.get("closing") or "",
    }


def _chapter_values(chapter: dict) -> dict:
    return {
        "title": chapter["title"],
        "key": chapter["key"],
        "number": chapter["number"],
        "part": chapter.get("part") or "",
        "audience": chapter.get("audience") or ChapterPage.Audience.ALL,
        "binds": list(chapter.get("binds") or []),
        "body": _stream_value(chapter["clauses"]),
    }


@transaction.atomic
def guideline_import(*, data: dict, source: str = "fixture", update: bool = False, user=None) -> ImportResult:
    """Create (or with update=True, bring up to date) one guideline and its chapters.

    Validates everything first; any problem raises GuidelineImportError and writes nothing.
    Without update an existing guideline is left as editors made it.
    """
    errors = guideline_fixture_validate(data, source=source)
    if errors:
        raise GuidelineImportError(errors)
    result = ImportResult()
    home = site_root_ensure()
    m = data["municipality"]
    municipality, _created = Municipality.objects.get_or_create(
        code=m["code"], defaults={"name": m["name"], "slug": m["slug"]}
    )
    guideline = GuidelinePage.objects.child_of(home).filter(slug=data["slug"]).first()
    if guideline is not None and guideline.municipality_id != municipality.pk:
        raise GuidelineImportError(
            [
                _("%(source)s: スラッグ「%(slug)s」は別の自治体のガイドラインで使われています。")
                % {"source": source, "slug": data["slug"]}
            ]
        )
    if guideline is None:
        guideline = GuidelinePage(slug=data["slug"], **_guideline_values(data, municipality))
        home.add_child(instance=guideline)
        _publish(guideline, user=user)
        result.created.append(guideline.title)
    elif update:
        guideline = guideline.get_latest_revision_as_object()
        if _apply(guideline, _guideline_values(data, municipality)):
            _publish(guideline, user=user)
            result.updated.append(guideline.title)
        else:
            result.unchanged.append(guideline.title)
    else:
        result.unchanged.append(guideline.title)
        return result

    existing = {c.key: c for c in ChapterPage.objects.child_of(guideline)}
    # The whole file is one version of the guideline (courses/versions.py), not one per chapter.
    with versions.deferred():
        for chapter in data["chapters"]:
            values = _chapter_values(chapter)
            page = existing.get(chapter["key"])
            label = f"{chapter['number']} {chapter['title']}"
            if page is None:
                page = ChapterPage(slug=f"chapter-{chapter['key']}", **values)
                guideline.add_child(instance=page)
                _publish(page, user=user)
                result.created.append(label)
            else:
                page = page.get_latest_revision_as_object()
                if _apply(page, values):
                    _publish(page, user=user)
                    result.updated.append(label)
                else:
                    result.unchanged.append(label)
    versions.version_record(guideline=guideline, user=user)
    return result


def guideline_fixture_load(path: Path) -> dict:
    return guideline_fixture_parse(path.read_bytes(), name=path.name)


def guideline_fixture_parse(content: bytes, *, name: str) -> dict:
    """A fixture file's JSON (from disk, or uploaded in the admin's onboarding form), read the one
    way import_guidelines reads it; validate it with guideline_fixture_validate."""
    try:
        return json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GuidelineImportError(
            [_("%(file)s: UTF-8 で読めません（%(byte)sバイト目）。") % {"file": name, "byte": exc.start}]
        ) from exc
    except json.JSONDecodeError as exc:
        raise GuidelineImportError(
            [
                _("%(file)s: JSON の書式誤り（%(line)s行%(column)s列）: %(message)s")
                % {"file": name, "line": exc.lineno, "column": exc.colno, "message": exc.msg}
            ]
        ) from exc


@transaction.atomic
def guidelines_import_files(*, paths: list[Path], update: bool = False, user=None) -> ImportResult:
    """Import several fixture files as one unit: all of them, or (on any error) none."""
    loaded = [(path, guideline_fixture_load(path)) for path in paths]
    errors = [e for path, data in loaded for e in guideline_fixture_validate(data, source=path.name)]
    if errors:
        raise GuidelineImportError(errors)
    total = ImportResult()
    for path, data in loaded:
        result = guideline_import(data=data, source=path.name, update=update, user=user)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
    return total


EDITOR_GROUP = "{municipality} 編集者"
APPROVER_GROUP = "{municipality} 承認者"
QUESTION_WORKFLOW = "設問承認フロー"
QUESTION_TASK = "設問の承認（自治体別）"


@transaction.atomic
def editorial_setup(*, guideline: GuidelinePage):
    """Editor and approver groups for the guideline's municipality, with page permissions on its
    tree only, and a workflow that publishes an editor's change once an approver approves it."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupApprovalTask, GroupPagePermission, Workflow, WorkflowPage, WorkflowTask

    name = guideline.municipality.name
    editors, _created = Group.objects.get_or_create(name=EDITOR_GROUP.format(municipality=name))
    approvers, _created = Group.objects.get_or_create(name=APPROVER_GROUP.format(municipality=name))
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for group in (editors, approvers):
        group.permissions.add(access_admin)
    for group, types in ((editors, ("add", "change")), (approvers, ("add", "change", "publish"))):
        for permission_type in types:
            permission = Permission.objects.get(
                content_type__app_label="wagtailcore", codename=f"{permission_type}_page"
            )
            GroupPagePermission.objects.get_or_create(group=group, page=guideline, permission=permission)
    # Scenario questions: editors write drafts and submit them to the question workflow, which
    # routes each to its own municipality's approvers (quizzes.models.QuestionApprovalTask);
    # approvers may also publish their own edits, as with pages. quizzes.permissions keeps both
    # inside their municipality.
    question_codenames = {
        editors: ("add_scenarioquestion", "change_scenarioquestion", "view_scenarioquestion"),
        approvers: (
            "add_scenarioquestion",
            "change_scenarioquestion",
            "view_scenarioquestion",
            "publish_scenarioquestion",
        ),
    }
    for group, codenames in question_codenames.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label="quizzes", codename__in=codenames))
    task = GroupApprovalTask.objects.filter(name=f"{name} 承認").first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=f"{name} 承認")
    task.groups.set([approvers])
    workflow, _created = Workflow.objects.get_or_create(name=f"{name} ガイドライン承認フロー")
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=guideline, defaults={"workflow": workflow})
    _question_workflow_ensure(approvers)
    return editors, approvers


def _question_workflow_ensure(approvers) -> None:
    """One workflow for scenario questions (Wagtail assigns workflows per content type) whose one
    task lets each municipality's approvers approve their own municipality's questions only."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

    from quizzes.models import QuestionApprovalTask, ScenarioQuestion

    task = QuestionApprovalTask.objects.filter(name=QUESTION_TASK).first()
    if task is None:
        task = QuestionApprovalTask.objects.create(name=QUESTION_TASK)
    task.groups.add(approvers)
    workflow, _created = Workflow.objects.get_or_create(name=QUESTION_WORKFLOW)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    WorkflowContentType.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(ScenarioQuestion), defaults={"workflow": workflow}
    )
