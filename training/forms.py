"""Admin forms for training cycles (training/viewsets.py). Choices are scoped to the HR user's
municipality; every rule is checked by training.services, whose messages the form shows."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from courses.models import GuidelinePage
from people.models import Department, StaffMember
from sns_training.fiscal_year import fiscal_year_bounds, fiscal_year_label, fiscal_year_of

from . import services
from .models import TrainingCycle


class _TreeOrder(ModelChoiceIterator):
    """Departments in tree order, siblings by 所属コード: each sorts by its ancestors' codes (the
    path holds ids, whose text order would put /10/ before /3/)."""

    def __iter__(self):
        departments = list(self.queryset)
        code_of = {d.pk: d.code for d in departments}
        for department in sorted(
            departments,
            key=lambda d: (
                d.municipality_id,
                [code_of.get(int(part), "") for part in d.path.strip("/").split("/") if part],
            ),
        ):
            yield self.choice(department)


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    iterator = _TreeOrder

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.code}）"


class DepartmentTreeWidget(forms.CheckboxSelectMultiple):
    """The department tree (部 › 課 › 係) as indented checkboxes. Choosing a department already
    takes everything below it (decision 0010); training/admin/department_tree.js also ticks the
    children when a 部 is ticked, so HR sees what is chosen. Without script each is its own box."""

    template_name = "training/widgets/department_tree.html"
    option_template_name = "training/widgets/department_tree_option.html"

    class Media:
        css = {"all": ["training/admin/department_tree.css"]}
        js = ["training/admin/department_tree.js"]

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        department = getattr(value, "instance", None)
        if department is not None:
            option["depth"] = department.depth
            option["attrs"]["data-path"] = department.path
        return option


def _date_input() -> forms.DateInput:
    """The browser's own date picker (keyboard and screen-reader friendly, no script under the CSP)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ServiceValidatedForm(WagtailAdminModelForm):
    """The service validates and writes; the model's own full_clean would repeat its messages."""

    def _post_clean(self):
        pass


class TrainingCycleCreateForm(_ServiceValidatedForm):
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    employment_types = forms.MultipleChoiceField(
        label=_("対象の任用形態"),
        choices=StaffMember.EmploymentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("選ばなければ全員が対象です。公選職（公職選挙法により選ばれる者）はどの場合も対象外です。"),
    )
    departments = DepartmentChoiceField(
        label=_("対象の所属"),
        queryset=Department.objects.none(),
        required=False,
        widget=DepartmentTreeWidget,
        help_text=_(
            "選んだ所属とその下の所属が対象です（部を選ぶと、その下の課・係もまとめて対象になります）。"
            "選ばなければ全所属が対象です。"
        ),
    )

    class Meta:
        model = TrainingCycle
        fields = [
            "guideline",
            "fiscal_year",
            "opens_on",
            "due_on",
            "closes_on",
            "employment_types",
            "departments",
            "new_hire_due_days",
        ]
        widgets = {"opens_on": _date_input(), "due_on": _date_input(), "closes_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        this_year = fiscal_year_of(timezone.localdate())
        self.fields["fiscal_year"].choices = [
            (year, fiscal_year_label(year)) for year in range(this_year - 1, this_year + 2)
        ]
        self.fields["guideline"].queryset = GuidelinePage.objects.visible_to(user).live().order_by("path")
        self.fields["departments"].queryset = (
            Department.objects.visible_to(user).select_related("municipality").order_by("municipality", "path")
        )
        if not self.is_bound:
            start, end = fiscal_year_bounds(this_year)
            self.initial.setdefault("fiscal_year", this_year)
            self.initial.setdefault("opens_on", max(start, timezone.localdate()))
            self.initial.setdefault("closes_on", end)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.cycle_validate(
                guideline=cleaned["guideline"],
                fiscal_year=cleaned["fiscal_year"],
                opens_on=cleaned["opens_on"],
                due_on=cleaned["due_on"],
                closes_on=cleaned["closes_on"],
                employment_types=cleaned.get("employment_types") or [],
                departments=cleaned.get("departments") or [],
                new_hire_due_days=cleaned["new_hire_due_days"],
                user=self.for_user,
            )
        except services.TrainingError as exc:
            raise ValidationError(str(exc)) from exc
        return cleaned


class TrainingCycleEditForm(_ServiceValidatedForm):
    """Once opened, only the due and close dates and the new-hire days change; the guideline,
    年度, opening day and audience are what people were assigned by."""

    class Meta:
        model = TrainingCycle
        fields = ["due_on", "closes_on", "new_hire_due_days", "revision_review_days"]
        widgets = {"due_on": _date_input(), "closes_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left blank: the days stay as they are (decision 0037).
        self.fields["revision_review_days"].required = False
