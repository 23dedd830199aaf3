"""The self-check's rules as editors tune them per municipality, and the per-department counts of
rules that fired. The draft itself has no model: it is never stored (decision 0041)."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    Task,
    WorkflowMixin,
)

from people import scoping
from people.approval import MunicipalityApprovalMixin

from . import defaults


class SelfCheckRuleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rules of the viewer's municipality (all for a platform admin)."""
        return scoping.within_municipality(self, user)


RULE_CHOICES = [(rule.code, rule.label) for rule in defaults.RULES]
ACCOUNT_CHOICES = [(defaults.OFFICIAL, _("公式アカウント（業務）")), (defaults.PRIVATE, _("個人アカウント（私的）"))]


class SelfCheckRule(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """One rule of one municipality for one account type: on/off, the clause it cites, its message
    and word lists. Edited as a snippet; a change goes live only when an approver publishes it."""

    municipality = models.ForeignKey(
        "people.Municipality", on_delete=models.CASCADE, related_name="selfcheck_rules", verbose_name=_("自治体")
    )
    code = models.CharField(_("ルール"), max_length=30, choices=RULE_CHOICES)
    account_type = models.CharField(_("アカウントの種類"), max_length=10, choices=ACCOUNT_CHOICES)
    enabled = models.BooleanField(_("有効"), default=True)
    clause_key = models.CharField(
        _("引用する条項キー"),
        max_length=30,
        help_text=_("自分の自治体のガイドラインの条項キー（例：「9-1」「4-5-イ」）。"),
    )
    message = models.TextField(_("説明文"), help_text=_("職員に示すリスクの説明（1〜2文）。"))
    words = models.TextField(
        _("語のリスト"),
        blank=True,
        help_text=_("1行に1つのリスト。「リスト名：語、語、語」の形で書きます。リスト名は変えないでください。"),
    )
    work_start = models.TimeField(_("勤務開始"), null=True, blank=True)
    work_end = models.TimeField(_("勤務終了"), null=True, blank=True)
    break_start = models.TimeField(_("休憩開始"), null=True, blank=True)
    break_end = models.TimeField(_("休憩終了"), null=True, blank=True)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="selfcheckrule")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="selfcheckrule",
        for_concrete_model=False,
    )

    objects = SelfCheckRuleQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "account_type", "code"]
        verbose_name = _("セルフチェックのルール")
        verbose_name_plural = _("セルフチェックのルール")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code", "account_type"], name="selfcheck_rule_unique"),
        ]

    def __str__(self):
        return f"{self.get_code_display()}（{self.get_account_type_display()}）"

    @property
    def revisions(self):
        return self._revisions

    def word_lists(self) -> dict[str, tuple[str, ...]]:
        return parse_words(self.words)

    def clean(self):
        super().clean()
        try:
            parse_words(self.words)
        except ValueError as error:
            raise ValidationError({"words": str(error)}) from error
        if self.code == "working_hours" and self.work_start and self.work_end and self.work_start >= self.work_end:
            raise ValidationError({"work_end": _("勤務終了は勤務開始より後の時刻にしてください。")})


def parse_words(text: str) -> dict[str, tuple[str, ...]]:
    """「リスト名：語、語」lines → {list key: words}. Raises ValueError with a Japanese message."""
    by_label = {str(label): key for key, label in defaults.WORD_LIST_LABELS.items()}
    result: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, rest = line.replace(":", "：").partition("：")
        key = by_label.get(label.strip())
        if not sep or key is None:
            raise ValueError(
                _("%(line)d行目のリスト名「%(label)s」が分かりません。") % {"line": number, "label": label.strip()}
            )
        result[key] = tuple(word.strip() for word in rest.replace(",", "、").split("、") if word.strip())
    return result


def format_words(words: dict[str, tuple[str, ...]]) -> str:
    return "\n".join(f"{defaults.WORD_LIST_LABELS[key]}：{'、'.join(values)}" for key, values in words.items())


class SelfCheckApprovalTask(MunicipalityApprovalMixin, Task):
    """Approval of self-check rules by the approvers of the rule's own municipality (as
    quizzes.QuestionApprovalTask does for questions, decision 0008)."""

    groups = models.ManyToManyField(
        "auth.Group",
        verbose_name=_("承認者グループ"),
        help_text=_("このグループの職員が、自分の自治体のルールに限って承認できます。"),
    )

    admin_form_fields = [*Task.admin_form_fields, "groups"]
    moderated_model = SelfCheckRule

    class Meta:
        verbose_name = _("セルフチェックのルールの承認（自治体別）")
        verbose_name_plural = _("セルフチェックのルールの承認（自治体別）")

    @classmethod
    def get_description(cls):
        return _("承認者グループの職員が、自分の自治体のセルフチェックのルールを承認します")


class SelfCheckTally(models.Model):
    """How often a rule fired, per municipality, department, account type and day. No text, no
    person: `code` "" counts the checks run. Written by selfcheck.services.selfcheck_run."""

    municipality = models.ForeignKey("people.Municipality", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("people.Department", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=30, blank=True)
    clause_key = models.CharField(max_length=30, blank=True)
    account_type = models.CharField(max_length=10, choices=ACCOUNT_CHOICES)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "department", "code", "clause_key", "account_type", "day"],
                name="selfcheck_tally_unique",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.code or 'checks'} {self.count}"
