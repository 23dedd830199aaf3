"""The guideline import (courses.services and `manage.py import_guidelines`) on an empty site:
what it creates, and that a malformed fixture stops it with a message naming the place and
writes nothing at all."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision, Site

from courses.models import ChapterPage, GuidelinePage, HomePage
from courses.services import GuidelineImportError, guideline_import, guidelines_import_files
from people.models import Municipality
from tests.helpers import write_json

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
ASHIYA = FIXTURES / "ashiya.json"
SUKAGAWA = FIXTURES / "sukagawa.json"


def fixture(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def counts() -> dict[str, int]:
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "guidelines": GuidelinePage.objects.count(),
        "chapters": ChapterPage.objects.count(),
        "municipalities": Municipality.objects.count(),
    }


def _chapter(data: dict, key: str) -> dict:
    return next(c for c in data["chapters"] if c["key"] == key)


def _clause(data: dict, key: str) -> dict:
    chapter = _chapter(data, key.split("-")[0])
    return next(c for c in chapter["clauses"] if c["key"] == key)


class TestImportCreates:
    def test_both_fixtures_become_live_course_and_chapter_pages(self):
        result = guidelines_import_files(paths=[ASHIYA, SUKAGAWA])

        after = counts()
        assert (after["guidelines"], after["chapters"], after["municipalities"]) == (2, 14, 2)
        assert len(result.created) == 16
        assert "５ 遵守事項" in result.created
        assert "4 ソーシャルメディアの利用に当たっての基本的な留意事項" in result.created
        home = HomePage.objects.get()
        assert Site.objects.get(is_default_site=True).root_page_id == home.pk
        ashiya = GuidelinePage.objects.get(municipality__code="282065")
        assert ashiya.live and ashiya.get_parent().pk == home.pk
        assert ashiya.url == "/ashiya-sns-guideline/"
        chapters = list(ChapterPage.objects.child_of(ashiya).order_by("path"))
        assert [c.key for c in chapters] == [str(n) for n in range(1, 10)]
        assert all(c.live and c.live_revision_id for c in chapters)
        assert chapters[4].url == "/ashiya-sns-guideline/chapter-5/"
        assert chapters[4].audience == ChapterPage.Audience.OFFICIAL_ACCOUNT
        assert [c["key"] for c in chapters[5].clauses()] == [
            "6-1",
            "6-2",
            "6-2-ア",
            "6-2-イ",
            "6-2-ウ",
            "6-2-エ",
            "6-3",
        ]
        sukagawa = GuidelinePage.objects.get(municipality__code="072079")
        assert sukagawa.effective_date.isoformat() == "2023-09-11"
        assert sukagawa.municipality.name == "須賀川市"

    def test_the_welcome_page_of_a_fresh_wagtail_is_replaced(self):
        assert Site.objects.get(is_default_site=True).root_page.specific_class is Page

        guideline_import(data=fixture(ASHIYA), source="ashiya.json")

        site = Site.objects.get(is_default_site=True)
        assert site.root_page.specific_class is HomePage
        assert Page.objects.filter(depth=2).count() == 1

    def test_the_command_imports_every_fixture_by_default(self):
        out = StringIO()
        call_command("import_guidelines", stdout=out)

        assert "作成: 芦屋市職員ソーシャルメディア利用ガイドライン" in out.getvalue()
        assert "完了: 作成 16 件、更新 0 件、変更なし 0 件" in out.getvalue()
        assert GuidelinePage.objects.live().count() == 2

    def test_the_command_refuses_a_missing_file_and_writes_nothing(self, tmp_path):
        before = counts()
        with pytest.raises(CommandError, match="ファイルが見つかりません: .*nothing.json"):
            call_command("import_guidelines", str(ASHIYA), str(tmp_path / "nothing.json"), stdout=StringIO())
        assert counts() == before


def _duplicate_clause_key(data):
    _clause(data, "5-2")["key"] = "5-1"


def _missing_body(data):
    del _clause(data, "3-2")["body"]


def _blank_sub_item_body(data):
    _clause(data, "6-2")["items"][1]["body"] = "   "


def _unknown_chapter(data):
    _clause(data, "9-6")["key"] = "12-1"


def _clause_in_the_wrong_chapter(data):
    _clause(data, "8-1")["key"] = "7-9"


def _bad_date(data):
    data["effective_date"] = "2023-13-45"


def _duplicate_chapter_key(data):
    _chapter(data, "8")["key"] = "7"


def _no_chapters(data):
    data["chapters"] = []


MALFORMED = [
    pytest.param(
        _duplicate_clause_key, "章「5」 条項「5-1」: 条項キー「5-1」が重複しています", id="duplicate-clause-key"
    ),
    pytest.param(_missing_body, "章「3」 条項「3-2」: 「body」がありません。", id="missing-body"),
    pytest.param(_blank_sub_item_body, "章「6」 条項「6-2-イ」: 「body」がありません。", id="blank-sub-item-body"),
    pytest.param(
        _unknown_chapter, "章「9」 条項「12-1」: 条項キー「12-1」が指す章「12」はありません。", id="unknown-chapter"
    ),
    pytest.param(
        _clause_in_the_wrong_chapter, "章「8」 条項「7-9」: 条項キー「7-9」は章「7」のもの", id="wrong-chapter"
    ),
    pytest.param(_bad_date, ": 「effective_date」が日付（YYYY-MM-DD）ではありません: '2023-13-45'", id="bad-date"),
    pytest.param(_duplicate_chapter_key, "章「7」: 章キー「7」が重複しています。", id="duplicate-chapter-key"),
    pytest.param(_no_chapters, ": 「chapters」に章が1つもありません。", id="no-chapters"),
]


class TestMalformedFixture:
    @pytest.mark.parametrize(("break_it", "message"), MALFORMED)
    def test_import_stops_naming_file_chapter_and_clause(self, tmp_path, break_it, message):
        data = fixture(ASHIYA)
        break_it(data)
        path = write_json(tmp_path, "ashiya-broken.json", data)
        before = counts()

        with pytest.raises(GuidelineImportError) as excinfo:
            guidelines_import_files(paths=[path])

        assert any(e.startswith("ashiya-broken.json") and message in e for e in excinfo.value.errors), (
            excinfo.value.errors
        )
        assert counts() == before

    @pytest.mark.parametrize(("break_it", "message"), MALFORMED)
    def test_when_the_second_file_is_bad_the_first_is_not_imported_either(self, tmp_path, break_it, message):
        data = fixture(ASHIYA)
        data["slug"] = "second"
        data["municipality"] = {"code": "999999", "name": "第二市", "slug": "second"}
        break_it(data)
        bad = write_json(tmp_path, "second.json", data)
        before = counts()

        with pytest.raises(GuidelineImportError) as excinfo:
            guidelines_import_files(paths=[SUKAGAWA, bad])

        assert all(e.startswith("second.json") for e in excinfo.value.errors)
        assert any(message in e for e in excinfo.value.errors)
        assert counts() == before
        assert not Municipality.objects.exists()

    def test_bad_json_names_the_file_line_and_column(self, tmp_path):
        text = ASHIYA.read_text(encoding="utf-8")
        bad = write_json(tmp_path, "sukagawa-truncated.json", text[: len(text) // 2])
        before = counts()

        with pytest.raises(GuidelineImportError) as excinfo:
            guidelines_import_files(paths=[ASHIYA, bad])

        (error,) = excinfo.value.errors
        assert error.startswith("sukagawa-truncated.json: JSON の書式誤り（")
        assert "行" in error and "列" in error
        assert counts() == before

    def test_a_file_that_is_not_utf8_is_refused(self, tmp_path):
        bad = tmp_path / "sjis.json"
        bad.write_bytes(ASHIYA.read_text(encoding="utf-8").encode("shift_jis"))

        with pytest.raises(GuidelineImportError, match="sjis.json: UTF-8 で読めません"):
            guidelines_import_files(paths=[bad])
        assert counts()["guidelines"] == 0

    def test_every_problem_is_reported_at_once(self, tmp_path):
        data = fixture(ASHIYA)
        _duplicate_clause_key(data)
        _missing_body(data)
        _unknown_chapter(data)
        _bad_date(data)

        with pytest.raises(GuidelineImportError) as excinfo:
            guidelines_import_files(paths=[write_json(tmp_path, "a.json", data)])

        assert len(excinfo.value.errors) == 4

    def test_a_problem_found_while_writing_the_second_file_rolls_back_the_first(self, tmp_path):
        """The slug clash is only found against the database, after the first file is written."""
        thief = copy.deepcopy(fixture(SUKAGAWA))
        thief["slug"] = fixture(ASHIYA)["slug"]
        second = write_json(tmp_path, "thief.json", thief)
        before = counts()

        with pytest.raises(GuidelineImportError, match="thief.json: スラッグ「ashiya-sns-guideline」は別の自治体"):
            guidelines_import_files(paths=[ASHIYA, second])

        assert counts() == before
        assert not HomePage.objects.exists()

    def test_the_command_reports_the_errors_and_writes_nothing(self, tmp_path):
        data = fixture(ASHIYA)
        _missing_body(data)
        bad = write_json(tmp_path, "broken.json", data)
        before = counts()

        with pytest.raises(CommandError) as excinfo:
            call_command("import_guidelines", str(SUKAGAWA), str(bad), stdout=StringIO())

        message = str(excinfo.value)
        assert message.startswith("取り込みを中止しました（何も書き込んでいません）:")
        assert "broken.json 章「3」 条項「3-2」: 「body」がありません。" in message
        assert counts() == before
