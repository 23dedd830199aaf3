"""The platform admin's onboarding form (sns_training/onboarding_views.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from courses import services as course_services

MAX_FIXTURE_BYTES = 5 * 1024 * 1024


class MunicipalityOnboardForm(forms.Form):
    code = forms.CharField(label=_("団体コード"), max_length=6, help_text=_("全国地方公共団体コード（6桁）"))
    name = forms.CharField(label=_("自治体名"), max_length=50)
    slug = forms.SlugField(
        label=_("スラッグ"), max_length=50, help_text=_("半角英小文字・数字・ハイフン（例：chiyoda）")
    )
    guideline_file = forms.FileField(
        label=_("ガイドラインのファイル（任意）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
        help_text=_(
            "import_guidelines と同じ形式の JSON（fixtures/guidelines/ の例を参照）。選ばない場合は章のない"
            "ガイドラインのページを作り、編集者が章を追加します。"
        ),
    )
    guideline_title = forms.CharField(
        label=_("ガイドラインの名称"),
        max_length=200,
        required=False,
        help_text=_("ファイルを選ばない場合に入力してください（例：○○市ソーシャルメディア利用ガイドライン）。"),
    )
    guideline_issuer = forms.CharField(label=_("ガイドラインの所管課"), max_length=200, required=False)
    password_allowed = forms.BooleanField(
        label=_("職員番号とパスワードでのログインを許可する"),
        required=False,
        initial=True,
        help_text=_(
            "オフにすると初回ログイン用の通知書は発行しません（ディレクトリまたはシングルサインオンで最初の人事担当がログインします）。"
        ),
    )
    no_mailbox_contact = forms.CharField(
        label=_("メールアドレスのない職員の問い合わせ先"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hr_department_code = forms.CharField(label=_("人事担当の所属コード"), max_length=20)
    hr_department_name = forms.CharField(label=_("人事担当の所属名"), max_length=100, initial=_("人事課"))
    hr_staff_number = forms.CharField(label=_("人事担当の職員番号"), max_length=20)
    hr_name = forms.CharField(label=_("人事担当の氏名"), max_length=100)
    hr_kana = forms.CharField(label=_("人事担当のカナ"), max_length=100, required=False)
    hr_email = forms.EmailField(label=_("人事担当のメールアドレス（任意）"), required=False)

    def clean_guideline_file(self):
        upload = self.cleaned_data.get("guideline_file")
        if not upload:
            return None
        if upload.size > MAX_FIXTURE_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（5 MBまで）。"))
        try:
            return course_services.guideline_fixture_parse(upload.read(), name=upload.name), upload.name
        except course_services.GuidelineImportError as exc:
            raise forms.ValidationError(exc.errors) from exc
