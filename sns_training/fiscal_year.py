"""年度: the Japanese fiscal year, April to March, named 令和N年度; and the bounds of a local day.
Every fiscal-year and day boundary in the project comes from here."""

from __future__ import annotations

import datetime

REIWA_START = 2019


def fiscal_year_of(day: datetime.date) -> int:
    """The 年度 a day belongs to, as the Western year it starts in (2026-03-31 → 2025)."""
    return day.year if day.month >= 4 else day.year - 1


def current_fiscal_year() -> int:
    """Today's 年度 in the site's time zone (Asia/Tokyo)."""
    from django.utils import timezone

    return fiscal_year_of(timezone.localdate())


def fiscal_year_start(year: int) -> datetime.date:
    """April 1 of the 年度; the next 年度 starts on fiscal_year_start(year + 1)."""
    return datetime.date(year, 4, 1)


def fiscal_year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """The 年度's first and last day: April 1 to March 31 of the 年度 that starts in `year`."""
    return fiscal_year_start(year), fiscal_year_start(year + 1) - datetime.timedelta(days=1)


def day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of `day` in local time (Asia/Tokyo), as an aware datetime."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def day_end(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in local time: "by the end of D" is `< day_end(D)`."""
    return day_start(day + datetime.timedelta(days=1))


def fiscal_year_label(year: int) -> str:
    """令和N年度 for years from 2019 (令和元年度 for 2019)."""
    reiwa = year - REIWA_START + 1
    return "令和元年度" if reiwa == 1 else f"令和{reiwa}年度"


# Era start dates (day of the first year of each era), newest first, for 和暦 in exports and certificates.
_ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
)


def wareki_date(day: datetime.date) -> str:
    """A day in the Japanese calendar: 令和7年4月1日, 令和元年5月1日, 平成31年4月30日.
    Days before 大正 keep the Western year (西暦1900年1月1日); no record reaches that far."""
    for start, era in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"西暦{day.year}年{day.month}月{day.day}日"
