"""The downloads every HR report in the Wagtail admin offers (XLSX, CSV in UTF-8, CSV in
Shift_JIS): the buttons, their links and the download itself with its audit entry. Shared by
reports/views.py and reports/report_views.py so every report downloads alike."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _
from wagtail.admin.widgets.button import Button

from . import exports, services


class ExportMixin:
    """For a view with `municipality`, `filters`, `report_slug`, `report_name`, `export_columns`,
    `wareki` and `filter_summary()`; it provides `export_rows()` (and, when the file name carries
    a 年度, `export_fiscal_year()`). Replaces Wagtail's own "Download XLSX/CSV" buttons, whose
    `as_spreadsheet` would load every row."""

    def export_rows(self) -> tuple[int, object]:
        """(row count, rows) of the download."""
        raise NotImplementedError

    def export_fiscal_year(self) -> int | None:
        return None

    def export(self, fmt: str, encoding: str):
        if self.filters and not self.filters.is_valid():
            # Never "everything" for a filter that did not parse.
            return HttpResponseBadRequest(
                _("絞り込みの条件が正しくありません。"), content_type="text/plain; charset=utf-8"
            )
        fmt = exports.Format(fmt)
        encoding = exports.Encoding.parse(encoding)
        count, rows = self.export_rows()
        services.export_log(
            user=self.request.user,
            municipality=self.municipality,
            report=self.report_slug,
            fmt=fmt.value,
            encoding=encoding.value if fmt == exports.Format.CSV else "",
            filters={**self.filter_summary(), "wareki": self.wareki},
            row_count=count,
        )
        filename = exports.ExportFilename.build(
            municipality=self.municipality,
            report=self.report_name,  # build() renders it in Japanese whatever the admin's language
            report_slug=self.report_slug,
            fiscal_year=self.export_fiscal_year(),
        )
        return exports.export_response(
            fmt=fmt, rows=rows, columns=self.export_columns, filename=filename, encoding=encoding, wareki=self.wareki
        )

    def get_export_url(self, fmt: str, **extra) -> str:
        """The page's own URL with its filters, without the page number and the filter-fragment flag."""
        params = self.request.GET.copy()
        for name in ("p", "_w_filter_fragment"):
            params.pop(name, None)
        params["export"] = fmt
        for key, value in extra.items():
            params[key] = value  # replaces a value already in the query (QueryDict.update would add one)
        return self.request.path.replace("/results/", "/") + "?" + params.urlencode()

    def get_header_more_buttons(self):
        return [
            Button(_("XLSXでダウンロード"), url=self.get_export_url("xlsx"), icon_name="download", priority=90),
            Button(
                _("CSVでダウンロード（UTF-8）"),
                url=self.get_export_url("csv", encoding=exports.Encoding.UTF8.value),
                icon_name="download",
                priority=100,
            ),
            Button(
                _("CSVでダウンロード（Shift_JIS）"),
                url=self.get_export_url("csv", encoding=exports.Encoding.CP932.value),
                icon_name="download",
                priority=110,
            ),
        ]
