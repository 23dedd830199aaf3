"""Versions of a guideline and the 新旧対照表 (issue 14): made by the system when a chapter is
published, one per import, readable by the municipality's staff only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses import versions
from courses.models import ChapterPage, GuidelineVersion
from courses.services import guideline_import
from tests.factories import ChapterPageFactory, GuidelinePageFactory, StaffMemberFactory, clause

pytestmark = pytest.mark.django_db


@pytest.fixture
def guideline(ashiya):
    guideline = GuidelinePageFactory(municipality=ashiya, slug="ashiya-versions")
    ChapterPageFactory(
        parent=guideline,
        key="2",
        number="２",
        title="定義",
        body=[clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram等をいう。")],
    )
    ChapterPageFactory(
        parent=guideline, key="9", number="９", title="禁止事項", body=[clause("9-1", "(1)", "誹謗中傷をしない。")]
    )
    GuidelineVersion.objects.filter(guideline=guideline).delete()
    versions.version_record(guideline=guideline)
    return guideline


def _amend(chapter: ChapterPage, body: list[dict]):
    page = chapter.get_latest_revision_as_object()
    page.body = body
    page.save_revision().publish()


def test_publishing_a_changed_chapter_makes_the_next_version(guideline):
    chapter = ChapterPage.objects.child_of(guideline).get(key="2")
    _amend(chapter, [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram、LINE等をいう。")])

    numbers = list(guideline.versions.order_by("number").values_list("number", flat=True))
    assert numbers == [1, 2]
    second = guideline.versions.get(number=2)
    assert [c["body"] for c in second.clauses if c["key"] == "2-1"] == [
        "ソーシャルメディアとは、X、Facebook、Instagram、LINE等をいう。"
    ]
    assert second.label == "第2版"


def test_republishing_the_same_text_makes_no_version(guideline):
    chapter = ChapterPage.objects.child_of(guideline).get(key="9")
    chapter.get_latest_revision_as_object().save_revision().publish()

    assert guideline.versions.count() == 1


def test_an_import_is_one_version(guideline):
    data = {
        "municipality": {"code": guideline.municipality.code, "name": guideline.municipality.name, "slug": "x"},
        "slug": "imported",
        "title": "取込ガイドライン",
        "official_title": "取込ガイドライン",
        "issuer": "広報課",
        "version_label": "公表版",
        "source": "原文",
        "chapters": [
            {
                "key": "1",
                "number": "１",
                "title": "目的",
                "clauses": [{"key": "1-1", "number": "(1)", "body": "目的。"}],
            },
            {
                "key": "2",
                "number": "２",
                "title": "定義",
                "clauses": [{"key": "2-1", "number": "(1)", "body": "定義。"}],
            },
        ],
    }
    guideline_import(data=data)

    imported = guideline.__class__.objects.get(slug="imported")
    assert list(imported.versions.values_list("number", flat=True)) == [1]
    assert {c["key"] for c in imported.versions.get().clauses} == {"1-1", "2-1"}


def test_the_comparison_marks_changed_added_and_removed_clauses(guideline):
    definitions = ChapterPage.objects.child_of(guideline).get(key="2")
    prohibitions = ChapterPage.objects.child_of(guideline).get(key="9")
    with versions.deferred():
        _amend(definitions, [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram、LINE等をいう。")])
        _amend(prohibitions, [clause("9-2", "(2)", "所属長に報告する。")])
    new = versions.version_record(guideline=guideline)
    old = guideline.versions.get(number=1)

    chapters = versions.compare(old, new)

    rows = {row.key: row for chapter in chapters for row in chapter.rows}
    assert {key: row.change for key, row in rows.items()} == {"2-1": "changed", "9-2": "added", "9-1": "removed"}
    assert '<mark class="diff diff--new">、LINE</mark>' in rows["2-1"].new_html
    assert "<mark" not in rows["2-1"].old_html.replace("(1)", "")
    assert '<mark class="diff diff--old">' in rows["9-1"].old_html
    assert [c.title for c in chapters] == ["定義", "禁止事項"]


def test_the_comparison_escapes_clause_text(guideline):
    chapter = ChapterPage.objects.child_of(guideline).get(key="9")
    _amend(chapter, [clause("9-1", "(1)", "<script>alert(1)</script>誹謗中傷をしない。")])
    new = guideline.versions.get(number=2)

    rows = versions.compare(guideline.versions.get(number=1), new)[0].rows
    assert "<script>" not in rows[0].new_html
    assert "&lt;script&gt;" in rows[0].new_html


def test_staff_read_the_comparison_of_their_own_municipality_only(client, guideline, sukagawa):
    chapter = ChapterPage.objects.child_of(guideline).get(key="2")
    _amend(chapter, [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram、LINE等をいう。")])
    url = reverse("courses:guideline_comparison", args=[guideline.pk, 1, 2])

    client.force_login(StaffMemberFactory(municipality=guideline.municipality).user)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "改正後" in page and "改正前" in page and "、LINE</mark>" in page
    assert client.get(reverse("courses:guideline_versions", args=[guideline.pk])).status_code == 200

    client.force_login(StaffMemberFactory(municipality=sukagawa).user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("courses:guideline_versions", args=[guideline.pk])).status_code == 404


def test_a_changed_clause_is_minor_unless_the_editor_marks_it_substantive(guideline):
    definitions = ChapterPage.objects.child_of(guideline).get(key="2")
    _amend(definitions, [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram 等をいう。")])
    minor = guideline.versions.get(number=2)
    assert minor.classifications == {"2-1": "minor"}
    assert not versions.is_substantive(minor)

    page = ChapterPage.objects.get(pk=definitions.pk).get_latest_revision_as_object()
    page.body = [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram、LINE 等をいう。")]
    page.substantive_changes = ["2-1"]
    page.save_revision().publish()
    substantive = guideline.versions.get(number=3)
    assert substantive.classifications == {"2-1": "substantive"}
    assert versions.is_substantive(substantive)


def test_added_and_removed_clauses_are_substantive(guideline):
    prohibitions = ChapterPage.objects.child_of(guideline).get(key="9")
    _amend(prohibitions, [clause("9-2", "(2)", "所属長に報告する。")])

    assert guideline.versions.get(number=2).classifications == {"9-1": "substantive", "9-2": "substantive"}


def test_the_comparison_downloads_as_a_pdf_with_the_changed_text(client, guideline, sukagawa):
    from io import BytesIO

    from pypdf import PdfReader

    chapter = ChapterPage.objects.child_of(guideline).get(key="2")
    _amend(chapter, [clause("2-1", "(1)", "ソーシャルメディアとは、X、Facebook、Instagram、LINE等をいう。")])
    url = reverse("courses:guideline_comparison_pdf", args=[guideline.pk, 1, 2])

    client.force_login(StaffMemberFactory(municipality=guideline.municipality).user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(BytesIO(response.content)).pages)
    assert "新旧対照表" in text and "改正後" in text and "改正前" in text
    assert "Instagram、LINE等" in text

    client.force_login(StaffMemberFactory(municipality=sukagawa).user)
    assert client.get(url).status_code == 404
