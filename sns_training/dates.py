"""The one date style (decision 0046): how a day and a moment are written for people on the site,
in the admin, on PDFs and in XLSX exports. 西暦 with 年月日 (2026年4月1日), times to the minute
(2026年4月1日 14:05) or, for evidence, the second (2026年4月1日 14:05:09), always in Asia/Tokyo;
formal documents (the certificate) add 和暦 from sns_training/fiscal_year.py `wareki_date`.

Templates use the filters of `sns_training/templatetags/dates.py` (`|ymd`, `|ymd_hm`, `|ymd_hms`)
or Django's `|date` with no format (the format module sns_training/formats/ja says the same);
Python code calls the functions below; XLSX cells carry the number formats below."""

from __future__ import annotations

import datetime

from django.utils import dateformat, timezone

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
DATETIME_SECONDS_FORMAT = "Y年n月j日 H:i:s"
MONTH_DAY_FORMAT = "n月j日"
# XLSX cells are real dates shown in the same style (Excel and LibreOffice Calc both apply these
# codes: tests/reports/test_xlsx_in_calc.py reads the cells back as shown); evidence to the second.
EXCEL_DATE_FORMAT = 'yyyy"年"m"月"d"日"'
EXCEL_DATETIME_FORMAT = 'yyyy"年"m"月"d"日" hh:mm:ss'


def localised(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def date_display(value: datetime.date | datetime.datetime | None) -> str:
    """2026年4月1日 (a moment: its day in Asia/Tokyo); "" for None."""
    if value is None or value == "":
        return ""
    return dateformat.format(localised(value), DATE_FORMAT)


def datetime_display(value: datetime.datetime | None, *, seconds: bool = False) -> str:
    """2026年4月1日 14:05 in Asia/Tokyo (with `seconds`, 14:05:09); "" for None."""
    if value is None or value == "":
        return ""
    return dateformat.format(localised(value), DATETIME_SECONDS_FORMAT if seconds else DATETIME_FORMAT)


def day_text(value: datetime.date) -> str:
    """2026年4月1日 for a date already in local time; the fast form of `date_display` for exports
    of 50,000 rows (tests/reports/test_date_style.py pins that the two agree with DATE_FORMAT)."""
    return f"{value.year}年{value.month}月{value.day}日"


def moment_text(value: datetime.datetime) -> str:
    """2026年4月1日 14:05:09 for a moment already in local time (as `datetime_display(seconds=True)`)."""
    return f"{value.year}年{value.month}月{value.day}日 {value.hour:02d}:{value.minute:02d}:{value.second:02d}"


def month_day_display(value: datetime.date | datetime.datetime | None) -> str:
    """4月1日, for dates inside the current 年度's lists (所属長's page); "" for None."""
    if value is None or value == "":
        return ""
    return dateformat.format(localised(value), MONTH_DAY_FORMAT)
