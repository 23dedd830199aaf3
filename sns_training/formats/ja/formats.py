"""Django's `ja` formats with the project's one date style (sns_training/dates.py, decision 0046):
`|date` without a format, Wagtail's admin and form widgets write dates as 2026年4月1日 14:05."""

from sns_training import dates

DATE_FORMAT = dates.DATE_FORMAT
DATETIME_FORMAT = dates.DATETIME_FORMAT
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = dates.MONTH_DAY_FORMAT
SHORT_DATE_FORMAT = dates.DATE_FORMAT
SHORT_DATETIME_FORMAT = dates.DATETIME_FORMAT
