"""Audit entries for reading personal data: every report view, export and certificate download
is written to Wagtail's log (actions registered in reports/wagtail_hooks.py) with who, what and how many."""

from __future__ import annotations

from wagtail.log_actions import log

from people.models import Municipality
from quizzes.models import CompletionRecord


class ReportsError(Exception):
    """A request of the reports area that cannot be done, with a Japanese message for the user."""


def _clean(filters: dict) -> dict:
    return {key: value for key, value in filters.items() if value not in (None, "", [])}


def export_log(
    *, user, municipality: Municipality, report: str, fmt: str, filters: dict, row_count: int, encoding: str = ""
) -> None:
    """Before the first byte of an export leaves: who exported which report of which
    municipality, with which filters, in which format, and how many rows."""
    data = {"report": report, "format": fmt, "filters": _clean(filters), "row_count": row_count}
    if encoding:
        data["encoding"] = encoding
    log(instance=municipality, action="reports.exported", user=user, data=data)


def report_view_log(*, user, municipality: Municipality, report: str, filters: dict, row_count: int) -> None:
    """A report shown on screen: who, which report, filters and the number of rows matching."""
    log(
        instance=municipality,
        action="reports.viewed",
        user=user,
        data={"report": report, "filters": _clean(filters), "row_count": row_count},
    )


def certificate_download_log(*, user, record: CompletionRecord) -> None:
    """One certificate PDF downloaded, by its owner or by HR."""
    log(
        instance=record,
        action="reports.certificate_downloaded",
        user=user,
        data={"fiscal_year": record.fiscal_year, "staff_number": record.staff_number},
    )


def certificates_zip_log(*, user, municipality: Municipality, filters: dict, record_ids: list[int]) -> None:
    """A department's certificates downloaded as one ZIP: one entry naming every record in it."""
    log(
        instance=municipality,
        action="reports.certificate_downloaded",
        user=user,
        data={"filters": _clean(filters), "row_count": len(record_ids), "records": record_ids},
    )
