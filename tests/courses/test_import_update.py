"""The guideline import over a site that already has both guidelines: running it again writes
nothing, --update publishes only the chapters whose text changed, and editors' work survives."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from courses.models import ChapterPage, GuidelinePage
from courses.services import GuidelineImportError, guideline_import, guidelines_import_files
from tests.helpers import write_json

from .test_import import ASHIYA, SUKAGAWA, _clause, counts, fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def imported(module_db):
    guidelines_import_files(paths=[ASHIYA, SUKAGAWA])


def _revisions_by_chapter() -> dict[str, int]:
    return {
        f"{page.get_parent().slug}/{page.key}": Revision.page_revisions.filter(object_id=str(page.pk)).count()
        for page in ChapterPage.objects.all()
    }


def _live_chapter(key: str, guideline_slug: str = "ashiya-sns-guideline") -> ChapterPage:
    return ChapterPage.objects.get(key=key, url_path__contains=f"/{guideline_slug}/")


def test_running_again_creates_nothing():
    before = counts()

    result = guidelines_import_files(paths=[ASHIYA, SUKAGAWA])

    assert result.created == [] and result.updated == []
    assert len(result.unchanged) == 2
    assert counts() == before


def test_the_command_run_again_reports_nothing_created():
    out = StringIO()
    call_command("import_guidelines", stdout=out)
    assert "完了: 作成 0 件、更新 0 件、変更なし 2 件" in out.getvalue()


def test_update_with_identical_fixtures_publishes_nothing():
    before = _revisions_by_chapter()

    result = guidelines_import_files(paths=[ASHIYA, SUKAGAWA], update=True)

    assert result.updated == []
    assert len(result.unchanged) == 16
    assert _revisions_by_chapter() == before


def test_update_publishes_only_the_changed_chapter():
    data = fixture(ASHIYA)
    _clause(data, "5-3")["body"] = (
        "基本的人権、肖像権、プライバシー権、著作権、パブリシティ権などに関して十分留意すること。"
    )
    before = _revisions_by_chapter()

    result = guideline_import(data=data, source="ashiya.json", update=True)

    assert result.updated == ["５ 遵守事項"]
    assert result.created == []
    after = _revisions_by_chapter()
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {"ashiya-sns-guideline/5"}
    assert after["ashiya-sns-guideline/5"] == before["ashiya-sns-guideline/5"] + 1
    chapter = _live_chapter("5")
    assert "パブリシティ権" in [c for c in chapter.clauses() if c["key"] == "5-3"][0]["body"]
    assert not chapter.has_unpublished_changes


def test_update_changes_the_guideline_page_itself_when_its_fields_differ():
    data = fixture(SUKAGAWA)
    data["version_label"] = "令和7年4月1日更新版"
    chapters_before = _revisions_by_chapter()

    result = guideline_import(data=data, source="sukagawa.json", update=True)

    assert result.updated == ["市職員のソーシャルメディアの利用に関するガイドライン"]
    assert GuidelinePage.objects.get(slug="sukagawa-sns-guideline").version_label == "令和7年4月1日更新版"
    assert _revisions_by_chapter() == chapters_before


def test_without_update_a_changed_fixture_leaves_the_pages_as_editors_made_them():
    data = fixture(ASHIYA)
    _clause(data, "5-3")["body"] = "差し替えられた本文。"
    before = counts()

    result = guideline_import(data=data, source="ashiya.json")

    assert result.updated == []
    assert counts() == before
    assert "差し替えられた本文。" not in json.dumps(list(_live_chapter("5").clauses()), ensure_ascii=False)


def test_a_bad_update_changes_nothing(tmp_path):
    good = fixture(ASHIYA)
    _clause(good, "5-3")["body"] = "新しい本文。"
    bad = fixture(SUKAGAWA)
    del _clause(bad, "4-5")["items"][0]["body"]
    before = counts()
    revisions = _revisions_by_chapter()

    with pytest.raises(GuidelineImportError, match="bad.json 章「4」 条項「4-5-ア」: 「body」がありません。"):
        guidelines_import_files(
            paths=[write_json(tmp_path, "good.json", good), write_json(tmp_path, "bad.json", bad)], update=True
        )

    assert counts() == before
    assert _revisions_by_chapter() == revisions
    assert "新しい本文。" not in json.dumps(list(_live_chapter("5").clauses()), ensure_ascii=False)


def test_the_command_with_update_reports_the_changed_chapter(tmp_path):
    data = fixture(SUKAGAWA)
    _clause(data, "4-4")["body"] = "勤務時間中における個人的な情報発信は、しないこと。"
    out = StringIO()

    call_command("import_guidelines", str(write_json(tmp_path, "sukagawa.json", data)), "--update", stdout=out)

    assert "更新: 4 ソーシャルメディアの利用に当たっての基本的な留意事項" in out.getvalue()
    assert "完了: 作成 0 件、更新 1 件、変更なし 5 件" in out.getvalue()
    body = [c["body"] for c in _live_chapter("4", "sukagawa-sns-guideline").clauses() if c["key"] == "4-4"]
    assert body == ["勤務時間中における個人的な情報発信は、しないこと。"]


def test_the_command_with_a_bad_file_over_existing_pages_writes_nothing(tmp_path):
    before = counts()
    with pytest.raises(CommandError, match="broken.json: JSON の書式誤り"):
        call_command("import_guidelines", str(write_json(tmp_path, "broken.json", "{")), "--update", stdout=StringIO())
    assert counts() == before
    assert Page.objects.filter(live=False).count() == 0
