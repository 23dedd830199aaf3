"""Each municipality's retention periods and the erasures done (decision 0040). The data they
govern lives in the other apps; privacy/services.py applies the periods and erases."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from people import scoping

YEARS = [MinValueValidator(1), MaxValueValidator(100)]


class RetentionPolicyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HR: their municipality's policy; the platform admin: all."""
        return scoping.within_municipality(self, user)


class RetentionPolicy(models.Model):
    """How many 年度 after the one a row belongs to it is kept (a record of 年度 2020 kept 5 years
    goes on 1 April 2026). No row: the defaults below. Applied daily by `apply_retention`."""

    municipality = models.OneToOneField(
        "people.Municipality", on_delete=models.CASCADE, related_name="retention_policy", verbose_name=_("自治体")
    )
    record_years = models.PositiveSmallIntegerField(
        _("修了記録の保存年数"),
        default=5,
        validators=YEARS,
        help_text=_("人事記録としての保存期間。この年数を過ぎた年度の修了記録を、古いものから削除します。"),
    )
    attempt_years = models.PositiveSmallIntegerField(
        _("受験記録の回答内容の保存年数"),
        default=3,
        validators=YEARS,
        help_text=_("過ぎると選んだ選択肢を消去します。正答数・正誤は集計のため残します。"),
    )
    log_years = models.PositiveSmallIntegerField(
        _("ログの保存年数"),
        default=3,
        validators=YEARS,
        help_text=_(
            "過ぎるとアクセス記録を削除し、督促の宛先と例外措置の備考を消去します。"
            "アクセス記録は「ログインの設定」の保存日数がより短ければそちらで削除されます。"
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = RetentionPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("保存期間")
        verbose_name_plural = _("保存期間")

    def __str__(self):
        return str(self.municipality)

    @classmethod
    def for_municipality(cls, municipality) -> RetentionPolicy:
        """The saved policy, or an unsaved one with the defaults."""
        return cls.objects.filter(municipality=municipality).first() or cls(municipality=municipality)


class Erasure(models.Model):
    """A retired person's personal data erased (privacy.services.staff_erase): once per person,
    with who did it and what was removed; the evidence kept is named in `kept`."""

    staff = models.OneToOneField(
        "people.StaffMember", on_delete=models.PROTECT, related_name="erasure", verbose_name=_("職員")
    )
    erased_at = models.DateTimeField(_("消去日時"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("実行者")
    )
    removed = models.JSONField(_("消去した内容"), default=dict)
    kept = models.JSONField(_("残した内容"), default=dict)

    class Meta:
        verbose_name = _("個人情報の消去")
        verbose_name_plural = _("個人情報の消去")

    def __str__(self):
        return f"{self.staff_id} {self.erased_at:%Y-%m-%d}"
