"""The question import (quizzes.importing and `manage.py import_questions`): questions arrive
published, a second run changes nothing, a malformed file stops it with a message naming the
place and writes nothing; and the real question fixtures cover every clause of both guidelines."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from courses.models import ChapterPage, GuidelinePage
from courses.services import guidelines_import_files
from quizzes.importing import QuestionImportError, questions_import_files
from quizzes.models import Choice, ScenarioQuestion
from tests.factories import ChapterPageFactory
from tests.helpers import write_json

pytestmark = pytest.mark.django_db

QUESTION_DIR = Path(settings.BASE_DIR) / "fixtures" / "questions"
GUIDELINE_DIR = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
MIN_QUESTIONS_PER_CLAUSE = 3


def _question(qid: str, clause: str, kind: str = "single") -> dict:
    correct = [True, False, False] if kind == "single" else [True, True, False, False]
    return {
        "id": qid,
        "clause": clause,
        "also_cites": [],
        "kind": kind,
        "situation": f"{qid} の場面：職員が私的なアカウントで投稿しようとしている。",
        "prompt": f"{qid}：最も適切な対応はどれですか。",
        "explanation": f"{qid} の解説。",
        "choices": [
            {"text": f"{qid} 選択肢{i + 1}", "correct": flag, "feedback": f"{qid} 選択肢{i + 1} へのフィードバック"}
            for i, flag in enumerate(correct)
        ],
    }


VALID = {
    "guideline": "ashiya-test",
    "questions": [
        _question("ashiya-3-1-a", "3-1"),
        _question("ashiya-3-2-a", "3-2", kind="multiple"),
    ],
}
MORE = {"guideline": "ashiya-test", "questions": [_question("ashiya-3-3-a", "3-3")]}


@pytest.fixture(autouse=True)
def chapter(guideline):
    return ChapterPageFactory(parent=guideline, key="3", clause_count=3)


def counts() -> dict[str, int]:
    return {
        "questions": ScenarioQuestion.objects.count(),
        "choices": Choice.objects.count(),
        "revisions": Revision.objects.filter(content_type__model="scenarioquestion").count(),
    }


class TestImportCreates:
    def test_questions_are_created_live_with_a_revision(self, tmp_path):
        created, unchanged = questions_import_files(
            paths=[write_json(tmp_path, "a.json", VALID), write_json(tmp_path, "b.json", MORE)]
        )

        assert (created, unchanged) == (3, 0)
        multiple = ScenarioQuestion.objects.get(external_id="ashiya-3-2-a")
        assert multiple.kind == ScenarioQuestion.Kind.MULTIPLE and multiple.clause_key == "3-2"
        assert multiple.guideline == GuidelinePage.objects.get(slug="ashiya-test")
        assert [(c.text, c.is_correct) for c in multiple.choices.order_by("sort_order")] == [
            ("ashiya-3-2-a 選択肢1", True),
            ("ashiya-3-2-a 選択肢2", True),
            ("ashiya-3-2-a 選択肢3", False),
            ("ashiya-3-2-a 選択肢4", False),
        ]
        for question in ScenarioQuestion.objects.all():
            assert question.live and question.live_revision_id is not None
            assert question.latest_revision_id == question.live_revision_id
            assert not question.has_unpublished_changes
        assert counts() == {"questions": 3, "choices": 10, "revisions": 3}

    def test_running_the_import_again_creates_nothing(self, tmp_path):
        paths = [write_json(tmp_path, "a.json", VALID), write_json(tmp_path, "b.json", MORE)]
        questions_import_files(paths=paths)
        before = counts()
        revisions = dict(ScenarioQuestion.objects.values_list("external_id", "live_revision_id"))

        assert questions_import_files(paths=paths) == (0, 3)

        assert counts() == before
        assert dict(ScenarioQuestion.objects.values_list("external_id", "live_revision_id")) == revisions

    def test_an_edited_question_is_left_as_the_editor_made_it(self, tmp_path):
        path = write_json(tmp_path, "a.json", VALID)
        questions_import_files(paths=[path])
        question = ScenarioQuestion.objects.get(external_id="ashiya-3-1-a")
        question.prompt = "編集者が直した問い"
        question.save_revision().publish()

        questions_import_files(paths=[path])

        assert ScenarioQuestion.objects.get(external_id="ashiya-3-1-a").prompt == "編集者が直した問い"

    def test_the_item_bank_fields_are_stored_and_old_content_gets_the_defaults(self, tmp_path):
        data = copy.deepcopy(VALID)
        data["questions"][0].update(
            also_cites=["3-2", "3-3"],
            audience="contractors",
            difficulty=3,
            platforms=["LINE", "YouTube"],
            scene="保育所",
            employment_type="designated_manager",
            years=[2026, 2028],
        )
        questions_import_files(paths=[write_json(tmp_path, "a.json", data)])

        new = ScenarioQuestion.objects.get(external_id="ashiya-3-1-a")
        assert new.also_cites == ["3-2", "3-3"]  # every key, not only the first
        assert (new.audience, new.difficulty, new.platforms) == ("contractors", 3, ["LINE", "YouTube"])
        assert (new.scene, new.employment_type, new.first_year, new.last_year) == (
            "保育所",
            "designated_manager",
            2026,
            2028,
        )
        old = ScenarioQuestion.objects.get(external_id="ashiya-3-2-a")  # written before these fields existed
        assert (old.also_cites, old.audience, old.difficulty, old.platforms) == ([], "all", 2, [])
        assert (old.scene, old.employment_type, old.first_year, old.last_year) == ("", "", None, None)

    def test_the_management_command_reports_what_it_did(self, tmp_path):
        out = StringIO()
        call_command("import_questions", str(write_json(tmp_path, "a.json", VALID)), stdout=out)

        assert "作成 2 件、変更なし 0 件" in out.getvalue()


def _broken(mutate) -> dict:
    data = copy.deepcopy(VALID)
    mutate(data)
    return data


def _set(path: list, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


BROKEN = {
    "unknown guideline": (_set(["guideline"], "nowhere-guideline"), ["a.json", "nowhere-guideline"]),
    "unknown clause key": (_set(["questions", 1, "clause"], "3-9"), ["a.json", "ashiya-3-2-a", "3-9"]),
    "unknown also_cites key": (_set(["questions", 0, "also_cites"], ["8-1"]), ["ashiya-3-1-a", "8-1"]),
    "a sub-item key": (_set(["questions", 0, "clause"], "3-1-ア"), ["ashiya-3-1-a", "3-1-ア"]),
    "two choices": (
        lambda d: d["questions"][0].update(choices=d["questions"][0]["choices"][:2]),
        ["ashiya-3-1-a", "選択肢は3〜5個"],
    ),
    "single with two correct": (_set(["questions", 0, "choices", 1, "correct"], True), ["ashiya-3-1-a", "ちょうど1つ"]),
    "multiple with every choice correct": (
        lambda d: [c.update(correct=True) for c in d["questions"][1]["choices"]],
        ["ashiya-3-2-a", "誤りを1つ以上"],
    ),
    "missing feedback": (
        _delete(["questions", 1, "choices", 2, "feedback"]),
        ["ashiya-3-2-a", "選択肢3", "フィードバック"],
    ),
    "blank situation": (_set(["questions", 0, "situation"], "  "), ["ashiya-3-1-a", "situation"]),
    "unknown kind": (_set(["questions", 0, "kind"], "free"), ["ashiya-3-1-a", "kind"]),
    "duplicate id in a file": (_set(["questions", 1, "id"], "ashiya-3-1-a"), ["a.json", "ashiya-3-1-a", "重複"]),
    "missing id": (_delete(["questions", 1, "id"]), ["a.json", "第2問", "id"]),
    "also_cites not a list": (_set(["questions", 0, "also_cites"], "3-2"), ["ashiya-3-1-a", "also_cites"]),
    "no questions list": (_delete(["questions"]), ["a.json", "questions"]),
    "also_cites names the clause itself": (
        _set(["questions", 0, "also_cites"], ["3-1"]),
        ["ashiya-3-1-a", "also_cites", "3-1", "自身"],
    ),
    "also_cites repeats a key": (_set(["questions", 0, "also_cites"], ["3-2", "3-2"]), ["ashiya-3-1-a", "重複"]),
    "bad audience": (_set(["questions", 0, "audience"], "everyone"), ["ashiya-3-1-a", "audience", "everyone"]),
    "bad difficulty": (_set(["questions", 1, "difficulty"], 4), ["ashiya-3-2-a", "difficulty", "4"]),
    "unknown platform": (_set(["questions", 0, "platforms"], ["LINE", "Mixi"]), ["ashiya-3-1-a", "Mixi"]),
    "platforms not a list": (_set(["questions", 0, "platforms"], "LINE"), ["ashiya-3-1-a", "platforms"]),
    "unknown scene": (_set(["questions", 0, "scene"], "宇宙局"), ["ashiya-3-1-a", "scene", "宇宙局"]),
    "unknown employment type": (
        _set(["questions", 0, "employment_type"], "mayor"),
        ["ashiya-3-1-a", "employment_type", "mayor"],
    ),
    "years from after to": (_set(["questions", 0, "years"], [2028, 2026]), ["ashiya-3-1-a", "2028", "2026"]),
    "years not a pair": (_set(["questions", 0, "years"], [2026]), ["ashiya-3-1-a", "years"]),
    "multiple with one correct": (
        _set(["questions", 1, "choices", 1, "correct"], False),
        ["ashiya-3-2-a", "正解を2つ以上"],
    ),
    "single with none correct": (
        _set(["questions", 0, "choices", 0, "correct"], False),
        ["ashiya-3-1-a", "ちょうど1つ"],
    ),
}


class TestImportRefuses:
    @pytest.mark.parametrize(("mutate", "expected"), BROKEN.values(), ids=BROKEN.keys())
    def test_a_malformed_file_names_the_place_and_writes_nothing(self, tmp_path, mutate, expected):
        good = write_json(tmp_path, "b.json", MORE)
        broken = write_json(tmp_path, "a.json", _broken(mutate))

        with pytest.raises(QuestionImportError) as caught:
            questions_import_files(paths=[good, broken])

        message = str(caught.value)
        for part in expected:
            assert part in message, message
        assert counts() == {"questions": 0, "choices": 0, "revisions": 0}

    def test_the_same_id_in_two_files_is_named_and_nothing_is_written(self, tmp_path):
        other = {"guideline": "ashiya-test", "questions": [_question("ashiya-3-1-a", "3-3")]}
        paths = [write_json(tmp_path, "a.json", VALID), write_json(tmp_path, "b.json", other)]

        with pytest.raises(QuestionImportError) as caught:
            questions_import_files(paths=paths)

        assert caught.value.errors == ["設問「ashiya-3-1-a」が複数のファイルにあります（a.json、b.json）。"]
        assert counts() == {"questions": 0, "choices": 0, "revisions": 0}

    @pytest.mark.parametrize("content", ["{", "[]", '"questions"', b"\xff\xfe{}"], ids=["json", "list", "str", "bytes"])
    def test_an_unreadable_file_is_named_and_nothing_is_written(self, tmp_path, content):
        good = write_json(tmp_path, "b.json", MORE)
        broken = tmp_path / "a.json"
        if isinstance(content, bytes):
            broken.write_bytes(content)
        else:
            broken.write_text(content, encoding="utf-8")

        with pytest.raises(QuestionImportError) as caught:
            questions_import_files(paths=[good, broken])

        assert "a.json" in str(caught.value)
        assert counts() == {"questions": 0, "choices": 0, "revisions": 0}

    def test_the_management_command_says_nothing_was_written(self, tmp_path):
        path = write_json(tmp_path, "a.json", _broken(_set(["questions", 0, "clause"], "3-9")))

        with pytest.raises(CommandError, match="何も書き込んでいません") as caught:
            call_command("import_questions", str(path), stdout=StringIO())

        assert "条項キー「3-9」" in str(caught.value)
        assert counts()["questions"] == 0


def _question_fixtures() -> list[Path]:
    return sorted(QUESTION_DIR.glob("*.json"))


class TestRealFixtures:
    @pytest.fixture(autouse=True)
    def chapter(self):
        """The real guidelines, not the test one."""

    def test_every_clause_of_both_guidelines_has_at_least_three_live_questions(self, home):
        paths = _question_fixtures()
        if not paths:
            pytest.skip(f"no question fixtures in {QUESTION_DIR}")
        guidelines_import_files(paths=sorted(GUIDELINE_DIR.glob("*.json")))

        created, unchanged = questions_import_files(paths=paths)

        assert created > 0 and unchanged == 0
        guidelines = list(GuidelinePage.objects.all())
        assert len(guidelines) == 2
        short = {}
        for guideline in guidelines:
            live = {}
            for key in ScenarioQuestion.objects.live().filter(guideline=guideline).values_list("clause_key", flat=True):
                live[key] = live.get(key, 0) + 1
            for chapter in ChapterPage.objects.child_of(guideline):
                for key in chapter.clause_keys():
                    if live.get(key, 0) < MIN_QUESTIONS_PER_CLAUSE:
                        short[f"{guideline.slug} {key}"] = live.get(key, 0)
        assert short == {}, f"clauses with fewer than {MIN_QUESTIONS_PER_CLAUSE} live questions: {short}"
