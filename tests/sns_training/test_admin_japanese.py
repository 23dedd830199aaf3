"""HR, editors and approvers of 芦屋市 see the Wagtail admin in Japanese: each screen they reach is
rendered and every visible string that is an admin msgid without a Japanese translation fails the
test (checked against the loaded catalogs, not against a list of phrases); the JavaScript catalog
the admin loads translates every msgid of Wagtail's; the browser title names the site."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.translation import trans_real
from wagtail.models import WorkflowState

from courses.services import editorial_setup
from people.models import StaffMember
from tests.courses.test_workflow import _edit_data
from tests.factories import (
    ChapterPageFactory,
    GuidelinePageFactory,
    QuestionFactory,
    clause,
    group_member,
)
from tests.helpers import visible_text

from .admin_catalog import english_left, source_msgids, untranslated, untranslated_on, visible_segments

pytestmark = pytest.mark.django_db

SITE_NAME = "SNSガイドライン研修"
# Latin letters in the test data: factory ids (test-q00001) and the roster sample's e-mail address.
# Data, and the names of the social-media services the question editor offers as platforms.
DATA_WORDS = {"test", "hanako", "example", "jp", "Facebook", "Instagram", "LINE", "TikTok", "YouTube"}


@pytest.fixture
def world(client, ashiya, home):
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    chapter = ChapterPageFactory(
        parent=guideline, key="1", number="１", title="策定の目的", body=[clause("1", "１", "元の本文です。")]
    )
    second = ChapterPageFactory(parent=guideline, key="2", number="２", title="利用の心得", clause_count=2)
    editors, approvers = editorial_setup(guideline=guideline)
    question = QuestionFactory(guideline=guideline, clause_key="1-1", prompt="芦屋の設問：どう対応しますか。")

    editor, approver = group_member(ashiya, editors), group_member(ashiya, approvers)
    hr = group_member(ashiya, role=StaffMember.Role.HR)
    # A change waiting for approval, so that "in moderation" badges, the approver's review panel
    # and the workflow history have something to show.
    client.force_login(editor)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        _edit_data(client, chapter, body_text="編集者が直した本文です。", action="action-submit"),
    )
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    # A question waiting for approval too: the approver's question editor with 承認 / 差し戻し, its
    # dialogs, and the dashboard's 承認待ち panel listing both.
    question.save_revision(user=editor)
    question.get_workflow().start(question, editor)
    assert question.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    client.logout()
    return {
        "guideline": guideline,
        "chapter": chapter,
        "second": second,
        "question": question,
        "editor": editor,
        "approver": approver,
        "hr": hr,
    }


def _menu_urls(markup: str) -> set[str]:
    """Every admin URL in the sidebar menu (its props are JSON in a script element)."""
    match = re.search(r'<script id="wagtail-sidebar-props"[^>]*>(.*?)</script>', markup, re.S)
    assert match, "no sidebar"
    urls: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            url = value.get("url")
            if isinstance(url, str) and url.startswith("/admin/") and "logout" not in url:
                urls.add(url)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(match.group(1)))
    return urls


def _screens(world, role: str) -> list[str]:
    chapter, guideline, second, question = (world[k] for k in ("chapter", "guideline", "second", "question"))
    common = [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_account"),
        reverse("wagtailadmin_pages:search") + "?q=" + "目的",
    ]
    if role == "hr":
        return common
    pages = [
        reverse("wagtailadmin_explore", args=[guideline.pk]),
        reverse("wagtailadmin_explore", args=[guideline.pk]) + "?ordering=-latest_revision_created_at",
        reverse("wagtailadmin_pages:edit", args=[chapter.pk]),
        reverse("wagtailadmin_pages:edit", args=[second.pk]),
        reverse("wagtailadmin_pages:history", args=[chapter.pk]),
        reverse("wagtailadmin_pages:workflow_history", args=[chapter.pk]),
        reverse("wagtailadmin_pages:add_subpage", args=[guideline.pk]),
        reverse("wagtailadmin_pages:revisions_index", args=[chapter.pk]),
        reverse("wagtailsnippets_quizzes_scenarioquestion:list"),
        reverse("wagtailsnippets_quizzes_scenarioquestion:edit", args=[question.pk]),
        reverse("wagtailsnippets_quizzes_scenarioquestion:history", args=[question.pk]),
        # Wagtail's site-wide reports (workflows, locked pages, site history) are the platform
        # admin's (sns_training/admin_access.py): editors and approvers no longer reach them.
    ]
    if role == "approver":
        pages += [
            reverse("wagtailadmin_pages:unpublish", args=[second.pk]),
            reverse("wagtailadmin_pages:copy", args=[second.pk]),
        ]
    return common + pages


def _visit(client, url: str, *, expect_ok: bool = True):
    response = client.get(url, follow=True)
    if expect_ok:
        assert response.status_code == 200, (url, response.status_code)
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body).get("html", "")
    return body


@pytest.mark.parametrize("role", ["hr", "editor", "approver"])
def test_every_admin_screen_of_the_role_is_in_japanese(client, world, role):
    client.force_login(world[role])
    dashboard = _visit(client, reverse("wagtailadmin_home"))
    # Screens from the role's own menu (help, reports, snippets, HR's screens), then the editing ones.
    menu = sorted(_menu_urls(dashboard))
    assert menu, "the menu is empty"
    urls = _screens(world, role) + menu
    problems: dict[str, set[str]] = {}
    checked = 0
    for url in dict.fromkeys(urls):
        response = client.get(url)
        if response.status_code in (302, 403, 404) and url in menu:
            continue  # e.g. a help link leaving the admin, or a report the role may not open
        assert response.status_code in (200, 302), (url, response.status_code)
        markup = _visit(client, url)
        assert "<title>" in markup and SITE_NAME in markup, url
        found = untranslated_on(markup) | {f"{s!r} (not in any catalog)" for s in english_left(markup, DATA_WORDS)}
        if found:
            problems[url] = found
        checked += 1
    assert checked >= (3 if role == "hr" else 15)
    assert not problems, "\n".join(f"{url}:\n  " + "\n  ".join(sorted(found)) for url, found in problems.items())


def test_the_approvers_review_dialog_and_dashboard_are_in_japanese(client, world):
    client.force_login(world["approver"])
    chapter = world["chapter"]
    state = chapter.current_workflow_state.current_task_state

    question = world["question"]
    question_state = question.current_workflow_state.current_task_state

    dashboard = _visit(client, reverse("wagtailadmin_home"))
    assert "承認待ち" in visible_text(dashboard)
    assert not untranslated_on(dashboard) and not english_left(dashboard, DATA_WORDS)
    dialogs = [
        reverse(f"wagtailadmin_pages:{view}", args=[chapter.pk, action, state.pk])
        for view in ("workflow_action", "collect_workflow_action_data")
        for action in ("approve", "reject")
    ] + [
        reverse(f"wagtailsnippets_quizzes_scenarioquestion:{view}", args=[question.pk, action, question_state.pk])
        for view in ("workflow_action", "collect_workflow_action_data")
        for action in ("approve", "reject")
    ]
    for url in dialogs:
        dialog = _visit(client, url)
        assert not untranslated_on(dialog), (url, untranslated_on(dialog))
        assert not english_left(dialog, DATA_WORDS), (url, english_left(dialog, DATA_WORDS))
        assert "コメント" in visible_text(dialog)
    edit = _visit(client, reverse("wagtailadmin_pages:edit", args=[chapter.pk]))
    assert "モデレーション中" in visible_text(edit)


def test_the_check_finds_wagtails_english_without_the_projects_catalog(client, world):
    """The same check fails on what Wagtail's own ja catalog leaves in English, so it can fail."""
    client.force_login(world["editor"])
    with override_settings(LOCALE_PATHS=[]):
        try:
            markup = _visit(client, reverse("wagtailadmin_pages:edit", args=[world["chapter"].pk]))
            found = untranslated_on(markup)
            missing = untranslated()
        finally:
            trans_real._translations = {}
    assert any("Skip to main content" in line for line in found), found
    assert len(missing) > 500


def test_every_wagtail_msgid_has_a_japanese_translation():
    """Catalog-wide: what the screens above do not happen to show (messages, e-mails, other
    dialogs) is translated too. A Wagtail upgrade that adds msgids lists them here."""
    for domain in ("django", "djangojs"):
        assert len(source_msgids(domain)) > (2000 if domain == "django" else 80)
        assert not untranslated(domain), [m.singular for m in untranslated(domain)]


def test_the_admins_javascript_catalog_is_japanese(client, world):
    """The catalog the admin's scripts load (unsaved-changes prompt, comments, the editor)."""
    client.force_login(world["editor"])
    response = client.get(reverse("wagtailadmin_javascript_catalog"))
    assert response.status_code == 200
    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    assert match
    catalog = json.loads(match.group(1))
    missing = []
    for msgid in source_msgids("djangojs"):
        value = catalog.get(msgid.singular if msgid.context is None else f"{msgid.context}\x04{msgid.singular}")
        if not value or (isinstance(value, list) and not all(value)):
            missing.append(msgid.singular)
    assert not missing, missing
    assert catalog["Autosave in progress…"] == "自動保存中…"
    assert catalog["Toggle sidebar"] == "サイドバーの開閉"


PROJECT_ADMIN_SCRIPTS = ("courses/static/courses/admin/clause_removal.js", "static/js/admin/landmarks.js")


def _script_msgids() -> set[str]:
    """The msgids the project's admin scripts ask Django's JavaScript catalog for."""
    from django.conf import settings

    found = set()
    for path in PROJECT_ADMIN_SCRIPTS:
        source = (settings.BASE_DIR / path).read_text(encoding="utf-8")
        source = re.sub(r"^\s*//.*$", "", source, flags=re.M)  # comments may quote Japanese
        assert not re.search(r'"[^"\n]*[\u3040-\u30ff\u4e00-\u9fff][^"\n]*"', source), f"Japanese literal in {path}"
        found |= {json.loads(f'"{literal}"') for literal in re.findall(r'gettext\(\s*"((?:[^"\\]|\\.)*)"', source)}
    return found


def test_the_projects_admin_scripts_speak_japanese_through_the_javascript_catalog(client, world):
    """The clause confirmation's words (and the sidebar search's name) are English msgids in the
    scripts; the catalog every admin page loads before them gives each its Japanese."""
    client.force_login(world["editor"])
    msgids = _script_msgids()
    assert len(msgids) >= 6, msgids

    body = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", body, re.S).group(1))

    missing = sorted(m for m in msgids if catalog.get(m, m) == m)
    assert not missing, missing
    assert catalog["%(name)s is about to be removed. No live question cites it. Remove it?"] == (
        "%(name)sを削除します。引用している公開中の設問はありません。削除しますか？"
    )
    editor = client.get(reverse("wagtailadmin_pages:edit", args=[world["chapter"].pk])).content.decode()
    catalog_at = editor.index(reverse("wagtailadmin_javascript_catalog"))
    assert catalog_at < editor.index("courses/admin/clause_removal.js")
    assert catalog_at < editor.index("js/admin/landmarks.js")


def test_the_text_collector_reads_titles_labels_and_confirm_texts():
    markup = (
        '<html><head><title>Dashboard - X</title></head><body><button aria-label="Close dialog"></button>'
        '<input type="submit" value="Save schedule"><div data-w-action-confirm-value="Are you sure?"></div>'
        '<script>var x = "Not text";</script><p>本文 <b>Skip to main content</b></p></body></html>'
    )
    assert visible_segments(markup) == [
        "Dashboard - X",
        "Close dialog",
        "Save schedule",
        "Are you sure?",
        "本文",
        "Skip to main content",
    ]
