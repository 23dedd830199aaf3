"""The cached page tree never shows readers what editors have changed since: every publish,
unpublish, move, delete, privacy setting and site change reaches the next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from wagtail.models import PageViewRestriction, Site

from courses.models import ChapterPage
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    StaffMemberFactory,
    clause,
)
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def guideline(ashiya):
    return GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")


@pytest.fixture
def chapters(guideline):
    return [
        ChapterPageFactory(parent=guideline, key=str(n), title=f"第{n}章の見出し", number=str(n), clause_count=2)
        for n in (1, 2, 3)
    ]


@pytest.fixture
def reader(client, ashiya):
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
    client.force_login(staff.user)
    return client


def _text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return visible_text(response.content.decode())


def test_a_published_edit_shows_on_the_next_request(reader, chapters):
    chapter = chapters[0]
    assert "本文 1-1 の文です。" in _text(reader, chapter.url)  # now cached

    draft = chapter.get_latest_revision_as_object()
    draft.body = [clause("1-1", "(1)", "改訂後の本文です。", heading="改訂後の見出し")]
    draft.save_revision().publish()

    text = _text(reader, chapter.url)
    assert "改訂後の本文です。" in text
    assert "本文 1-1 の文です。" not in text


def test_a_draft_is_not_shown_until_it_is_published(reader, chapters):
    chapter = chapters[0]
    _text(reader, chapter.url)
    draft = chapter.get_latest_revision_as_object()
    draft.body = [clause("1-1", "(1)", "承認待ちの本文です。")]
    draft.save_revision()

    assert "承認待ちの本文です。" not in _text(reader, chapter.url)


def test_an_unpublished_chapter_is_gone_and_its_neighbours_skip_it(reader, chapters):
    first, middle, last = chapters
    assert middle.title in _text(reader, first.url)

    ChapterPage.objects.get(pk=middle.pk).unpublish()

    assert reader.get(middle.url).status_code == 404
    text = _text(reader, first.url)
    assert middle.title not in text
    assert last.title in text


def test_a_deleted_chapter_answers_404(reader, chapters):
    url = chapters[2].url
    _text(reader, url)
    ChapterPage.objects.get(pk=chapters[2].pk).delete()
    assert reader.get(url).status_code == 404


def test_a_renamed_chapter_moves_to_its_new_address(reader, chapters):
    chapter = chapters[1]
    old_url = chapter.url
    _text(reader, old_url)

    draft = chapter.get_latest_revision_as_object()
    draft.slug = "renamed"
    draft.save_revision().publish()

    assert reader.get(old_url).status_code == 404
    assert chapter.title in _text(reader, ChapterPage.objects.get(pk=chapter.pk).url)


def test_a_moved_guideline_takes_its_chapters_along(reader, chapters, guideline, ashiya):
    url = chapters[0].url
    _text(reader, url)
    other = GuidelinePageFactory(municipality=ashiya, title="別のガイドライン", slug="other")
    ChapterPage.objects.get(pk=chapters[0].pk).move(other, pos="last-child")
    new_url = ChapterPage.objects.get(pk=chapters[0].pk).url

    old = reader.get(url)
    # Wagtail's redirects app sends the old address on to the new one; the chapter is not
    # served at the old address any more.
    assert old.status_code == 301 and old["Location"] == new_url
    assert "別のガイドライン" in _text(reader, new_url)


def test_a_privacy_setting_added_later_is_enforced(reader, chapters, guideline):
    url = chapters[0].url
    _text(reader, url)
    restriction = PageViewRestriction.objects.create(page=guideline, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.create(name="限定公開グループ")])

    response = reader.get(url)

    assert response.status_code in (302, 403)
    assert "本文 1-1 の文です。" not in response.content.decode()


def test_a_guideline_given_to_another_municipality_disappears_for_the_first(reader, chapters, guideline, sukagawa):
    url = chapters[0].url
    _text(reader, url)
    draft = guideline.get_latest_revision_as_object()
    draft.municipality = sukagawa
    draft.save_revision().publish()

    assert reader.get(url).status_code == 404


def test_a_changed_site_root_is_followed(reader, chapters):
    _text(reader, chapters[0].url)
    site = Site.objects.get(is_default_site=True)
    site.root_page = chapters[0].get_parent().get_parent().get_parent()  # the tree root
    site.save()

    assert reader.get(chapters[0].url).status_code == 404


@override_settings(COURSES_TREE_CACHE=False)
def test_with_the_cache_off_pages_are_read_from_the_database(reader, chapters, django_assert_max_num_queries):
    _text(reader, chapters[0].url)
    with django_assert_max_num_queries(8):
        assert "本文 1-1 の文です。" in _text(reader, chapters[0].url)
