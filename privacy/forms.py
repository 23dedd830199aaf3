from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RetentionPolicy
from .services import REASON_MAX


class DisclosureForm(forms.Form):
    reason = forms.CharField(
        label=_("開示請求の内容（受付番号・受付日など）"),
        max_length=REASON_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ErasureForm(forms.Form):
    staff_number = forms.CharField(label=_("確認のため、この職員の職員番号を入力してください"), max_length=20)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = staff

    def clean_staff_number(self):
        value = self.cleaned_data["staff_number"].strip()
        if value != self.staff.staff_number:
            raise forms.ValidationError(_("職員番号が一致しません。"))
        return value


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["record_years", "attempt_years", "log_years"]
