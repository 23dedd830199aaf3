"""Forms of the HR report pages (read-only: both submit by GET)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sns_training.fiscal_year import fiscal_year_label, fiscal_year_of


def fiscal_year_choices() -> list[tuple[int, str]]:
    """This 年度 back to 令和元年度 (the platform holds nothing older), newest first."""
    current = fiscal_year_of(timezone.localdate())
    return [(year, fiscal_year_label(year)) for year in range(current, 2018, -1)]


class VerificationForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=40,
        help_text=_("修了証に印字された12桁の英数字（大文字・小文字、全角・半角、ハイフンは区別しません）"),
    )


class CertificateZipForm(forms.Form):
    ALL = "*"  # 「全所属」: no 所属コード is "*" (people.models.department_code_validator)

    department = forms.ChoiceField(label=_("所属"))
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    subdepartments = forms.BooleanField(label=_("下位の所属を含める"), required=False, initial=True)

    def __init__(self, *args, departments: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(self.ALL, _("全所属（自治体全体）")), *departments]
        self.fields["fiscal_year"].choices = fiscal_year_choices()
