"""Every response carries the Content-Security-Policy and Permissions-Policy (sns_training.security,
decision 0017); every inline script on the pages people and editors use carries that response's
nonce, so the browser runs it; the admin shows no Gravatar. tests/e2e/test_security_headers.py
proves the same pages work in Chromium under the policy."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    QuestionFactory,
    StaffMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.S)
NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{24})'")


@pytest.fixture
def course(ashiya, home):
    guideline = GuidelinePageFactory(municipality=ashiya, title="芦屋市テストガイドライン", slug="ashiya-test")
    chapter = ChapterPageFactory(parent=guideline, key="3", clause_count=3)
    question = QuestionFactory(guideline=guideline, clause_key="3-1")
    return guideline, chapter, question


@pytest.fixture
def platform_admin(ashiya):
    return UserFactory(is_superuser=True)


def _nonce(response) -> str:
    match = NONCE.search(response.headers["Content-Security-Policy"])
    assert match, response.headers["Content-Security-Policy"]
    return match[1]


def _inline_scripts_without_the_nonce(response) -> list[str]:
    """<script> tags the browser would refuse: neither a file, nor data, nor this response's nonce."""
    nonce = _nonce(response)
    refused = []
    for attributes in SCRIPT.findall(response.content.decode()):
        if "src=" in attributes or re.search(r'type="(application/json|text/template)"', attributes):
            continue
        if f'nonce="{nonce}"' not in attributes:
            refused.append(attributes)
    return refused


def test_pages_for_staff_send_a_strict_policy_and_permissions_policy(client, ashiya, course):
    guideline, chapter, _question = course
    employee = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))

    anonymous = client.get("/accounts/login/")
    client.force_login(employee.user)
    pages = [anonymous, client.get("/mypage/"), client.get(chapter.url), client.get("/no-such-page/")]

    for response in pages:
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "object-src 'none'" in policy and "base-uri 'self'" in policy and "frame-ancestors 'self'" in policy
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "geolocation=()" in response.headers["Permissions-Policy"]
        assert _inline_scripts_without_the_nonce(response) == []
    assert [r.status_code for r in pages] == [200, 200, 200, 404]


def test_each_response_has_a_nonce_of_its_own(client):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")

    assert _nonce(first) != _nonce(second)


def test_the_bad_request_page_carries_the_policy_too(client):
    response = client.get("/accounts/login/?q=%00")

    assert response.status_code == 400
    assert _nonce(response)
    assert "Permissions-Policy" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def test_static_files_carry_the_policy(client):
    response = client.get("/static/css/site.css")
    response.close()  # WhiteNoise streams the file

    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_wagtail_inline_scripts_carry_the_nonce_in_the_page_and_snippet_editors(client, platform_admin, course):
    """Date-time widgets (page editor's schedule), the page chooser (a question's guideline) and the
    choices' InlinePanel all start from inline scripts; without the nonce the browser refuses them."""
    _guideline, chapter, question = course
    client.force_login(platform_admin)

    page_editor = client.get(f"/admin/pages/{chapter.pk}/edit/")
    snippet_editor = client.get(f"/admin/snippets/quizzes/scenarioquestion/edit/{question.pk}/")

    assert page_editor.status_code == snippet_editor.status_code == 200
    for response, init in ((page_editor, "initDateTimeChooser("), (snippet_editor, "new InlinePanel(")):
        nonce = _nonce(response)
        assert re.search(
            rf'<script nonce="{nonce}">\s*(\(function\(\) {{\s*var panel = )?{re.escape(init)}',
            (response.content.decode()),
        )
        assert _inline_scripts_without_the_nonce(response) == []
    assert f'<script nonce="{_nonce(snippet_editor)}">new PageChooser(' in snippet_editor.content.decode()
    assert "style-src 'self' 'unsafe-inline'" in page_editor.headers["Content-Security-Policy"]


def test_the_admin_shows_no_gravatar(client, platform_admin, course):
    client.force_login(platform_admin)

    for path in ("/admin/", "/admin/account/", "/admin/users/", f"/admin/pages/{course[1].pk}/edit/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "gravatar" not in response.content.decode().lower(), path
