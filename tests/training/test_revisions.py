"""Changes-only retraining (改正点の確認, decision 0037): a substantive version gives the people who
completed the previous one a review of the changed clauses; the people still training answer the
changed clauses again; a minor-only version changes nobody's status; each role stays in its city."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import versions
from courses.models import GuidelineVersion
from quizzes import services as quiz_services
from quizzes.models import ClauseProgress, CompletionRecord, ImmutableRecordError, RevisionAttestation
from tests.factories import QuestionFactory, TrainingCycleFactory
from training import services
from training.models import Assignment, RevisionReview, RevisionRollout

from .conftest import attest, pass_all, person, this_year_dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(guideline, chapters, people_ready):
    year, opens, due, closes = this_year_dates()
    versions.current(guideline)  # 第1版, as publishing the guideline would have recorded it
    return TrainingCycleFactory(guideline=guideline, fiscal_year=year, opens_on=opens, due_on=due, closes_on=closes)


@pytest.fixture
def completed(cycle, chapters, people_ready):
    """広報 一郎 and 広報係 二郎 completed 第1版; 総務 四郎 passed chapter 1 only."""
    done = []
    for name in ("koho", "kakari"):
        pass_all(people_ready[name], chapters)
        done.append(attest(people_ready[name], cycle.guideline))
    pass_all(people_ready["somu"], chapters[:1])
    return done


def revise(chapter, key: str, text: str, *, substantive: bool, capture):
    """An editor changes clause `key` of `chapter` and publishes it (marked 実質 or not)."""
    draft = chapter.get_latest_revision_as_object()
    body = list(draft.body.raw_data)
    for block in body:
        if block["value"]["key"] == key:
            block["value"]["body"] = text
    draft.body = body
    draft.substantive_changes = [key] if substantive else []
    with capture(execute=True):
        draft.save_revision().publish()
    return GuidelineVersion.objects.filter(guideline_id=chapter.get_parent().pk).order_by("-number").first()


def statuses(cycle, on):
    return dict(Assignment.objects.with_status(on).filter(cycle=cycle).values_list("staff__staff_number", "status"))


def test_a_substantive_version_gives_completers_a_review_of_the_changed_clauses_only(
    cycle, chapters, completed, people_ready, django_capture_on_commit_callbacks
):
    hashes = {r.pk: r.record_hash for r in CompletionRecord.objects.all()}
    today = timezone.localdate()
    before = statuses(cycle, today)

    version = revise(
        chapters[0], "1-1", "LINEを含むSNSの定義です。", substantive=True, capture=django_capture_on_commit_callbacks
    )

    assert version.classifications == {"1-1": "substantive"}
    reviews = RevisionReview.objects.filter(version=version).order_by("staff__staff_number")
    assert [(r.staff.staff_number, r.clause_keys) for r in reviews] == [("110002", ["1-1"]), ("111001", ["1-1"])]
    assert {r.due_on for r in reviews} == {version.effective_date + datetime.timedelta(days=30)}
    assert {r.completion_id for r in reviews} == set(hashes)
    # The completion records stay as they were (evidence), and so does everyone's status.
    assert {r.pk: r.record_hash for r in CompletionRecord.objects.all()} == hashes
    assert {r.guideline_version for r in CompletionRecord.objects.all()} == {f"第{version.number - 1}版"}
    assert statuses(cycle, today) == before
    # 総務 四郎 (not completed) answers 1-1 again; his 1-2 still counts.
    somu = set(ClauseProgress.objects.filter(staff=people_ready["somu"]).values_list("clause_key", flat=True))
    assert somu == {"1-2"}
    # The koho people's progress is untouched (they are done).
    assert ClauseProgress.objects.filter(staff=people_ready["koho"], clause_key="1-1").exists()
    rollout = RevisionRollout.objects.get(version=version, cycle=cycle)
    assert (rollout.total, rollout.done, rollout.created) == (2, 2, 2) and rollout.finished_at


def test_a_rerun_never_makes_a_second_review(cycle, chapters, completed, django_capture_on_commit_callbacks):
    version = revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)
    assert RevisionReview.objects.filter(version=version).count() == 2

    again = services.revision_reviews_create(version=version)
    daily = services.revision_reviews_create_due(on=timezone.localdate())

    assert again["created"] == 0 and daily == 0
    assert RevisionReview.objects.filter(version=version).count() == 2


def test_a_minor_only_version_changes_nobodys_status(
    cycle, chapters, completed, people_ready, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    before = statuses(cycle, today)
    progress = ClauseProgress.objects.count()

    version = revise(
        chapters[1], "2-1", "字句を直した本文。", substantive=False, capture=django_capture_on_commit_callbacks
    )

    assert version.classifications == {"2-1": "minor"}
    assert not RevisionReview.objects.exists()
    assert statuses(cycle, today) == before
    assert ClauseProgress.objects.count() == progress
    assert services.revision_reviews_create(version=version)["created"] == 0


def test_a_future_effective_date_waits_for_the_daily_run(
    cycle, chapters, completed, django_capture_on_commit_callbacks
):
    later = timezone.localdate() + datetime.timedelta(days=3)
    chapters[0].revision_effective_date = later
    draft = chapters[0].get_latest_revision_as_object()
    draft.revision_effective_date = later
    draft.save_revision()
    version = revise(chapters[0], "1-1", "三日後に施行。", substantive=True, capture=django_capture_on_commit_callbacks)

    assert version.effective_date == later
    assert not RevisionReview.objects.exists()
    assert services.revision_reviews_create_due(on=later - datetime.timedelta(days=1)) == 0
    assert services.revision_reviews_create_due(on=later) == 2


def _review_of(people_ready, name):
    return RevisionReview.objects.get(staff=people_ready[name])


def _right_and_wrong(question):
    choices = list(question.choices.all())
    return {c.pk for c in choices if c.is_correct}, {next(c.pk for c in choices if not c.is_correct)}


def test_the_employee_answers_only_the_changed_clauses_and_attests(
    client, cycle, chapters, completed, people_ready, django_capture_on_commit_callbacks
):
    guideline = cycle.guideline
    old_question = guideline and QuestionFactory(guideline=guideline, clause_key="1-2", covers_revision=True)
    new_question = QuestionFactory(guideline=guideline, clause_key="1-1", covers_revision=True)
    version = revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)
    review = _review_of(people_ready, "koho")
    koho = people_ready["koho"].user
    right, wrong = _right_and_wrong(new_question)

    # The page: the 新旧対照表 of 1-1 only, the question on 1-1 only, no answer key.
    client.force_login(koho)
    url = reverse("quizzes:revision_review", args=[review.pk])
    page = client.get(url).content.decode()
    assert 'id="clause-1-1"' in page and 'id="clause-1-2"' not in page and "diff--new" in page
    assert new_question.prompt in page and old_question.prompt not in page
    assert "is_correct" not in page

    with pytest.raises(quiz_services.QuizError, match="改正後の条文に合わない回答"):
        quiz_services.revision_attest(
            user=koho,
            review_id=review.pk,
            answers={new_question.pk: wrong},
            version_shown=str(version.number),
            agreed=True,
        )
    with pytest.raises(quiz_services.QuizError, match="版が更新されました"):
        quiz_services.revision_attest(
            user=koho,
            review_id=review.pk,
            answers={new_question.pk: right},
            version_shown=str(version.number - 1),
            agreed=True,
        )
    assert not RevisionAttestation.objects.exists()

    response = client.post(
        url, {"version": str(version.number), "agree": "1", f"question-{new_question.pk}": list(right)}
    )
    assert response.status_code == 302

    attestation = RevisionAttestation.objects.get()
    record = completed[0]
    assert (attestation.completion, attestation.version, attestation.version_label) == (
        record,
        version,
        f"第{version.number}版",
    )
    assert attestation.clause_keys == ["1-1"]
    assert [a["clause"] for a in attestation.answers] == ["1-1"]
    review.refresh_from_db()
    assert review.attestation == attestation and review.confirmed_at
    today = timezone.localdate()
    status = dict(RevisionReview.objects.with_status(today).values_list("staff__staff_number", "status"))
    assert status == {"110002": "confirmed", "111001": "pending"}
    assert CompletionRecord.objects.get(pk=record.pk).record_hash == record.record_hash
    assert list(record.amendments.all()) == [attestation]
    # Evidence: never changed.
    attestation.clause_keys = []
    with pytest.raises(ImmutableRecordError):
        attestation.save()
    # Past the due date an open review is 期限超過.
    later = review.due_on + datetime.timedelta(days=1)
    assert RevisionReview.objects.with_status(later).get(staff=people_ready["kakari"]).status == "overdue"


def test_nobody_else_reaches_a_review(
    client, cycle, chapters, completed, people_ready, django_capture_on_commit_callbacks
):
    QuestionFactory(guideline=cycle.guideline, clause_key="1-1", covers_revision=True)
    revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)
    review = _review_of(people_ready, "koho")
    url = reverse("quizzes:revision_review", args=[review.pk])
    for name in ("kakari", "koho_head", "hr", "s_staff", "s_head"):
        client.force_login(people_ready[name].user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": "2", "agree": "1"}).status_code == 404
        with pytest.raises(quiz_services.QuizError):
            quiz_services.revision_attest(
                user=people_ready[name].user, review_id=review.pk, answers={}, version_shown="2", agreed=True
            )
    assert not RevisionAttestation.objects.exists()


def test_hr_sets_the_due_date_of_its_own_city_only(
    cycle, chapters, completed, people_ready, sukagawa, tree, django_capture_on_commit_callbacks
):
    version = revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)
    new_due = version.effective_date + datetime.timedelta(days=60)
    s_hr = person(sukagawa, tree["s_somu"], "590001", name="須賀 人事", role="hr")

    for user in (s_hr.user, people_ready["koho_head"].user, people_ready["koho"].user):
        with pytest.raises(services.RevisionError):
            services.revision_reviews_due_set(user=user, version=version, cycle=cycle, due_on=new_due)
    with pytest.raises(services.RevisionError, match="施行日"):
        services.revision_reviews_due_set(
            user=people_ready["hr"].user,
            version=version,
            cycle=cycle,
            due_on=version.effective_date - datetime.timedelta(days=1),
        )
    assert set(RevisionReview.objects.values_list("due_on", flat=True)) == {
        version.effective_date + datetime.timedelta(days=30)
    }

    assert (
        services.revision_reviews_due_set(user=people_ready["hr"].user, version=version, cycle=cycle, due_on=new_due)
        == 2
    )
    assert set(RevisionReview.objects.values_list("due_on", flat=True)) == {new_due}


def test_hr_sees_the_review_status_and_filters_the_export_by_attested_version(
    client, cycle, chapters, completed, people_ready, sukagawa, tree, django_capture_on_commit_callbacks
):
    from tests.reports.test_report_views import read_csv, url

    question = QuestionFactory(guideline=cycle.guideline, clause_key="1-1", covers_revision=True)
    version = revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)
    right = {c.pk for c in question.choices.all() if c.is_correct}
    quiz_services.revision_attest(
        user=people_ready["koho"].user,
        review_id=_review_of(people_ready, "koho").pk,
        answers={question.pk: right},
        version_shown=str(version.number),
        agreed=True,
    )
    today = timezone.localdate().isoformat()

    client.force_login(people_ready["hr"].user)
    header, *rows = read_csv(client.get(url("staff", cycle=cycle.pk, as_of=today, export="csv")))
    by_number = {row[2]: row for row in rows}
    assert header[-1] == "改正点の確認"
    assert by_number["110002"][-1] == f"第{version.number}版：確認済み"
    assert by_number["111001"][-1] == f"第{version.number}版：改正点未確認"
    assert by_number["200002"][-1] == ""

    _header, *attested = read_csv(
        client.get(url("staff", cycle=cycle.pk, as_of=today, version=version.pk, export="csv"))
    )
    assert [row[2] for row in attested] == ["110002"]

    # The personnel record shows the attestation with its version and the clauses it covered.
    page = client.get(url("personnel", people_ready["koho"].pk)).content.decode()
    assert f"第{version.number}版に誓約" in page and "確認した条項：1-1" in page

    # The 所属長 of 広報課 sees each person's 改正点の確認 on their page.
    client.force_login(people_ready["koho_head"].user)
    page = client.get(reverse("training:department"), {"cycle": cycle.pk}).content.decode()
    assert f"第{version.number}版：確認済み" in page and f"第{version.number}版：改正点未確認" in page

    # 須賀川市's HR reads nothing of it.
    s_hr = person(sukagawa, tree["s_somu"], "590001", name="須賀 人事", role="hr")
    client.force_login(s_hr.user)
    response = client.get(url("staff", cycle=cycle.pk, as_of=today, version=version.pk, export="csv"))
    from tests.reports.conftest import streamed

    body = streamed(response).decode("utf-8-sig", "replace") if response.status_code == 200 else ""
    assert "広報 一郎" not in body and "110002" not in body
    assert client.get(url("personnel", people_ready["koho"].pk)).status_code in (403, 404)


def test_hr_sets_the_days_after_the_effective_date_per_cycle(
    cycle, chapters, completed, people_ready, django_capture_on_commit_callbacks
):
    hr = people_ready["hr"].user
    with pytest.raises(services.TrainingError, match="1〜365日"):
        services.cycle_update(
            cycle=cycle, due_on=cycle.due_on, closes_on=cycle.closes_on, new_hire_due_days=30, revision_review_days=0
        )
    services.cycle_update(
        cycle=cycle,
        due_on=cycle.due_on,
        closes_on=cycle.closes_on,
        new_hire_due_days=30,
        revision_review_days=10,
        user=hr,
    )

    version = revise(chapters[0], "1-1", "改正後の本文。", substantive=True, capture=django_capture_on_commit_callbacks)

    assert set(RevisionReview.objects.values_list("due_on", flat=True)) == {
        version.effective_date + datetime.timedelta(days=10)
    }
