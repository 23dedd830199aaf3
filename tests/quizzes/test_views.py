"""The quiz pages as staff use them: the quiz page gives nothing away, attempts are private,
a submit is graded once and only as the page showed it, and anything else is refused with a
Japanese message and writes nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from wagtail.models import ModelLogEntry

from quizzes.models import AttemptItem, ClauseProgress, QuizAttempt
from quizzes.services import attempt_start
from tests.factories import DepartmentFactory, StaffMemberFactory, UserFactory
from tests.helpers import response_text, squeeze, visible_text

from .conftest import (
    MULTIPLE,
    attempt_url,
    form_data,
    items_of,
    progress,
    right_answer,
    snapshot,
    start_url,
    submission,
)

pytestmark = pytest.mark.django_db

_CHOICE_LI = re.compile(r'<li class="choice">.*?</li>', re.S)
_ERROR = re.compile(r'<div class="form-errors" role="alert"[^>]*>(.*?)</div>', re.S)


@pytest.fixture
def attempt(employee, chapter, questions):
    return attempt_start(staff=employee, chapter=chapter)


@pytest.fixture
def staff_client(client, employee):
    client.force_login(employee.user)
    return client


def error_message(response) -> str:
    found = _ERROR.search(response.content.decode())
    assert found, "the page shows no error message"
    return squeeze(visible_text(found.group(1)))


def csrf_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


class TestStart:
    def test_the_chapter_pages_button_starts_the_quiz(self, employee, chapter, questions):
        client = Client(enforce_csrf_checks=True)
        client.force_login(employee.user)
        page = client.get(chapter.url)
        assert f'action="{start_url(chapter)}"' in page.content.decode()

        response = client.post(start_url(chapter), {"csrfmiddlewaretoken": csrf_token(page)})

        attempt = QuizAttempt.objects.get()
        assert response.status_code == 302 and response.url == attempt_url(attempt)
        text = squeeze(visible_text(client.get(response.url).content.decode()))
        assert "3問あります" in text
        for question in questions.values():
            assert squeeze(question.prompt) in text

    def test_pressing_start_again_continues_the_open_attempt(self, staff_client, chapter, questions):
        first = staff_client.post(start_url(chapter))
        second = staff_client.post(start_url(chapter))

        assert first.url == second.url
        assert QuizAttempt.objects.count() == 1

    def test_a_get_of_the_start_url_is_refused_and_creates_nothing(self, staff_client, chapter, questions):
        response = staff_client.get(start_url(chapter))

        assert response.status_code == 405
        assert QuizAttempt.objects.count() == 0 and AttemptItem.objects.count() == 0

    def test_a_start_without_csrf_token_is_refused_and_creates_nothing(self, employee, chapter, questions):
        client = Client(enforce_csrf_checks=True)
        client.force_login(employee.user)

        response = client.post(start_url(chapter))

        assert response.status_code == 403
        assert QuizAttempt.objects.count() == 0

    def test_staff_of_another_municipality_get_404(self, client, chapter, questions, sukagawa):
        outsider = StaffMemberFactory(municipality=sukagawa, department=DepartmentFactory(municipality=sukagawa))
        client.force_login(outsider.user)

        assert client.post(start_url(chapter)).status_code == 404
        assert QuizAttempt.objects.count() == 0

    def test_a_platform_admin_without_a_staff_record_is_told_so(self, client, chapter, questions):
        client.force_login(UserFactory(is_superuser=True))

        response = client.post(start_url(chapter), follow=True)

        assert response.status_code == 200
        assert "この章の設問には回答できません" in visible_text(response.content.decode())
        assert QuizAttempt.objects.count() == 0

    def test_a_refused_start_goes_back_to_the_chapter_with_the_reason(self, staff_client, employee, chapter, attempt):
        staff_client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"})))

        response = staff_client.post(start_url(chapter), follow=True)

        assert response.redirect_chain[-1][0] == chapter.url
        assert "この章の条項はすべて習得済みです。" in visible_text(response.content.decode())
        assert QuizAttempt.objects.count() == 1


class TestQuizPageGivesNothingAway:
    def _pages(self, staff_client, attempt):
        fresh = staff_client.get(attempt_url(attempt))
        # The page shown again after a refused submit (one question left unanswered).
        data = form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"}))
        del data[f"item-{items_of(attempt)[0].pk}"]
        refused = staff_client.post(attempt_url(attempt), data)
        assert (fresh.status_code, refused.status_code) == (200, 400)
        return [fresh, refused]

    def test_no_marker_of_the_correct_choice(self, staff_client, attempt, questions):
        for response in self._pages(staff_client, attempt):
            markup = response.content.decode()
            text = visible_text(markup)
            assert "正解" not in text
            assert "correct" not in markup.lower()
            assert "あなたの回答" not in text
            for question in questions.values():
                assert question.explanation not in text
                for choice in question.choices.all():
                    assert choice.text in text
                    assert choice.feedback not in text

    def test_correct_and_wrong_choices_have_the_same_markup(self, staff_client, attempt, questions):
        texts = {c.text: c.is_correct for q in questions.values() for c in q.choices.all()}
        for response in self._pages(staff_client, attempt):
            markup = response.content.decode()
            for fieldset in re.findall(r'<fieldset class="question".*?</fieldset>', markup, re.S):
                shapes = {True: set(), False: set()}
                for li in _CHOICE_LI.findall(fieldset):
                    text = next(t for t in texts if f">{t}</label>" in li)
                    # Ids, the text, and whether the person ticked it (the refused page keeps that).
                    shape = re.sub(r"\d+", "#", li.replace(f">{text}</label>", "></label>").replace(" checked", ""))
                    shapes[texts[text]].add(shape)
                assert len(shapes[True]) == 1 and shapes[True] == shapes[False], shapes

    def test_choices_appear_in_the_drawn_order(self, staff_client, attempt):
        markup = staff_client.get(attempt_url(attempt)).content.decode()

        for item in items_of(attempt):
            shown = [int(pk) for pk in re.findall(rf'name="item-{item.pk}" value="(\d+)"', markup)]
            assert shown == item.choice_order


class TestPrivacy:
    @pytest.fixture(params=["colleague", "outsider", "platform_admin"])
    def stranger(self, request, ashiya, sukagawa):
        if request.param == "platform_admin":
            return UserFactory(is_superuser=True)
        municipality = ashiya if request.param == "colleague" else sukagawa
        return StaffMemberFactory(
            municipality=municipality, department=DepartmentFactory(municipality=municipality)
        ).user

    def test_another_persons_attempt_answers_404_and_shows_nothing(self, client, stranger, attempt, questions):
        client.force_login(stranger)
        before = snapshot(attempt)

        got = client.get(attempt_url(attempt))
        posted = client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1"})))

        for response in (got, posted):
            assert response.status_code == 404
            text = response_text(response)
            for question in questions.values():
                assert question.prompt not in text and question.situation not in text
        assert snapshot(attempt) == before

    def test_a_graded_attempt_is_not_shown_to_another_person(self, client, staff_client, stranger, attempt, questions):
        staff_client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1"})))
        client.force_login(stranger)

        response = client.get(attempt_url(attempt))

        assert response.status_code == 404
        assert questions["3-1"].explanation not in response_text(response)

    def test_anonymous_visitors_are_sent_to_log_in(self, client, attempt):
        before = snapshot(attempt)

        response = client.post(attempt_url(attempt), form_data(submission(attempt)))

        assert response.status_code == 302 and "login" in response.url
        assert snapshot(attempt) == before


@pytest.mark.usefixtures("grading_path")
class TestSubmit:
    def test_a_submit_shows_the_review(self, staff_client, employee, attempt, questions):
        response = staff_client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1", "3-2"})))

        assert response.status_code == 302 and response.url == attempt_url(attempt)
        text = squeeze(visible_text(staff_client.get(response.url).content.decode()))
        assert "3問中2問正解（67%）" in text
        assert "この章の合格基準（条項の80%以上を習得）にまだ届いていません" in text
        assert "間違えた条項だけ再挑戦する" in text
        for question in questions.values():
            assert squeeze(question.explanation) in text
        assert progress(employee) == {
            "3-1": (ClauseProgress.State.MASTERED, False),
            "3-2": (ClauseProgress.State.MASTERED, False),
            "3-3": (ClauseProgress.State.MISSED, True),
        }

    def test_a_review_of_a_passed_chapter_says_so(self, staff_client, attempt):
        staff_client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"})))

        text = squeeze(visible_text(staff_client.get(attempt_url(attempt)).content.decode()))

        assert "3問中3問正解（100%）" in text and "この章は合格です。" in text
        assert "間違えた条項だけ再挑戦する" not in text
        assert "間違えた条項にもう一度挑戦する（任意）" not in text

    def test_a_chapter_passed_with_a_miss_offers_an_optional_retry(self, staff_client, guideline, attempt):
        guideline.pass_mark = 60
        guideline.save_revision().publish()
        staff_client.post(attempt_url(attempt), form_data(submission(attempt, right_keys={"3-1", "3-2"})))

        text = squeeze(visible_text(staff_client.get(attempt_url(attempt)).content.decode()))

        assert "この章は合格です。" in text
        assert "間違えた条項にもう一度挑戦する（任意）" in text

    @pytest.mark.parametrize("second", ["other_answers", "same_answers", "malformed"])
    def test_a_repeated_submit_shows_the_first_result(self, staff_client, employee, attempt, second):
        first_data = form_data(submission(attempt, right_keys={"3-1", "3-2"}))
        assert staff_client.post(attempt_url(attempt), first_data).status_code == 302
        graded = snapshot(attempt)
        answers = [(i.pk, i.selected, i.is_correct) for i in items_of(attempt)]

        data = {
            "other_answers": form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"})),
            "same_answers": first_data,
            "malformed": {**first_data, "extra": "1"},
        }[second]
        response = staff_client.post(attempt_url(attempt), data)

        assert response.status_code == 302 and response.url == attempt_url(attempt)
        text = squeeze(visible_text(staff_client.get(response.url).content.decode()))
        assert "この回答は既に採点済みです。最初に送信した結果を表示しています。" in text
        assert "3問中2問正解（67%）" in text
        assert snapshot(attempt) == graded
        assert [(i.pk, i.selected, i.is_correct) for i in items_of(attempt)] == answers
        assert ModelLogEntry.objects.filter(action="quizzes.attempt_graded").count() == 1

    @pytest.mark.parametrize("change", ["republished", "withdrawn"])
    def test_a_question_changed_after_drawing_is_refused(self, staff_client, attempt, questions, change):
        data = form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"}))
        question = questions["3-2"]
        if change == "republished":
            question.prompt = "編集者が直した問い"
            question.save_revision().publish()
        else:
            question.unpublish()
        before = snapshot(attempt)

        response = staff_client.post(attempt_url(attempt), data)

        assert response.status_code == 400
        assert (
            error_message(response) == "回答中に設問が更新されました。お手数ですが、もう一度最初から回答してください。"
        )
        assert snapshot(attempt) == before
        assert QuizAttempt.objects.get(pk=attempt.pk).state == QuizAttempt.State.OPEN

    def test_a_get_of_an_open_attempt_changes_nothing(self, staff_client, attempt):
        before = snapshot(attempt)

        pages = [staff_client.get(attempt_url(attempt)).content.decode() for _ in range(2)]

        assert snapshot(attempt) == before
        assert re.findall(r'value="(\d+)" id="choice', pages[0]) == re.findall(r'value="(\d+)" id="choice', pages[1])

    def test_a_submit_without_csrf_token_is_refused(self, employee, attempt):
        client = Client(enforce_csrf_checks=True)
        client.force_login(employee.user)
        data = form_data(submission(attempt, right_keys={"3-1"}))
        before = snapshot(attempt)

        response = client.post(attempt_url(attempt), data)

        assert response.status_code == 403
        assert "送信を受け付けられませんでした" in visible_text(response.content.decode())
        assert snapshot(attempt) == before
        token = csrf_token(client.get(attempt_url(attempt)))
        assert client.post(attempt_url(attempt), {**data, "csrfmiddlewaretoken": token}).status_code == 302


def _valid(attempt) -> tuple[dict, list]:
    return form_data(submission(attempt, right_keys={"3-1", "3-2", "3-3"})), items_of(attempt)


def _unknown_choice(data, items):
    data[f"item-{items[0].pk}"] = ["999999"]


def _choice_of_another_question(data, items):
    data[f"item-{items[0].pk}"] = [str(right_answer(items[2])[0])]


def _missing_answer(data, items):
    del data[f"item-{items[2].pk}"]


def _two_choices_for_a_single(data, items):
    data[f"item-{items[0].pk}"] = [str(c.pk) for c in items[0].question.choices.all()[:2]]


def _same_choice_twice(data, items):
    data[f"item-{items[1].pk}"] = [str(right_answer(items[1])[0])] * 2


def _unknown_item(data, items):
    data["items"] = data["items"] + ["999999"]


def _an_item_left_out(data, items):
    data["items"] = data["items"][:2]
    del data[f"item-{items[2].pk}"]


def _no_items(data, items):
    del data["items"]


def _extra_field(data, items):
    data["is_correct"] = "1"


def _very_long_digits(data, items):
    data[f"item-{items[0].pk}"] = ["9" * 5000]


def _nineteen_digits(data, items):
    data[f"item-{items[0].pk}"] = ["1" * 19]


def _long_item_id(data, items):
    data["items"] = data["items"] + ["9" * 5000]


def _non_ascii_digits(data, items):
    data[f"item-{items[0].pk}"] = ["²"]


def _negative(data, items):
    data[f"item-{items[0].pk}"] = ["-1"]


def _empty(data, items):
    data[f"item-{items[0].pk}"] = [""]


def _thousand_items(data, items):
    data.clear()
    data["items"] = [str(n) for n in range(1, 1001)]


def _nine_hundred_choices(data, items):
    data[f"item-{items[1].pk}"] = [str(right_answer(items[1])[0])] * 990


BAD_SUBMITS = {
    _unknown_choice: "第1問の選択肢が正しくありません。",
    _choice_of_another_question: "第1問の選択肢が正しくありません。",
    _missing_answer: "第3問に回答してください。",
    _two_choices_for_a_single: "第1問は選択肢を1つだけ選んでください。",
    _same_choice_twice: "第2問の選択肢が正しくありません。",
    _unknown_item: "送信された設問が、表示した設問と一致しません。設問のページを開き直してください。",
    _an_item_left_out: "送信された設問が、表示した設問と一致しません。設問のページを開き直してください。",
    _no_items: "送信内容が正しくありません。設問のページを開き直してください。",
    _extra_field: "想定していない項目が送信されました。設問のページを開き直してください。",
    _very_long_digits: "送信内容が正しくありません。設問のページを開き直してください。",
    _nineteen_digits: "送信内容が正しくありません。設問のページを開き直してください。",
    _long_item_id: "送信内容が正しくありません。設問のページを開き直してください。",
    _non_ascii_digits: "送信内容が正しくありません。設問のページを開き直してください。",
    _negative: "送信内容が正しくありません。設問のページを開き直してください。",
    _empty: "送信内容が正しくありません。設問のページを開き直してください。",
    _thousand_items: "送信内容が正しくありません。設問のページを開き直してください。",
    _nine_hundred_choices: "送信内容が正しくありません。設問のページを開き直してください。",
}


@pytest.mark.usefixtures("grading_path")
class TestRefusedSubmits:
    @pytest.mark.parametrize(("spoil", "message"), BAD_SUBMITS.items(), ids=[f.__name__[1:] for f in BAD_SUBMITS])
    def test_a_malformed_submit_is_refused_with_a_japanese_message_and_writes_nothing(
        self, staff_client, employee, attempt, spoil, message
    ):
        data, items = _valid(attempt)
        spoil(data, items)
        before = snapshot(attempt)

        response = staff_client.post(attempt_url(attempt), data)

        assert response.status_code == 400
        assert error_message(response) == message
        assert snapshot(attempt) == before
        assert QuizAttempt.objects.get(pk=attempt.pk).state == QuizAttempt.State.OPEN
        assert progress(employee) == {}
        # The person can still answer as the page showed it.
        assert staff_client.post(attempt_url(attempt), _valid(attempt)[0]).status_code == 302

    def test_more_fields_than_django_accepts_is_refused_and_writes_nothing(self, staff_client, attempt):
        data, items = _valid(attempt)
        data[f"item-{items[0].pk}"] = ["1"] * 2000
        before = snapshot(attempt)

        response = staff_client.post(attempt_url(attempt), data)

        assert response.status_code == 400
        assert "送信された内容に誤りがあります" in visible_text(response.content.decode())
        assert snapshot(attempt) == before

    def test_the_refused_page_keeps_the_choices_made(self, staff_client, attempt):
        data, items = _valid(attempt)
        del data[f"item-{items[2].pk}"]

        markup = staff_client.post(attempt_url(attempt), data).content.decode()

        checked = {int(v) for v in re.findall(r'value="(\d+)" id="choice-\d+-\d+" checked', markup)}
        assert checked == set(right_answer(items[0]) + right_answer(items[1]))


def test_a_multiple_choice_question_is_answered_with_checkboxes(staff_client, attempt):
    markup = staff_client.get(attempt_url(attempt)).content.decode()

    for item in items_of(attempt):
        kind = "checkbox" if item.question.kind == MULTIPLE else "radio"
        assert len(re.findall(rf'type="{kind}" name="item-{item.pk}"', markup)) == item.question.choices.count()


def test_the_review_shows_the_question_as_it_was_answered(client, employee, chapter, questions):
    """An editor's later change to a question does not change what the person's review shows."""
    from quizzes import services

    from .conftest import attempt_url, submission

    attempt = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(attempt_id=attempt.pk, user=employee.user, submission=submission(attempt))
    question = questions["3-1"]
    question.prompt = "あとから書き換えた問い"
    question.save_revision().publish()

    client.force_login(employee.user)
    page = client.get(attempt_url(attempt)).content.decode()

    assert "あとから書き換えた問い" not in page
    assert questions["3-1"].revisions.order_by("pk").first().as_object().prompt in page


def test_the_review_names_every_further_clause_the_question_cites(client, employee, chapter, guideline):
    """also_cites is stored in full and each clause is linked, as was answered (decision 0019)."""
    from quizzes import services
    from tests.factories import QuestionFactory

    from .conftest import attempt_url, submission

    for key in ("3-1", "3-2", "3-3"):
        QuestionFactory(guideline=guideline, clause_key=key, also_cites=["3-2", "3-3"] if key == "3-1" else [])
    attempt = services.attempt_start(staff=employee, chapter=chapter)
    services.attempt_submit(attempt_id=attempt.pk, user=employee.user, submission=submission(attempt))

    client.force_login(employee.user)
    page = client.get(attempt_url(attempt)).content.decode()

    cites = re.findall(r'<p class="review__cite review__cite--also">(.*?)</p>', page, re.S)
    assert len(cites) == 1
    assert "あわせて参照" in cites[0]
    assert re.findall(r'href="[^"]*#clause-([^"]+)"', cites[0]) == ["3-2", "3-3"]
