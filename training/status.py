"""The assignment status rule, in one place: 取消, 修了, 免除, 期限超過, 誓約待ち, 受講中, 未受講.

An assignment's status at the end of a day is the first that holds: withdrawn by then (取消),
completed by then (修了), exempted by HR from the cycle (免除, decision 0030), its due date (the person's
own, extended if so) passed (期限超過), every chapter the person is bound by passed by then but not
attested (誓約待ち: `chapters_passed_at`, stamped when the last required chapter is passed), a quiz
on the cycle's guideline started between the cycle's opening and then (受講中), else 未受講. `status_on(day)` is that rule as one SQL
expression (my page, the 所属長's page, staff reports); `status_counts(day)` counts the same
statuses per group in one aggregate (the department summary). `review_status_on(day)` is the
status of a 改正点の確認 (確認済み, 改正点未確認, 改正点未確認（期限超過）), per version."""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When

from sns_training.fiscal_year import day_end


def _status():
    from .models import Assignment

    return Assignment.Status


def started_by(end: datetime.datetime) -> Exists:
    """A quiz on the cycle's guideline started between the cycle's opening and `end`."""
    from quizzes.models import QuizAttempt

    return Exists(
        QuizAttempt.objects.filter(
            staff_id=OuterRef("staff_id"),
            guideline_id=OuterRef("cycle__guideline_id"),
            started_at__date__gte=OuterRef("cycle__opens_on"),
            started_at__lt=end,
        )
    )


def active_at(end: datetime.datetime) -> Q:
    """Not withdrawn by `end` (still counted among the cycle's assignees)."""
    return Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=end)


def open_at(end: datetime.datetime) -> Q:
    """Not completed by `end`."""
    return Q(completed_at__isnull=True) | Q(completed_at__gte=end)


def exempt_at(end: datetime.datetime) -> Q:
    """Exempted (from the whole cycle, whenever HR recorded it, as an extension moves the due date
    for every day: decision 0030) and not completed by `end` (a completion stays 修了)."""
    return Q(exempted_at__isnull=False) & open_at(end)


def not_exempt_at(end: datetime.datetime) -> Q:
    return Q(exempted_at__isnull=True)


def passed_all_at(end: datetime.datetime) -> Q:
    """Every chapter the person is bound by passed by `end`."""
    return Q(chapters_passed_at__lt=end)


def status_on(day: datetime.date) -> Case:
    """An assignment's status as it stood at the end of `day` (Assignment.Status values)."""
    Status = _status()
    end = day_end(day)
    return Case(
        When(withdrawn_at__lt=end, then=Value(Status.WITHDRAWN.value)),
        When(completed_at__lt=end, then=Value(Status.COMPLETED.value)),
        When(exempted_at__isnull=False, then=Value(Status.EXEMPT.value)),
        When(due_on__lt=day, then=Value(Status.OVERDUE.value)),
        When(passed_all_at(end), then=Value(Status.AWAITING_ATTESTATION.value)),
        When(started_by(end), then=Value(Status.IN_PROGRESS.value)),
        default=Value(Status.NOT_STARTED.value),
        output_field=CharField(),
    )


def status_counts(day: datetime.date) -> dict[str, Count]:
    """Aggregates for `.annotate(**status_counts(day))`: the assignees still counted at the end of
    `day` (n_total: exempted people leave it, counted apart in n_exempt) and how many of them are
    修了, 期限超過, 誓約待ち and 受講中 by the rule of `status_on`."""
    end = day_end(day)
    active, open_ = active_at(end), open_at(end)
    exempt = exempt_at(end)
    pending = active & open_ & not_exempt_at(end) & Q(due_on__gte=day)
    return {
        "n_total": Count("pk", filter=active & ~exempt),
        "n_completed": Count("pk", filter=active & Q(completed_at__lt=end)),
        "n_overdue": Count("pk", filter=active & open_ & not_exempt_at(end) & Q(due_on__lt=day)),
        "n_awaiting": Count("pk", filter=pending & passed_all_at(end)),
        "n_in_progress": Count(
            "pk",
            filter=pending & (Q(chapters_passed_at__isnull=True) | Q(chapters_passed_at__gte=end)) & Q(started_by(end)),
        ),
        "n_exempt": Count("pk", filter=active & exempt),
    }


def review_status_on(day: datetime.date) -> Case:
    """A 改正点の確認's status at the end of `day` (RevisionReview.Status values, decision 0037):
    確認済み once attested, 改正点未確認（期限超過） past its due date, else 改正点未確認."""
    from .models import RevisionReview

    Status = RevisionReview.Status
    end = day_end(day)
    return Case(
        When(confirmed_at__lt=end, then=Value(Status.CONFIRMED.value)),
        When(due_on__lt=day, then=Value(Status.OVERDUE.value)),
        default=Value(Status.PENDING.value),
        output_field=CharField(),
    )


def latest_review(day: datetime.date) -> dict:
    """Annotations for an Assignment queryset: the person's latest 改正点の確認 in the cycle, its
    version number (`review_version`) and its status on `day` (`review_status`, the rule above)."""
    from django.db.models import IntegerField, OuterRef, Subquery

    from .models import RevisionReview

    latest = RevisionReview.objects.filter(staff_id=OuterRef("staff_id"), cycle_id=OuterRef("cycle_id")).order_by(
        "-version__number"
    )
    return {
        "review_version": Subquery(latest.values("version__number")[:1], output_field=IntegerField()),
        "review_status": Subquery(latest.annotate(s=review_status_on(day)).values("s")[:1], output_field=CharField()),
    }


def review_text(number, status) -> str | None:
    """「第3版：確認済み」 (None when there is no 改正点の確認)."""
    from django.utils.translation import gettext

    from .models import RevisionReview

    if not number:
        return None
    return gettext("第%(number)s版：%(status)s") % {"number": number, "status": RevisionReview.Status(status).label}
