"""The one date style in templates (sns_training/dates.py, decision 0046): `{% load dates %}`, then
`{{ day|ymd }}` (2026年4月1日), `{{ moment|ymd_hm }}` (2026年4月1日 14:05), `{{ moment|ymd_hms }}`
(with seconds, for evidence), `{{ day|md }}` (4月1日), `{{ day|wareki }}` (令和8年4月1日)."""

from django import template

from sns_training import dates
from sns_training.fiscal_year import wareki_date

register = template.Library()


@register.filter
def ymd(value):
    return dates.date_display(value)


@register.filter
def ymd_hm(value):
    return dates.datetime_display(value)


@register.filter
def ymd_hms(value):
    return dates.datetime_display(value, seconds=True)


@register.filter
def md(value):
    return dates.month_day_display(value)


@register.filter
def wareki(value):
    if not value:
        return ""
    return wareki_date(dates.localised(value).date() if hasattr(value, "hour") else value)
