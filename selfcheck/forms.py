"""The self-check form: the draft, the account type, the platform and the planned time, each with
a Japanese message for bad input (decision 0041)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import defaults
from .services import MAX_CHARS

PLATFORMS = [
    ("X", _("X（旧Twitter）")),
    ("Instagram", "Instagram"),
    ("Facebook", "Facebook"),
    ("LINE", "LINE"),
    ("TikTok", "TikTok"),
    ("YouTube", "YouTube"),
    ("other", _("その他")),
]

# Control characters other than tab and line breaks (C0, DEL, C1) and the invisible bidi overrides.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class SelfCheckForm(forms.Form):
    draft = forms.CharField(
        label=_("投稿の下書き"),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": MAX_CHARS, "autocomplete": "off", "spellcheck": "false"}),
        # Length is checked in clean_draft, so the message says how long the draft is.
        strip=False,
        error_messages={"required": _("投稿の下書きを入力してください。")},
    )
    account_type = forms.ChoiceField(
        label=_("どのアカウントで投稿しますか"),
        choices=[
            (defaults.PRIVATE, _("個人のアカウント（プライベート）")),
            (defaults.OFFICIAL, _("市の公式アカウント（業務）")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("アカウントの種類を選んでください。"),
            "invalid_choice": _("アカウントの種類を選び直してください。"),
        },
    )
    platform = forms.ChoiceField(
        label=_("サービス"),
        choices=PLATFORMS,
        error_messages={
            "required": _("サービスを選んでください。"),
            "invalid_choice": _("サービスを選び直してください。"),
        },
    )
    planned_at = forms.CharField(
        label=_("投稿する予定の日時（任意）"),
        required=False,
        max_length=40,
        help_text=_("例：12:30、午後3時、明日 9時、6月3日 18:00。空欄なら時刻は確かめません。"),
        error_messages={"max_length": _("日時は40字以内で入力してください。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # NUL is refused by clean_draft with the other control characters, in the same words.
        self.fields["draft"].validators = []

    def clean_draft(self):
        text = self.cleaned_data["draft"].replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise forms.ValidationError(_("投稿の下書きを入力してください。"))
        if len(text) > MAX_CHARS:
            raise forms.ValidationError(
                _("下書きは%(max)s字以内にしてください（いま%(count)s字です）。")
                % {"max": f"{MAX_CHARS:,}", "count": f"{len(text):,}"}
            )
        if CONTROL.search(text):
            raise forms.ValidationError(
                _("下書きに表示されない制御文字が含まれています。投稿する文章だけを貼り付け直してください。")
            )
        return text

    def clean_planned_at(self):
        value = self.cleaned_data.get("planned_at", "")
        if not value.strip():
            return None
        parsed = parse_planned(value, today=timezone.localdate())
        if parsed is None:
            raise forms.ValidationError(
                _("日時を読み取れませんでした。「12:30」「午後3時」「6月3日 18:00」のように入力してください。")
            )
        return parsed


_DATE_PARTS = [
    re.compile(r"(?P<y>\d{4})[-/年.](?P<m>\d{1,2})[-/月.](?P<d>\d{1,2})日?"),
    re.compile(r"(?P<m>\d{1,2})[/月](?P<d>\d{1,2})日?"),
]
_TIME = re.compile(
    r"(?P<ampm>午前|午後|am|pm)?\s*(?P<h>\d{1,2})\s*(?:(?P<half>時半)|[:時]\s*(?P<min>\d{1,2})?\s*分?|(?=\s*(?:am|pm)))\s*(?P<ampm2>am|pm)?"
)


def parse_planned(value: str, *, today: date) -> datetime | None:
    """A planned posting time in the forms people type, as a local datetime; None if unreadable."""
    text = unicodedata.normalize("NFKC", value).strip().lower().replace("t", " ")
    day = today
    if "明後日" in text or "あさって" in text:
        day = today + timedelta(days=2)
    elif "明日" in text or "あした" in text:
        day = today + timedelta(days=1)
    for pattern in _DATE_PARTS:
        match = pattern.search(text)
        if match:
            try:
                year = int(match.group("y")) if "y" in match.groupdict() and match.group("y") else today.year
                day = date(year, int(match.group("m")), int(match.group("d")))
            except ValueError:
                return None
            text = text[: match.start()] + " " + text[match.end() :]
            break
    match = _TIME.search(text)
    if not match:
        return None
    hour = int(match.group("h"))
    minute = 30 if match.group("half") else int(match.group("min") or 0)
    ampm = match.group("ampm") or match.group("ampm2")
    if ampm in ("午後", "pm") and hour < 12:
        hour += 12
    elif ampm in ("午前", "am") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute))
