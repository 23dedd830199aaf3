"""年度: the Japanese fiscal year, April to March, named 令和N年度."""

from __future__ import annotations

import datetime

REIWA_START = 2019


def fiscal_year_of(day: datetime.date) -> int:
    """The 年度 a day belongs to, as the Western year it starts in (2026-03-31 → 2025)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_label(year: int) -> str:
    """令和N年度 for years from 2019 (令和元年度 for 2019)."""
    reiwa = year - REIWA_START + 1
    return "令和元年度" if reiwa == 1 else f"令和{reiwa}年度"
