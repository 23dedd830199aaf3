"""The course and chapter pages and my page as staff see them: who may read which guideline,
what a chapter shows, the Japanese 404 page, and pinned query counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import tree_cache
from courses.models import ChapterPage, GuidelinePage
from courses.services import guidelines_import_files
from people.models import StaffMember
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    StaffMemberFactory,
    UserFactory,
    clause,
)
from tests.helpers import squeeze, visible_text

pytestmark = pytest.mark.django_db

Role = StaffMember.Role
CHAPTER_PAGE_MAX_QUERIES = 8
# With the page tree not yet cached (after a publish): user, site, home page, chapter, restricted
# paths, guideline, chapter list. With it cached (courses.tree_cache): the user alone.
CHAPTER_PAGE_QUERIES_COLD = 7
CHAPTER_PAGE_QUERIES_WARM = 1
# user, guidelines, chapters, deadlines; progress: bodies, mastered, quizzed, attempted, record; records;
# 改正点の確認 (decision 0037); site
MYPAGE_QUERIES = 12
COURSE_PAGE_QUERIES = 2  # the user, the guideline's municipality


@pytest.fixture
def guidelines(ashiya, sukagawa):
    ga = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    gs = GuidelinePageFactory(municipality=sukagawa, title="須賀川市テストガイドライン", slug="sukagawa-test")
    return ga, gs


def _staff(municipality, role=Role.EMPLOYEE, **kwargs):
    return StaffMemberFactory(
        municipality=municipality, department=DepartmentFactory(municipality=municipality), role=role, **kwargs
    )


class TestGuidelineVisibleTo:
    @pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.DEPARTMENT_HEAD, Role.HR])
    def test_staff_of_every_role_see_their_municipalitys_guideline_only(self, guidelines, ashiya, role):
        user = _staff(ashiya, role).user
        assert list(GuidelinePage.objects.visible_to(user)) == [guidelines[0]]

    def test_superuser_sees_every_guideline(self, guidelines):
        user = UserFactory(is_superuser=True)
        assert set(GuidelinePage.objects.visible_to(user)) == set(guidelines)

    def test_inactive_staff_see_none(self, guidelines, ashiya):
        staff = _staff(ashiya, Role.HR)
        StaffMember.objects.filter(pk=staff.pk).update(is_active=False)
        user = type(staff.user).objects.get(pk=staff.user_id)
        assert list(GuidelinePage.objects.visible_to(user)) == []

    def test_a_user_without_a_staff_record_and_anonymous_see_none(self, guidelines):
        assert list(GuidelinePage.objects.visible_to(UserFactory())) == []
        assert list(GuidelinePage.objects.visible_to(AnonymousUser())) == []


class TestChapterPage:
    @pytest.fixture
    def chapters(self, guidelines):
        ga = guidelines[0]
        first = ChapterPageFactory(
            parent=ga,
            key="1",
            number="１",
            title="策定の背景及び目的",
            body=[
                clause(
                    "1", "１", "近年、情報発信が増えている。\nまた、職員も増えている。", heading="策定の背景及び目的"
                )
            ],
        )
        second = ChapterPageFactory(
            parent=ga,
            key="6",
            number="６",
            title="禁止事項",
            part="【業務編】",
            audience=ChapterPage.Audience.OFFICIAL_ACCOUNT,
            body=[
                clause("6-1", "(1)", "秘密情報は発信しない。", heading="秘密情報等の発信禁止"),
                clause(
                    "6-2",
                    "(2)",
                    "次の情報は発信しない。",
                    heading="社会通念にそぐわない投稿の禁止",
                    items=[
                        {"key": "6-2-ア", "number": "ア", "body": "差別を助長させる情報"},
                        {"key": "6-2-イ", "number": "イ", "body": "違法行為を煽る情報"},
                    ],
                ),
            ],
        )
        return first, second

    def test_a_chapter_shows_its_clauses_with_numbers_headings_and_anchors(self, client, chapters, ashiya):
        client.force_login(_staff(ashiya).user)

        markup = client.get(chapters[1].url).content.decode()
        text = squeeze(visible_text(markup))

        assert "【業務編】" in text
        assert "６禁止事項" in text
        assert "(1)秘密情報等の発信禁止秘密情報は発信しない。" in text
        assert (
            "(2)社会通念にそぐわない投稿の禁止次の情報は発信しない。ア差別を助長させる情報イ違法行為を煽る情報" in text
        )
        for key in ("6-1", "6-2", "6-2-ア", "6-2-イ"):
            assert f'id="clause-{key}"' in markup
        assert "この章は、業務で本市公式アカウントを運用する職員" in text

    def test_a_single_text_chapter_shows_its_heading_once_as_the_title(self, client, chapters, ashiya):
        client.force_login(_staff(ashiya).user)

        text = visible_text(client.get(chapters[0].url).content.decode())

        assert squeeze(text).count("策定の背景及び目的") == 2  # the <h1>, and the breadcrumb
        assert re.search(r"<h1[^>]*>.*策定の背景及び目的", client.get(chapters[0].url).content.decode(), re.S)
        assert "近年、情報発信が増えている。" in text and "また、職員も増えている。" in text
        assert "この章は、業務で本市公式アカウントを運用する職員" not in text

    def test_chapters_link_to_their_neighbours_and_back_to_the_course(self, client, chapters, ashiya):
        first, second = chapters
        client.force_login(_staff(ashiya).user)

        first_page = client.get(first.url).content.decode()
        last_page = client.get(second.url).content.decode()

        assert re.search(rf'rel="next" href="{second.url}"', first_page)
        assert 'rel="prev"' not in first_page
        assert re.search(rf'rel="prev" href="{first.url}"', last_page)
        assert "目次へ戻る" in visible_text(last_page)

    def test_the_course_page_lists_the_chapters_in_order(self, client, chapters, ashiya, guidelines):
        client.force_login(_staff(ashiya).user)

        text = squeeze(visible_text(client.get(guidelines[0].url).content.decode()))

        assert "芦屋市テストガイドライン" in text
        assert text.index("１策定の背景及び目的") < text.index("【業務編】") < text.index("６禁止事項")
        assert "公式アカウント運用者向け" in text

    def test_an_unpublished_chapter_is_not_found(self, client, chapters, ashiya):
        chapters[1].unpublish()
        client.force_login(_staff(ashiya).user)

        response = client.get(chapters[1].url)

        assert response.status_code == 404
        assert "秘密情報は発信しない。" not in response.content.decode()
        assert "禁止事項" not in visible_text(client.get(chapters[0].url).content.decode())

    def test_inactive_staff_cannot_read_the_guideline(self, client, chapters, ashiya):
        staff = _staff(ashiya)
        StaffMember.objects.filter(pk=staff.pk).update(is_active=False)
        client.force_login(staff.user)

        assert client.get(chapters[0].url).status_code == 404


class TestMyPage:
    def test_lists_the_own_guideline_and_its_chapters_only(self, client, guidelines, ashiya):
        ga, gs = guidelines
        ChapterPageFactory(parent=ga, key="1", title="芦屋の章")
        ChapterPageFactory(parent=gs, key="1", title="須賀川の章")
        staff = _staff(ashiya, name="芦田 太郎")
        client.force_login(staff.user)

        text = visible_text(client.get("/mypage/").content.decode())

        assert "芦田 太郎 さん" in text
        assert "芦屋市テストガイドライン" in text and "芦屋の章" in text
        assert "須賀川市テストガイドライン" not in text and "須賀川の章" not in text

    def test_someone_without_a_staff_record_is_told_there_is_nothing_yet(self, client, guidelines):
        client.force_login(UserFactory())
        text = visible_text(client.get("/mypage/").content.decode())
        assert "受講できるガイドラインはまだありません。" in text

    def test_the_site_root_sends_staff_to_their_my_page(self, client, guidelines, ashiya):
        client.force_login(_staff(ashiya).user)
        response = client.get("/")
        assert (response.status_code, response["Location"]) == (302, "/mypage/")


class TestNotFound:
    @pytest.mark.parametrize("url", ["/no-such-page/", "/ashiya-test/no-such-chapter/", "/a/b/c/", "/staff/999999/"])
    def test_unknown_pages_answer_a_japanese_404(self, client, guidelines, ashiya, url):
        client.force_login(_staff(ashiya, Role.HR).user)

        response = client.get(url)

        assert response.status_code == 404
        text = visible_text(response.content.decode())
        assert "ページが見つかりません" in text
        assert "マイページへ戻る" in text

    def test_anonymous_visitors_get_the_japanese_404_too(self, client, guidelines):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "ページが見つかりません" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


class TestQueryCounts:
    """Counted on a warm process: the first request of a test fills Wagtail's site-root cache and
    stamps the session, as the first request after log-in does in production."""

    def test_a_chapter_costs_the_same_few_queries_with_2_or_12_clauses(self, client, guidelines, ashiya):
        ga = guidelines[0]
        short = ChapterPageFactory(parent=ga, key="1", clause_count=2)
        long = ChapterPageFactory(parent=ga, key="2", clause_count=12)
        ChapterPageFactory(parent=ga, key="3", clause_count=1)
        client.force_login(_staff(ashiya).user)
        client.get(short.url)

        cold = []
        for page in (short, long):
            tree_cache.invalidate()
            cold.append(_queries(client, page.url))
        for page in (short, long):
            client.get(page.url)
        warm = (_queries(client, short.url), _queries(client, long.url))

        assert len(list(long.clauses())) == 12
        assert cold[0] == cold[1] == CHAPTER_PAGE_QUERIES_COLD, cold
        assert cold[0] <= CHAPTER_PAGE_MAX_QUERIES
        assert warm[0] == warm[1] == CHAPTER_PAGE_QUERIES_WARM, warm

    def test_the_imported_chapter_pages_stay_within_the_limit(self, client, ashiya):
        guidelines_import_files(paths=[Path(settings.BASE_DIR) / "fixtures" / "guidelines" / "ashiya.json"])
        client.force_login(_staff(ashiya).user)
        chapters = list(ChapterPage.objects.live().order_by("path"))
        client.get(chapters[0].url)

        cold = {}
        for chapter in chapters:
            tree_cache.invalidate()
            cold[chapter.key] = _queries(client, chapter.url)
        for chapter in chapters:
            client.get(chapter.url)
        warm = {chapter.key: _queries(client, chapter.url) for chapter in chapters}

        assert set(cold.values()) == {CHAPTER_PAGE_QUERIES_COLD}, cold
        assert set(warm.values()) == {CHAPTER_PAGE_QUERIES_WARM}, warm

    def test_my_page(self, client, guidelines, ashiya, django_assert_num_queries):
        for key in "123456789":
            ChapterPageFactory(parent=guidelines[0], key=key)
        client.force_login(_staff(ashiya).user)
        client.get("/mypage/")

        with django_assert_num_queries(MYPAGE_QUERIES):
            response = client.get("/mypage/")

        assert response.status_code == 200
        text = visible_text(response.content.decode())
        assert all(f"第{key}章" in text for key in "123456789")

    def test_the_course_page(self, client, guidelines, ashiya, django_assert_num_queries):
        for key in "1234":
            ChapterPageFactory(parent=guidelines[0], key=key)
        client.force_login(_staff(ashiya).user)
        client.get(guidelines[0].url)

        with django_assert_num_queries(COURSE_PAGE_QUERIES):
            assert client.get(guidelines[0].url).status_code == 200
