"""The log-in form: e-mail and password, or municipality + 職員番号 and password."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from . import roster
from .models import Municipality, RosterImport, login_username


class StaffLoginForm(LoginForm):
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.order_by("code"),
        required=False,
        to_field_name="code",
        label=_("自治体（職員番号でログインする場合）"),
        empty_label=_("選択してください"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("メールアドレスまたは職員番号")
        login.max_length = 254
        login.widget.attrs.update({"placeholder": "", "autocomplete": "username", "maxlength": "254"})
        self.fields["password"].label = _("パスワード")
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.order_fields(["municipality", "login", "password"])

    def clean(self):
        login = (self.cleaned_data.get("login") or "").strip()
        if login and "@" not in login and not self.cleaned_data.get("municipality"):
            self.add_error("municipality", _("職員番号でログインする場合は、自治体を選んでください。"))
        return super().clean()

    def user_credentials(self) -> dict:
        login = self.cleaned_data["login"].strip()
        password = self.cleaned_data.get("password")
        municipality = self.cleaned_data.get("municipality")
        if "@" in login:
            credentials = {"email": login.lower()}
        else:
            # The rate-limit key is the username, so failures count per account.
            credentials = {"username": login_username(municipality.code, login)}
        if password:
            credentials["password"] = password
        return credentials


class RosterUploadForm(forms.Form):
    """The roster import's upload: which kind of file, for which municipality (HR: their own), the file."""

    kind = forms.ChoiceField(
        label=_("ファイルの種類"),
        choices=RosterImport.Kind.choices,
        initial=RosterImport.Kind.STAFF,
        widget=forms.RadioSelect,
    )
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.none(), label=_("自治体"), empty_label=None)
    file = forms.FileField(label=_("CSVファイル"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
    departments_file = forms.FileField(
        label=_("所属マスタのCSVファイル"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "「所属マスタと職員名簿」のときだけ。上の「CSVファイル」に職員名簿を、ここに所属マスタを選びます。"
            "所属マスタを先に反映し、その所属で職員名簿を確認します。"
        ),
    )
    retire_missing = forms.BooleanField(
        label=_("この名簿にない職員を退職扱いにする"),
        required=False,
        initial=False,
        help_text=_(
            "職員名簿で、全職員を載せたファイルのときだけ選んでください。ファイルにない在職者を、取込日付けで退職にします（確認画面に一覧を表示します）。"
        ),
    )

    effective_on = forms.DateField(
        label=_("適用日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "所属マスタ（または所属マスタと職員名簿）のみ。名称変更・統合・廃止をこの日付けで記録します（空欄：取込日）。"
            "職員名簿と一緒のときは今日以前の日付です。"
        ),
    )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if cleaned.get("effective_on") and kind == RosterImport.Kind.STAFF:
            self.add_error("effective_on", _("適用日を指定できるのは所属マスタだけです。"))
        if kind == RosterImport.Kind.REORGANISATION and not cleaned.get("departments_file"):
            self.add_error("departments_file", _("所属マスタのファイルを選んでください。"))
        return cleaned

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8（BOM付き可）または Shift_JIS（Excel の「CSV（コンマ区切り）」）。%(size)s MB・%(lines)s行まで。"
        ) % {"size": f"{roster.max_bytes() / 1024 / 1024:g}", "lines": f"{roster.max_lines():,}"}
        field = self.fields["municipality"]
        field.queryset = municipalities
        self.municipality_choices = list(municipalities)
        if len(self.municipality_choices) == 1:
            # HR imports for their own municipality whatever is posted: only the platform admin chooses.
            field.initial = self.municipality_choices[0]
            field.disabled = True
            field.widget = forms.HiddenInput()

    def clean_departments_file(self):
        upload = self.cleaned_data.get("departments_file")
        if not upload:
            return upload
        try:
            roster.size_check(upload.size)
        except roster.RosterFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            roster.size_check(upload.size)
        except roster.RosterFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload
