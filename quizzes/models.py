"""Scenario questions on clauses, quiz attempts and each person's state per clause.

Questions are relational (revisioned, draft/live) so they can be drawn, rotated and analysed
in SQL; they cite clauses by the stable key of courses.blocks.ClauseBlock.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.models import DraftStateMixin, LockableMixin, Orderable, RevisionMixin, Task, WorkflowMixin

from people import scoping
from people.approval import MunicipalityApprovalMixin
from sns_training.fiscal_year import current_fiscal_year, fiscal_year_start


class ScenarioQuestionQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live=True)

    def visible_to(self, user):
        """Questions an admin user may see: their municipality's guideline's (all for superusers),
        by the same rule as GuidelinePage.objects.visible_to."""
        return scoping.within_municipality(self, user, field="guideline__municipality_id")

    def for_clauses(self, guideline, clause_keys):
        return self.filter(guideline=guideline, clause_key__in=clause_keys)

    def in_year(self, year: int):
        """Items whose 年度 range (first_year..last_year, either end open) contains `year`."""
        return self.filter(
            models.Q(first_year__isnull=True) | models.Q(first_year__lte=year),
            models.Q(last_year__isnull=True) | models.Q(last_year__gte=year),
        )


PLATFORMS = ("X", "Instagram", "Facebook", "LINE", "YouTube", "TikTok", "blog", "general")
SCENES = (
    "上下水道",
    "保育所",
    "学校",
    "防災",
    "選挙管理委員会",
    "議会事務局",
    "消防",
    "窓口",
    "観光",
    "福祉",
    "税務",
    "環境",
    "土木",
    "病院",
    "図書館",
    "広報",
    "人事",
    "子育て",
    "企画",
    "その他",
)
SCENE_CHOICES = [(scene, scene) for scene in SCENES]
# The protagonist's employment type (people.StaffMember.EmploymentType, repeated to keep the
# migration graph free of people).
EMPLOYMENT_CHOICES = [
    ("regular", _("一般職")),
    ("special", _("特別職")),
    ("reappointed", _("再任用職員")),
    ("fiscal_year", _("会計年度任用職員")),
    ("contractor", _("委託事業者")),
    ("designated_manager", _("指定管理者")),
]


class ScenarioQuestion(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, ClusterableModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("正しいものを1つ選ぶ")
        MULTIPLE = "multiple", _("当てはまるものをすべて選ぶ")

    class Audience(models.TextChoices):
        ALL = "all", _("全員")
        OFFICIAL = "official", _("公式アカウント運用者")
        CONTRACTORS = "contractors", _("委託事業者・指定管理者")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("やさしい")
        MEDIUM = 2, _("ふつう")
        HARD = 3, _("むずかしい")

    guideline = models.ForeignKey(
        "courses.GuidelinePage", on_delete=models.PROTECT, related_name="questions", verbose_name=_("ガイドライン")
    )
    external_id = models.CharField(_("設問ID"), max_length=80, unique=True)
    clause_key = models.CharField(_("条項キー"), max_length=30, db_index=True)
    also_cites = models.JSONField(
        _("あわせて参照する条項キー"),
        default=list,
        blank=True,
        help_text=_('同じガイドラインの条項キーのリスト（例：["8-6"]）。'),
    )
    kind = models.CharField(_("回答の形式"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    situation = models.TextField(_("場面"))
    prompt = models.CharField(_("問い"), max_length=300)
    explanation = models.TextField(_("解説"))
    # Item-bank metadata (decision 0019): who the item is drawn for, in which 年度, and what it covers.
    audience = models.CharField(_("対象者"), max_length=12, choices=Audience.choices, default=Audience.ALL)
    difficulty = models.PositiveSmallIntegerField(_("難易度"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    platforms = models.JSONField(
        _("プラットフォーム"),
        default=list,
        blank=True,
        help_text=_("X、Instagram、Facebook、LINE、YouTube、TikTok、blog、general のリスト。"),
    )
    scene = models.CharField(_("場面の部署"), max_length=20, choices=SCENE_CHOICES, blank=True)
    employment_type = models.CharField(_("主人公の任用形態"), max_length=20, choices=EMPLOYMENT_CHOICES, blank=True)
    covers_revision = models.BooleanField(
        _("改正後の条文を問う設問"),
        default=False,
        help_text=_(
            "実質的な改正のあと、修了済みの職員の「改正点の確認」で出題します（改正後の本文に合わせた設問に付けます）。"
        ),
    )
    first_year = models.PositiveSmallIntegerField(
        _("出題開始年度"), null=True, blank=True, help_text=_("西暦の年度（例：2026）。空欄は制限なし。")
    )
    last_year = models.PositiveSmallIntegerField(
        _("出題終了年度"), null=True, blank=True, help_text=_("西暦の年度。空欄は制限なし。")
    )

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="scenarioquestion")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="scenarioquestion",
        for_concrete_model=False,
    )

    objects = ScenarioQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["guideline", "clause_key", "external_id"]
        verbose_name = _("設問")
        verbose_name_plural = _("設問")
        indexes = [models.Index(fields=["guideline", "clause_key", "live"])]

    def __str__(self):
        return f"{self.clause_key}: {self.prompt[:40]}"

    @property
    def revisions(self):
        return self._revisions

    @property
    def version(self) -> int | None:
        """The revision staff answered: the live revision's id."""
        return self.live_revision_id


class Choice(Orderable):
    question = ParentalKey(ScenarioQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("選択肢"), max_length=300)
    is_correct = models.BooleanField(_("正解"), default=False)
    feedback = models.TextField(_("この選択肢へのフィードバック"))

    # Choice texts run to 300 characters: edited in a box of several lines, not one line.
    panels = [
        FieldPanel("text", widget=forms.Textarea(attrs={"rows": 3})),
        FieldPanel("is_correct"),
        FieldPanel("feedback", widget=forms.Textarea(attrs={"rows": 3})),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("選択肢")
        verbose_name_plural = _("選択肢")

    def __str__(self):
        return self.text


class OwnedByStaffQuerySet(models.QuerySet):
    def of_user(self, user):
        """Only the viewer's own rows; every view of attempts and records goes through this."""
        return scoping.own_rows(self, user)


class QuizAttemptQuerySet(OwnedByStaffQuerySet):
    def in_fiscal_year(self, year: int | None = None):
        """Attempts started in one 年度 (this 年度's by default)."""
        year = current_fiscal_year() if year is None else year
        return self.filter(
            started_at__date__gte=fiscal_year_start(year), started_at__date__lt=fiscal_year_start(year + 1)
        )


class QuizAttempt(models.Model):
    """One sitting of a chapter's quiz. Open until submitted; graded exactly once."""

    class State(models.TextChoices):
        OPEN = "open", _("回答中")
        GRADED = "graded", _("採点済み")

    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="quiz_attempts")
    guideline = models.ForeignKey("courses.GuidelinePage", on_delete=models.PROTECT, related_name="+")
    chapter = models.ForeignKey("courses.ChapterPage", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    correct_count = models.PositiveSmallIntegerField(default=0)
    question_count = models.PositiveSmallIntegerField(default=0)

    objects = QuizAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("受験")
        verbose_name_plural = _("受験")
        indexes = [models.Index(fields=["staff", "chapter", "state"])]

    def __str__(self):
        return f"{self.staff_id} / {self.chapter_id} / {self.get_state_display()}"

    @property
    def score_percent(self) -> int:
        return round(100 * self.correct_count / self.question_count) if self.question_count else 0


class AttemptItem(models.Model):
    """A question as drawn for an attempt: its version, the order its choices were shown in,
    and, once graded, the answer given."""

    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(ScenarioQuestion, on_delete=models.PROTECT, related_name="+")
    question_version = models.PositiveBigIntegerField(null=True)
    clause_key = models.CharField(max_length=30)
    choice_order = models.JSONField(default=list)
    selected = models.JSONField(default=list)
    is_correct = models.BooleanField(null=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="attempt_item_position_unique")]

    def __str__(self):
        return f"{self.attempt_id} #{self.position} ({self.clause_key})"


class ClauseProgressQuerySet(models.QuerySet):
    def of_year(self, year: int | None = None):
        """One 年度's progress (this 年度's by default): everyone trains anew every year."""
        return self.filter(fiscal_year=current_fiscal_year() if year is None else year)


class ClauseProgress(models.Model):
    """Where a person stands on one clause in one 年度: missed or mastered (no row: not yet
    answered). A new 年度 starts from nothing, as the annual training does."""

    class State(models.TextChoices):
        MISSED = "missed", _("誤答あり")
        MASTERED = "mastered", _("習得")

    staff = models.ForeignKey("people.StaffMember", on_delete=models.CASCADE, related_name="clause_progress")
    guideline = models.ForeignKey("courses.GuidelinePage", on_delete=models.CASCADE, related_name="+")
    clause_key = models.CharField(max_length=30)
    state = models.CharField(max_length=10, choices=State.choices)
    first_attempt_missed = models.BooleanField(default=False)
    fiscal_year = models.PositiveSmallIntegerField(_("年度"), default=current_fiscal_year)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClauseProgressQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "guideline", "fiscal_year", "clause_key"], name="clause_progress_unique"
            ),
        ]

    def __str__(self):
        return f"{self.staff_id} {self.clause_key}: {self.get_state_display()}"


class ImmutableRecordError(Exception):
    """A completion record is evidence: it is never changed or deleted once written."""


class CompletionRecordQuerySet(OwnedByStaffQuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError("completion records are never updated")

    def bulk_create(self, objs, *args, **kwargs):
        """Bulk inserts (demo data, benchmarks) join the hash chain like single ones."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ImmutableRecordError("completion records are only ever inserted")
        from . import chain

        objs = list(objs)
        for obj in objs:
            obj.fill_municipality()
        with transaction.atomic(using=self.db, savepoint=False):
            chain.append(objs, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)

    def delete(self):
        raise ImmutableRecordError("completion records are never deleted")


class CompletionRecord(models.Model):
    """Evidence that a person completed a guideline and attested to it (DESIGN §4). Everything a
    personnel file needs is copied in at that moment, so transfers and edits never rewrite it."""

    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="completion_records")
    guideline = models.ForeignKey("courses.GuidelinePage", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    # Who, and where, at the time.
    municipality_name = models.CharField(max_length=50)
    staff_number = models.CharField(_("職員番号"), max_length=20)
    staff_name = models.CharField(_("氏名"), max_length=100)
    department_code = models.CharField(_("所属コード"), max_length=20)
    department_name = models.CharField(_("所属名"), max_length=100)
    employment_type = models.CharField(_("任用形態"), max_length=20)
    employment_type_label = models.CharField(max_length=50)
    # What.
    guideline_title = models.CharField(max_length=200)
    # The 第N版 attested to: its label is hashed (guideline_version, chain.HASHED_FIELDS); the link
    # is a lookup added later, outside the hash (records written before it name the editor's label).
    guideline_version = models.CharField(_("版"), max_length=100)
    version = models.ForeignKey(
        "courses.GuidelineVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="completion_records",
        verbose_name=_("誓約した版"),
    )
    guideline_revision_id = models.PositiveBigIntegerField(null=True)
    chapter_revisions = models.JSONField(default=dict)
    content_hash = models.CharField(_("条文のハッシュ（SHA-256）"), max_length=64)
    answers = models.JSONField(default=list)
    clauses_mastered = models.PositiveSmallIntegerField()
    clauses_total = models.PositiveSmallIntegerField()
    first_try_correct = models.PositiveSmallIntegerField()
    first_try_total = models.PositiveSmallIntegerField()
    # When.
    completed_at = models.DateTimeField(_("修了日時"))
    attested_at = models.DateTimeField(_("誓約日時"))
    verification_code = models.CharField(_("確認コード"), max_length=16, unique=True)
    # The training cycle the attestation completed (null: attested outside any cycle).
    cycle = models.ForeignKey(
        "training.TrainingCycle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Tamper evidence (decision 0018): the records of a municipality form a hash chain, in the
    # order they were written; quizzes.chain fills these on insert, verify_records checks them.
    municipality = models.ForeignKey("people.Municipality", on_delete=models.PROTECT, related_name="+")
    chain_index = models.PositiveIntegerField(editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    record_hash = models.CharField(max_length=64, editable=False)

    objects = CompletionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-attested_at"]
        verbose_name = _("修了記録")
        verbose_name_plural = _("修了記録")
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "guideline", "fiscal_year"], name="one_completion_per_fiscal_year"
            ),
            # One successor per record: a chain cannot fork even if an insert skipped the lock.
            models.UniqueConstraint(fields=["municipality", "chain_index"], name="one_link_per_chain_index"),
        ]

    def __str__(self):
        return f"{self.staff_number} {self.guideline_title} {self.fiscal_year}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("completion records are never updated")
        from . import chain

        self.fill_municipality()
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # No savepoint inside attestation_create's transaction: the lock, the tail and the insert
        # belong to it.
        with transaction.atomic(using=using, savepoint=False):
            chain.append([self], using=using)
            super().save(*args, **kwargs)

    def fill_municipality(self) -> None:
        if self.municipality_id is None:
            self.municipality_id = self.staff.municipality_id

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("completion records are never deleted")

    @property
    def fiscal_year_label(self) -> str:
        from sns_training.fiscal_year import fiscal_year_label

        return fiscal_year_label(self.fiscal_year)

    def certificate_dates(self) -> dict:
        """The dates a certificate prints, in Japan: 修了日 in 和暦 and in the site's style (2026年4月1日,
        sns_training/dates.py; ISO only for machine-readable attributes), 誓約日時 and its 和暦 date
        (the PDF, the person's certificate page and the public verification page show the same)."""
        from django.utils import timezone

        from sns_training.dates import date_display
        from sns_training.fiscal_year import wareki_date

        completed = timezone.localtime(self.completed_at).date()
        attested = timezone.localtime(self.attested_at)
        return {
            "completed_iso": completed.isoformat(),
            "completed_display": date_display(completed),
            "completed_wareki": wareki_date(completed),
            "attested": attested,
            "attested_wareki": wareki_date(attested.date()),
        }

    @property
    def verification_url(self) -> str:
        """The public 修了証の確認 page of this record's code at the site's configured address
        (DJANGO_BASE_URL), as printed on the certificate (reports/views/public.py)."""
        from urllib.parse import urljoin

        from django.conf import settings
        from django.urls import reverse

        return urljoin(settings.WAGTAILADMIN_BASE_URL, reverse("verify_code", args=[self.verification_code]))

    @property
    def first_try_percent(self) -> int:
        return round(100 * self.first_try_correct / self.first_try_total) if self.first_try_total else 0


class RevisionAttestation(models.Model):
    """Evidence of a 改正点の確認 (decision 0037): the person read the changed clauses of a new
    version, answered their questions and attested to it. Linked to the completion record it
    amends, which stays untouched; never changed afterwards."""

    completion = models.ForeignKey(
        CompletionRecord, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("もとの修了記録")
    )
    staff = models.ForeignKey("people.StaffMember", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey("courses.GuidelineVersion", on_delete=models.PROTECT, related_name="+")
    version_label = models.CharField(_("版"), max_length=100)
    staff_number = models.CharField(_("職員番号"), max_length=20)
    staff_name = models.CharField(_("氏名"), max_length=100)
    department_code = models.CharField(_("所属コード"), max_length=20)
    department_name = models.CharField(_("所属名"), max_length=100)
    clause_keys = models.JSONField(_("確認した条項"), default=list)
    content_hash = models.CharField(_("確認した条文のハッシュ（SHA-256）"), max_length=64)
    answers = models.JSONField(default=list)
    attested_at = models.DateTimeField(_("誓約日時"))

    class Meta:
        ordering = ["-attested_at"]
        verbose_name = _("改正点の確認の誓約")
        verbose_name_plural = _("改正点の確認の誓約")
        constraints = [
            models.UniqueConstraint(fields=["staff", "version"], name="one_revision_attestation_per_version")
        ]

    def __str__(self):
        return f"{self.staff_number} {self.version_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("revision attestations are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("revision attestations are never deleted")


class QuestionApprovalTask(MunicipalityApprovalMixin, Task):
    """Approval of scenario questions, routed by the question's municipality (decision 0008).

    A Wagtail workflow is assigned per content type, so one workflow serves every municipality's
    questions; this task lets a member of its approver groups moderate a question only when it
    belongs to their own municipality. It is deliberately not a GroupApprovalTask: Wagtail would
    then mail every group member about every submission, 須賀川市's approvers about 芦屋市's
    questions included (quizzes.notifications mails the right municipality's approvers instead).
    """

    groups = models.ManyToManyField(
        Group,
        verbose_name=_("承認者グループ"),
        help_text=_("このグループの職員が、自分の自治体の設問に限って承認できます。"),
    )

    admin_form_fields = [*Task.admin_form_fields, "groups"]
    moderated_model = ScenarioQuestion

    class Meta:
        verbose_name = _("設問の承認（自治体別）")
        verbose_name_plural = _("設問の承認（自治体別）")

    def approvers_for(self, obj):
        """The active members of this task's groups in the question's municipality: who is told."""
        from people.models import User

        return User.objects.filter(
            pk__in=User.objects.filter(groups__in=self.groups.all()).values("pk"),
            is_active=True,
            staff_profile__is_active=True,
            staff_profile__municipality_id=obj.guideline.municipality_id,
        )

    @classmethod
    def get_description(cls):
        return _("承認者グループの職員が、自分の自治体の設問を承認します")
