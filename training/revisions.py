"""Changes-only retraining (改正点の確認, decision 0037): when a version with substantive changes
takes effect, the people who completed the previous version in this 年度's cycle get a review of
the changed clauses; the people who have not completed must answer the changed clauses again;
a minor-only version changes nobody's status. Re-exported from training/services.py."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from sns_training.fiscal_year import fiscal_year_of

from .models import Assignment, RevisionReview, RevisionRollout, TrainingCycle

logger = logging.getLogger(__name__)

BATCH = 2_000


class RevisionError(Exception):
    """A revision write was refused; the message is shown as is. Nothing was written."""


def substantive_keys(version) -> list[str]:
    """The clauses whose meaning the version changed (実質), in key order."""
    return sorted(key for key, kind in (version.classifications or {}).items() if kind == "substantive")


def _chapter_of_keys(version) -> dict[str, str]:
    """{clause key: chapter key} over the version and the one before it (removed clauses too)."""
    from courses.models import GuidelineVersion

    chapters = {}
    previous = (
        GuidelineVersion.objects.filter(guideline_id=version.guideline_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    for source in (previous, version):
        for clause in getattr(source, "clauses", None) or []:
            chapters[clause["key"]] = clause["chapter_key"]
    return chapters


def review_due_on(*, cycle: TrainingCycle, version) -> datetime.date:
    """Default due date of a 改正点の確認: the cycle's number of days after the 施行日."""
    return version.effective_date + datetime.timedelta(days=cycle.revision_review_days)


def cycles_concerned(version):
    """The cycles of the version's guideline in the 年度 of its 施行日."""
    return TrainingCycle.objects.filter(
        guideline_id=version.guideline_id, fiscal_year=fiscal_year_of(version.effective_date)
    ).order_by("pk")


def revision_reviews_create(*, version, on: datetime.date | None = None) -> dict[str, int]:
    """Give everyone concerned by a substantive `version` in force on `on` their 改正点の確認, in
    batches (one transaction each, progress in RevisionRollout), and make the people still
    training answer the changed clauses again. Idempotent: a re-run (or a crash half-way) never
    creates a second review for anyone (unique staff + version, rows written with ignore_conflicts)."""
    from courses import versions

    on = on or timezone.localdate()
    result = {"created": 0, "reset": 0, "cycles": 0}
    if not versions.is_substantive(version) or version.effective_date > on:
        return result
    keys = substantive_keys(version)
    chapter_of = _chapter_of_keys(version)
    for cycle in cycles_concerned(version):
        result["cycles"] += 1
        created, reset = _rollout(cycle=cycle, version=version, keys=keys, chapter_of=chapter_of)
        result["created"] += created
        result["reset"] += reset
    return result


def _rollout(*, cycle, version, keys, chapter_of) -> tuple[int, int]:
    from courses.models import ChapterPage
    from quizzes.models import ClauseProgress

    rollout, _created = RevisionRollout.objects.get_or_create(version=version, cycle=cycle)
    completed = (
        Assignment.objects.active()
        .filter(cycle=cycle, completion__isnull=False)
        .exclude(completion__version=version)
        .exclude(completion__version__number__gt=version.number)
    )
    rows = list(completed.order_by("pk").values_list("staff_id", "completion_id", "completion__chapter_revisions"))
    chapter_keys = dict(
        ChapterPage.objects.child_of(cycle.guideline).values_list("pk", "key")  # chapter pk -> chapter key
    )
    RevisionRollout.objects.filter(pk=rollout.pk).update(
        total=len(rows), started_at=rollout.started_at or timezone.now(), finished_at=None
    )
    due = review_due_on(cycle=cycle, version=version)
    created = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        reviews = []
        for staff_id, completion_id, chapter_revisions in batch:
            theirs = {chapter_keys.get(int(pk)) for pk in (chapter_revisions or {})}
            covered = [key for key in keys if chapter_of.get(key) in theirs]
            if covered:
                reviews.append(
                    RevisionReview(
                        staff_id=staff_id,
                        cycle=cycle,
                        version=version,
                        completion_id=completion_id,
                        clause_keys=covered,
                        due_on=due,
                    )
                )
        with transaction.atomic():
            before = RevisionReview.objects.filter(version=version, staff_id__in=[r.staff_id for r in reviews]).count()
            RevisionReview.objects.bulk_create(reviews, ignore_conflicts=True)
            after = RevisionReview.objects.filter(version=version, staff_id__in=[r.staff_id for r in reviews]).count()
            created += after - before
            RevisionRollout.objects.filter(pk=rollout.pk).update(done=start + len(batch), created=created)
    # People still training: the changed clauses must be answered again (unchanged ones still count).
    with transaction.atomic():
        still = Assignment.objects.open().filter(cycle=cycle)
        reset, _rows = ClauseProgress.objects.filter(
            guideline_id=cycle.guideline_id,
            fiscal_year=cycle.fiscal_year,
            clause_key__in=keys,
            staff_id__in=still.values("staff_id"),
        ).delete()
        still.filter(chapters_passed_at__isnull=False).update(chapters_passed_at=None)
        RevisionRollout.objects.filter(pk=rollout.pk).update(finished_at=timezone.now())
    log(
        instance=cycle,
        action="training.revision_reviews_created",
        data={"version": version.number, "created": created, "reset": reset},
    )
    return created, reset


def revision_reviews_create_due(*, on: datetime.date) -> int:
    """The daily run: substantive versions whose 施行日 has come and whose rollout has not run."""
    from courses.models import GuidelineVersion

    created = 0
    done = RevisionRollout.objects.filter(finished_at__isnull=False).values("version_id")
    for version in GuidelineVersion.objects.filter(effective_date__lte=on).exclude(pk__in=done).order_by("pk"):
        created += revision_reviews_create(version=version, on=on)["created"]
    return created


def revision_reviews_due_set(*, user, version, cycle, due_on: datetime.date) -> int:
    """HR sets the due date of a version's 改正点の確認 in one cycle (not before the 施行日)."""
    from people import scoping

    viewer = scoping.viewer_of(user)
    if not (viewer.platform_admin or (viewer.is_hr and viewer.municipality_id == cycle.municipality_id)):
        raise RevisionError(_("この研修サイクルの改正点の確認の期限は変更できません。"))
    if cycle.guideline_id != version.guideline_id:
        raise RevisionError(_("この版はこの研修サイクルのガイドラインの版ではありません。"))
    if due_on < version.effective_date:
        raise RevisionError(
            _("改正点の確認の期限は施行日（%(date)s）以降にしてください。") % {"date": version.effective_date}
        )
    with transaction.atomic():
        count = RevisionReview.objects.filter(version=version, cycle=cycle).update(due_on=due_on)
        log(
            instance=cycle,
            action="training.revision_review_due_set",
            user=user,
            data={"version": version.number, "due_on": due_on.isoformat(), "count": count},
        )
    return count


def revision_review_confirm(*, review: RevisionReview, attestation) -> RevisionReview:
    """Called by quizzes.services.revision_attest inside its transaction (review row locked)."""
    review.attestation = attestation
    review.confirmed_at = attestation.attested_at
    review.save(update_fields=["attestation", "confirmed_at"])
    return review
