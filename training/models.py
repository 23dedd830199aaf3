"""Training cycles (one guideline, one 年度, one audience), the assignments that keep them true to
the roster, and the log of every reminder sent (docs/decisions/0010, 0011)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from people import scoping
from sns_training.fiscal_year import fiscal_year_label


class TrainingCycleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cycles a viewer may see: a platform admin all, anyone else with an active staff record
        their municipality's (HR manages them, a 所属長 picks one on their page)."""
        return scoping.within_municipality(self, user)

    def running_on(self, day: datetime.date):
        """Cycles between their open and close date on `day`: the ones that send reminders."""
        return self.filter(opens_on__lte=day, closes_on__gte=day)

    def not_closed_on(self, day: datetime.date):
        """Cycles that still take assignees on `day` (opened or about to open, not closed)."""
        return self.filter(closes_on__gte=day)


class TrainingCycle(models.Model):
    """HR opens one per municipality, guideline and 年度. Opening assigns the audience; the roster
    receiver (training.receivers) keeps the assignments true afterwards."""

    municipality = models.ForeignKey(
        "people.Municipality", on_delete=models.PROTECT, related_name="training_cycles", verbose_name=_("自治体")
    )
    guideline = models.ForeignKey(
        "courses.GuidelinePage", on_delete=models.PROTECT, related_name="+", verbose_name=_("ガイドライン")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    opens_on = models.DateField(_("開始日"))
    due_on = models.DateField(_("受講期限"))
    closes_on = models.DateField(_("終了日"))
    employment_types = models.JSONField(
        _("対象の任用形態"),
        default=list,
        blank=True,
        help_text=_("選ばなければ全員（公選職を除く）が対象です。"),
    )
    departments = models.ManyToManyField(
        "people.Department",
        blank=True,
        related_name="+",
        verbose_name=_("対象の所属"),
        help_text=_("選んだ所属とその下の所属が対象です。選ばなければ全所属が対象です。"),
    )
    revision_review_days = models.PositiveSmallIntegerField(
        _("改正点の確認の期限（施行日から日数）"),
        default=30,
        help_text=_("実質的な改正の版が施行されたとき、修了済みの職員に求める「改正点の確認」の期限です。"),
    )
    new_hire_due_days = models.PositiveSmallIntegerField(
        _("新規着任者の受講期限（着任日から日数）"),
        default=30,
        help_text=_("開始後に着任した職員の期限は着任日からこの日数後です（サイクルの受講期限より前にはなりません）。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingCycleQuerySet.as_manager()

    class Meta:
        ordering = ["-fiscal_year", "-opens_on", "-pk"]
        verbose_name = _("研修サイクル")
        verbose_name_plural = _("研修サイクル")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "guideline", "fiscal_year"],
                name="one_cycle_per_guideline_and_fiscal_year",
                violation_error_message=_("このガイドラインのこの年度の研修サイクルは既にあります。"),
            ),
            models.CheckConstraint(
                condition=Q(opens_on__lte=F("due_on")) & Q(due_on__lte=F("closes_on")),
                name="cycle_dates_in_order",
                violation_error_message=_("開始日 ≦ 受講期限 ≦ 終了日 としてください。"),
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year_label} {self.guideline.title}"

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    def audience_q(self, *, department_paths: list[str] | None = None) -> Q:
        """Who the cycle is for, as a StaffMember filter: active, not elected (公選職 are outside
        both guidelines), bound by at least one chapter of the guideline, of the municipality, of the chosen employment types and departments
        (with their sub-departments) where any are chosen."""
        q = Q(municipality_id=self.municipality_id, is_active=True, elected=False)
        bound = self.guideline.bound_employment_types()
        if bound is not None:
            # Nobody the guideline's own scope leaves out (須賀川市: its 職員, not contractors).
            q &= Q(employment_type__in=sorted(bound))
        if self.employment_types:
            q &= Q(employment_type__in=self.employment_types)
        if department_paths is None:
            department_paths = list(self.departments.values_list("path", flat=True))
        if department_paths:
            within = Q()
            for path in department_paths:
                within |= Q(department__path__startswith=path)
            q &= within
        return q


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        """Not withdrawn (a person who left keeps their row, withdrawn)."""
        return self.filter(withdrawn_at__isnull=True)

    def open(self):
        """Active, not completed and not exempted: the people reminders are for."""
        return self.active().filter(completion__isnull=True, exempted_at__isnull=True)

    def exempted(self):
        return self.active().filter(exempted_at__isnull=False, completion__isnull=True)

    def completed(self):
        return self.filter(completion__isnull=False)

    def overdue(self, on: datetime.date):
        return self.open().filter(due_on__lt=on)

    def in_subtree(self, department):
        """Assignments of the people now in the department or below it (a transferee counts in
        their new department from the transfer on)."""
        return self.filter(
            staff__municipality_id=department.municipality_id, staff__department__path__startswith=department.path
        )

    def visible_to(self, user):
        """Assignments of the people the viewer may see (the rule of StaffMember.objects.visible_to)."""
        return scoping.staff_within_reach(self, user, prefix="staff__")

    def with_status(self, on: datetime.date):
        """`status` computed in SQL by the one status rule (training/status.py), at the end of `on`."""
        from .status import status_on

        return self.annotate(status=status_on(on))


class Assignment(models.Model):
    """One person's duty to complete one cycle. Never deleted: withdrawal and completion are
    recorded on the row, and the CompletionRecord it points to is the evidence."""

    class Reason(models.TextChoices):
        CYCLE_OPEN = "cycle_open", _("サイクル開始時の対象者")
        NEW_HIRE = "new_hire", _("新規着任")
        TRANSFERRED = "transferred", _("異動により対象に追加")
        REACTIVATED = "reactivated", _("再び在職")

    class WithdrawnReason(models.TextChoices):
        DEACTIVATED = "deactivated", _("在職でなくなった（退職等）")

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未受講")
        IN_PROGRESS = "in_progress", _("受講中")
        AWAITING_ATTESTATION = "awaiting_attestation", _("誓約待ち")
        COMPLETED = "completed", _("修了")
        OVERDUE = "overdue", _("期限超過")
        EXEMPT = "exempt", _("免除")
        WITHDRAWN = "withdrawn", _("取消")

    class ExceptionReason(models.TextChoices):
        LEAVE = "leave", _("休職")
        CHILDCARE = "childcare", _("育児休業")
        SICK = "sick", _("病気休暇")
        LONG_TRAINING = "long_training", _("長期研修")
        OTHER = "other", _("その他")

    cycle = models.ForeignKey(TrainingCycle, on_delete=models.PROTECT, related_name="assignments")
    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="training_assignments")
    reason = models.CharField(_("対象となった理由"), max_length=20, choices=Reason.choices)
    assigned_on = models.DateField(_("対象となった日"))
    due_on = models.DateField(_("受講期限"))
    withdrawn_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("取消の理由"), max_length=20, choices=WithdrawnReason.choices, blank=True)
    completion = models.ForeignKey(
        "quizzes.CompletionRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("修了日時"), null=True, blank=True)
    # Exceptions for one person (decision 0030): the current state here, every change in
    # AssignmentException (and Wagtail's log).
    extended_from = models.DateField(_("延長前の受講期限"), null=True, blank=True)
    exempted_at = models.DateTimeField(_("免除日時"), null=True, blank=True)
    exemption_reason = models.CharField(_("免除の理由"), max_length=20, choices=ExceptionReason.choices, blank=True)
    # When every chapter the person is bound by was first passed in the cycle's 年度 (stamped by
    # training.services.assignment_note_progress after each graded attempt): 誓約待ち until attested.
    chapters_passed_at = models.DateTimeField(_("全章合格日時"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["cycle_id", "staff_id"]  # ids: ordering by the relations would join their tables
        verbose_name = _("受講対象")
        verbose_name_plural = _("受講対象")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "staff"], name="one_assignment_per_cycle_and_staff"),
        ]
        indexes = [models.Index(fields=["cycle", "due_on"], name="assignment_cycle_due")]

    def __str__(self):
        return f"{self.cycle_id} / {self.staff_id}"


class AssignmentException(models.Model):
    """One change to a person's assignment made by HR: a due date extended, an exemption, or the
    undoing of either. Never edited or deleted: the history shown on the staff detail and reports."""

    class Kind(models.TextChoices):
        EXTENDED = "extended", _("期限延長")
        EXTENSION_UNDONE = "extension_undone", _("期限延長の取消")
        EXEMPTED = "exempted", _("免除")
        EXEMPTION_UNDONE = "exemption_undone", _("免除の取消")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="exceptions")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("理由"), max_length=20, choices=Assignment.ExceptionReason.choices, blank=True)
    note = models.CharField(_("備考"), max_length=500, blank=True)
    due_before = models.DateField(_("変更前の受講期限"), null=True, blank=True)
    due_after = models.DateField(_("変更後の受講期限"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("受講対象の例外")
        verbose_name_plural = _("受講対象の例外")

    def __str__(self):
        return f"{self.assignment_id} {self.kind}"


class ReminderLog(models.Model):
    """Every reminder: claimed by inserting this row first (unique per person, cycle, kind and day),
    sent only by whoever holds the claim, stamped `sent_at` as soon as the mail server accepts it. `sent_on` is the day the schedule
    meant it for (a catch-up run sends a missed day's reminder once, under that day)."""

    class Kind(models.TextChoices):
        BEFORE_DUE = "before_due", _("期限7日前")
        DUE = "due", _("期限当日")
        OVERDUE = "overdue", _("期限超過（毎週）")
        ESCALATION = "escalation", _("所属長への通知（期限後14日）")
        MANUAL = "manual", _("所属長からの督促")
        REVISION = "revision", _("改正点の確認のお知らせ")

    cycle = models.ForeignKey(TrainingCycle, on_delete=models.PROTECT, related_name="reminders")
    # The person the reminder is about (for an escalation: the one reported to the 所属長).
    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    sent_on = models.DateField(_("送信予定日"))
    recipient = models.CharField(_("宛先"), max_length=1000)
    claim = models.UUIDField(db_index=True, editable=False)
    # When the claim was taken or last renewed by the run sending it: an unsent row older than
    # REMINDER_CLAIM_STALE_SECONDS was left by a run that died, and the next run sends it
    # (decision 0034). Empty on rows written before that: never resent (maybe delivered).
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("督促・通知の記録")
        verbose_name_plural = _("督促・通知の記録")
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "cycle", "kind", "sent_on"], name="one_reminder_per_staff_cycle_kind_day"
            ),
        ]

    def __str__(self):
        return f"{self.sent_on} {self.kind} {self.staff_id}"


class RevisionReviewQuerySet(models.QuerySet):
    def of_user(self, user):
        """The viewer's own reviews only (the staff page)."""
        return scoping.own_rows(self, user)

    def visible_to(self, user):
        """Reviews of the people the viewer may see (the rule of StaffMember.objects.visible_to)."""
        return scoping.staff_within_reach(self, user, prefix="staff__")

    def open(self):
        return self.filter(attestation__isnull=True)

    def with_status(self, on: datetime.date):
        from .status import review_status_on

        return self.annotate(status=review_status_on(on))


class RevisionReview(models.Model):
    """改正点の確認 (decision 0037): a person who completed the previous version in this 年度's
    cycle reads the changed clauses of a substantive version, answers their questions and attests
    to the new version. One per person and version (a re-run of the rollout never makes a second)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("確認済み")
        OVERDUE = "overdue", _("改正点未確認（期限超過）")
        PENDING = "pending", _("改正点未確認")

    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="revision_reviews")
    cycle = models.ForeignKey(TrainingCycle, on_delete=models.PROTECT, related_name="revision_reviews")
    version = models.ForeignKey(
        "courses.GuidelineVersion", on_delete=models.PROTECT, related_name="reviews", verbose_name=_("版")
    )
    completion = models.ForeignKey(
        "quizzes.CompletionRecord",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("もとの修了記録"),
    )
    clause_keys = models.JSONField(_("確認する条項"), default=list)
    due_on = models.DateField(_("確認の期限"))
    created_at = models.DateTimeField(auto_now_add=True)
    attestation = models.OneToOneField(
        "quizzes.RevisionAttestation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review",
    )
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    objects = RevisionReviewQuerySet.as_manager()

    class Meta:
        ordering = ["version", "staff"]
        verbose_name = _("改正点の確認")
        verbose_name_plural = _("改正点の確認")
        constraints = [models.UniqueConstraint(fields=["staff", "version"], name="one_review_per_person_and_version")]

    def __str__(self):
        return f"{self.staff} {self.version}"


class RevisionRollout(models.Model):
    """Progress of giving a substantive version's 改正点の確認 to everyone concerned (a background
    task, training.tasks.revision_reviews_create); one per version and cycle."""

    version = models.ForeignKey("courses.GuidelineVersion", on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(TrainingCycle, on_delete=models.CASCADE, related_name="+")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "cycle"], name="one_rollout_per_version_and_cycle")]

    def __str__(self):
        return f"{self.version_id}/{self.cycle_id}: {self.done}/{self.total}"
